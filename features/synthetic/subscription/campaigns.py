"""A synthetic retention team that acts on lists with a holdout, and the true effect of what it does.

At every cutoff ``D`` whose label horizon ends inside the data, the team takes
the riskiest ``top_share`` of the chunk's active customers (by the world's own
probability, the best list a product could give), holds out ``control_share``
of them at random, and gives the others the playbook action of the driver it
believes in: the true driver (the family with the largest contribution to the
hazard at ``D``) 70% of the time, another family otherwise, as a product's
reasons sometimes are. It reaches ``reach_rate`` of them (``contacted_at``
within three days of ``D``; empty for the others).

An action works on the weekly hazard of a reached customer from the week after
the one containing ``D + 1`` up to the end of the horizon: its logit moves by
``EFFECT[true driver, family the action is for]``. The action that fits the
true driver helps most (a service-recovery call for a complaint-driven
customer); one that does not fit does little (the same call for a price-driven
customer). ``SLEEPING_DOG_SHARE`` of the targeted customers are "sleeping
dogs", whom any contact pushes away (``SLEEPING_DOG_EFFECT``).

The truth, per targeted customer: the probability of churn in ``(D, D + H]``
without and with the action, computed week by week on the customer's own
hazard of each horizon week (the oracle's arithmetic, ``hazard.py``, but not
held at the hazard of ``D``: risky customers' hazards fall back, and a truth
held at ``D`` overstated the effect by about a fifth; after a churn, the last
hazard is held), ``true_effect`` their difference (below zero: fewer churn),
and ``itt_effect = reached x true_effect``, whose mean over the assigned
customers is the campaign's true intention-to-treat effect: what the measure
stage's contacted-minus-holdout difference estimates.

Campaign draws come from their own generator (``[seed, chunk, CAMPAIGN_STREAM, D]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.catalog import FAMILIES
from features.synthetic.core.config import SECONDS_PER_DAY
from features.synthetic.core.hazard import ATTR, BILLING, COMPLAIN, ENGAGE, TENURE, USAGE, sigmoid
from features.synthetic.subscription.config import RENEWAL_BOOST
from features.synthetic.subscription.hazard import next_renewal_after
from features.synthetic.subscription.world import early_life

CAMPAIGN_STREAM = 7_777
BELIEF_ACCURACY = 0.7
SLEEPING_DOG_SHARE = 0.1
SLEEPING_DOG_EFFECT = 1.0
# The team's playbook: driver family -> (action code, channel); the codes of
# models/retention/playbooks/subscription.yaml
PLAYBOOK: dict[int, tuple[str, str]] = {
    USAGE: ("SUCCESS_CHECKIN", "phone"), ENGAGE: ("VALUE_CONTENT", "email"), TENURE: ("ONBOARDING_HELP", "email"),
    COMPLAIN: ("SERVICE_RECOVERY_CALL", "phone"), BILLING: ("BILLING_REVIEW", "phone"),
    ATTR: ("ACCOUNT_REVIEW", "email"),
}
ACTIONS: tuple[str, ...] = tuple(PLAYBOOK[i][0] for i in range(len(FAMILIES)))
CHANNELS: tuple[str, ...] = tuple(PLAYBOOK[i][1] for i in range(len(FAMILIES)))
# EFFECT[true driver, family the action is for]: the weekly hazard's logit shift while the action works.
EFFECT = np.full((len(FAMILIES), len(FAMILIES)), -0.3)
for _family, _fit in ((USAGE, -1.5), (ENGAGE, -1.2), (TENURE, -1.2), (COMPLAIN, -2.0), (BILLING, -1.5),
                      (ATTR, -0.5)):
    EFFECT[_family, _family] = _fit
EFFECT[BILLING, COMPLAIN] = -0.1  # a service-recovery call does little for a price-driven customer
TIERS: tuple[str, ...] = ("high", "medium", "low")


@dataclass(frozen=True)
class CampaignConfig:
    """The synthetic team: the share of active customers it works on, the share held out, the share reached."""

    top_share: float = 0.2
    control_share: float = 0.2
    reach_rate: float = 0.8

    def __post_init__(self) -> None:
        if not 0 < self.top_share <= 1 or not 0 < self.control_share < 1 or not 0 < self.reach_rate <= 1:
            raise ValueError(f"bad campaign config {self!r}: shares must be in (0, 1]")


class Treatment:
    """The campaign effects in force in a chunk (a logit shift per customer between two weeks), and the truth of
    every campaign of the chunk, accumulated week by week along each customer's own hazard."""

    def __init__(self, n: int) -> None:
        self.shift = np.zeros(n)
        self.first_week = np.full(n, np.iinfo(np.int32).max, dtype=np.int64)
        self.last_week = np.full(n, -1, dtype=np.int64)
        self.campaigns: list[dict[str, np.ndarray]] = []

    def term(self, P: np.ndarray, w: int) -> np.ndarray:
        """The shift of the customers ``P`` in week ``w`` (0 outside their action's weeks)."""
        on = (self.first_week[P] <= w) & (w <= self.last_week[P])
        return np.where(on, self.shift[P], 0.0)

    def start(self, cust: np.ndarray, shift: np.ndarray, first_week: int, last_week: int) -> None:
        self.shift[cust] = shift
        self.first_week[cust] = first_week
        self.last_week[cust] = last_week

    def step(self, state, week, hz) -> None:
        """Add week ``week.w`` to the truth of every campaign whose horizon it is in (called after the hazard)."""
        for rec in self.campaigns:
            if rec["first_week"] <= week.w <= rec["last_week"]:
                pos = np.searchsorted(week.P, rec["cust"])
                pos = np.minimum(pos, max(week.P.size - 1, 0))
                present = (week.P.size > 0) & (week.P[pos] == rec["cust"]) if week.P.size else np.zeros(
                    rec["cust"].size, dtype=bool)
                lg_static = rec["lg_static"]
                if present.any():
                    treat = hz.treat[pos[present]] if hz.treat is not None else 0.0
                    lg_static[present] = hz.logit[pos[present]] - hz.early[pos[present]] - treat
                _accumulate(rec, state, week.w)

    def records(self) -> dict[str, np.ndarray]:
        """Every campaign's rows with ``p_untreated`` and ``p_treated`` (columns of ``CAMPAIGN_DTYPES``)."""
        out: dict[str, list[np.ndarray]] = {k: [] for k in CAMPAIGN_DTYPES}
        for rec in self.campaigns:
            rec["p_untreated"], rec["p_treated"] = -np.expm1(rec["log_s0"]), -np.expm1(rec["log_s1"])
            for k in CAMPAIGN_DTYPES:
                out[k].append(rec[k])
        return {k: np.concatenate(v) if v else np.empty(0, dtype=CAMPAIGN_DTYPES[k]) for k, v in out.items()}


def _accumulate(rec: dict, state, w: int) -> None:
    """One horizon week of the truth: the log survival without and with the action (the oracle's arithmetic,
    ``hazard.horizon_log_survival``, on the week's own hazard; after a churn, the last one held)."""
    a, b = max(rec["h_first"], 7 * w), min(rec["h_last"], 7 * w + 6)
    lg = rec["lg_static"] + early_life(np.maximum(0, 7 * w - state.signup_day[rec["cust"]]).astype(np.float64))
    ren = rec["annual"] & (rec["renewal"] >= a) & (rec["renewal"] <= b)
    for key, shift in (("log_s0", 0.0), ("log_s1", rec["shift"] if w >= rec["effect_week"] else 0.0)):
        q = -np.expm1(np.log1p(-sigmoid(lg + shift)) * (b - a + 1) / 7.0)
        q = np.where(ren, sigmoid(lg + shift + RENEWAL_BOOST), q)
        rec[key] = rec[key] + np.log1p(-q)


def targets(prob: np.ndarray, top_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the riskiest ``top_share`` (ties by position) and every active customer's tier code index
    (high: the riskiest 5%, medium: up to 20%, as ``score.tiers``' defaults)."""
    order = np.lexsort((np.arange(prob.size), -prob))
    rank = np.empty(prob.size, dtype=np.int64)
    rank[order] = np.arange(1, prob.size + 1)
    tier = np.where(rank <= 0.05 * prob.size, 0, np.where(rank <= 0.20 * prob.size, 1, 2))
    return np.sort(order[: int(np.ceil(top_share * prob.size))]), tier


def plan(contrib: np.ndarray, n: int, cfg: CampaignConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The team's decisions for ``n`` targeted customers: holdout, reach, believed driver, sleeping dogs, shift."""
    holdout = np.zeros(n, dtype=bool)
    holdout[rng.permutation(n)[: int(round(cfg.control_share * n))]] = True
    reached = rng.random(n) < cfg.reach_rate
    true_driver = np.argmax(contrib, axis=0)
    other = (true_driver + rng.integers(1, len(FAMILIES), n)) % len(FAMILIES)
    believed = np.where(rng.random(n) < BELIEF_ACCURACY, true_driver, other)
    dog = rng.random(n) < SLEEPING_DOG_SHARE
    shift = np.where(dog, SLEEPING_DOG_EFFECT, EFFECT[true_driver, believed])
    contact_sec = (rng.integers(1, 4, n) * SECONDS_PER_DAY + rng.integers(9 * 3600, 18 * 3600, n)).astype(np.int64)
    return {"holdout": holdout, "reached": reached, "true_driver": true_driver, "believed": believed,
            "sleeping_dog": dog, "shift": shift, "contact_sec": contact_sec}


CAMPAIGN_DTYPES = {"cust": np.int32, "cutoff": np.int32, "holdout": np.bool_, "reached": np.bool_,
                   "sleeping_dog": np.bool_, "true_driver": np.int8, "believed": np.int8, "tier": np.int8,
                   "p_untreated": np.float64, "p_treated": np.float64, "contact_sec": np.int64}


def runs_at(cutoff_day: int, horizon_days: int, end_day: int) -> bool:
    """A campaign runs at a cutoff whose horizon (and its contact days) end inside the data."""
    return cutoff_day + max(horizon_days, 3) <= end_day


def run_campaign(cfg: CampaignConfig, state, world, hz, week, cutoff_day: int, horizon_days: int,
                 customers: np.ndarray, prob: np.ndarray, rng: np.random.Generator) -> None:
    """Assign, act and start recording one campaign at ``cutoff_day`` for a chunk's active ``customers`` (their
    oracle probabilities ``prob``); the reached contacted customers get their action's shift (``state.treatment``).
    The truth accumulates week by week (:meth:`Treatment.step`) and comes out with :meth:`Treatment.records`."""
    if state.treatment is None:
        state.treatment = Treatment(state.n)
    pos, tier = targets(prob, cfg.top_share)
    in_p = np.searchsorted(week.P, customers[pos])  # customers are week.P's active subset, in order
    cust = customers[pos]
    decided = plan(hz.contrib[:, in_p], pos.size, cfg, rng)
    effect_week, last = (cutoff_day + 1) // 7 + 1, (cutoff_day + horizon_days) // 7
    acted = ~decided["holdout"] & decided["reached"]
    state.treatment.start(cust[acted], decided["shift"][acted], effect_week, last)
    rec = {"cust": cust.astype(np.int32), "cutoff": np.full(cust.size, cutoff_day, dtype=np.int32),
           "holdout": decided["holdout"], "reached": decided["reached"], "sleeping_dog": decided["sleeping_dog"],
           "true_driver": decided["true_driver"].astype(np.int8), "believed": decided["believed"].astype(np.int8),
           "tier": tier[pos].astype(np.int8), "contact_sec": cutoff_day * SECONDS_PER_DAY + decided["contact_sec"],
           "shift": decided["shift"], "first_week": (cutoff_day + 1) // 7, "effect_week": effect_week,
           "last_week": last, "h_first": cutoff_day + 1, "h_last": cutoff_day + horizon_days,
           "lg_static": hz.logit[in_p] - hz.early[in_p] - (hz.treat[in_p] if hz.treat is not None else 0.0),
           "renewal": next_renewal_after(state, world, cust, cutoff_day), "annual": state.contract[cust] == 1,
           "log_s0": np.zeros(cust.size), "log_s1": np.zeros(cust.size)}
    _accumulate(rec, state, week.w)  # the week containing D + 1: its hazard was computed before the campaign
    state.treatment.campaigns.append(rec)


def with_outcome(rec: dict[str, np.ndarray], churn_day: np.ndarray, horizon_days: int) -> dict[str, np.ndarray]:
    """The records with ``churned``: the customer churned in ``(D, D + H]`` after the campaign's cutoff ``D``."""
    cd = churn_day[rec["cust"]]
    rec["churned"] = (cd > rec["cutoff"]) & (cd <= rec["cutoff"] + horizon_days)
    return rec
