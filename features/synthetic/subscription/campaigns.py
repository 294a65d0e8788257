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
the shift of the world's effect design (``effects.py``, ``CampaignConfig.effects``):
in the heterogeneous design, by the fit of the action to the true driver, times
the customer's responsiveness (hardly any for customers who have already
decided), and the other way for sleeping dogs (dormant customers whom a contact
reminds to leave), all read from the state that drives the observable tables.

The truth, per targeted customer (``treatment.py``): the probability of churn in ``(D, D + H]``
without and with the action, computed week by week on the customer's own
hazard of each horizon week (the oracle's arithmetic, ``hazard.py``, but not
held at the hazard of ``D``: risky customers' hazards fall back, and a truth
held at ``D`` overstated the effect by about a fifth; after a churn, the last
hazard is held), ``true_effect`` their difference (below zero: fewer churn),
and ``itt_effect = reached x true_effect``, whose mean over the assigned
customers is the campaign's true intention-to-treat effect: what the measure
stage's contacted-minus-holdout difference estimates.

Campaign draws come from their own generator (``[seed, chunk, CAMPAIGN_STREAM, D]``), the effect design's
from another (``effects.EFFECT_STREAM``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from features.catalog import FAMILIES
from features.synthetic.core.config import SECONDS_PER_DAY
from features.synthetic.core.hazard import ATTR, BILLING, COMPLAIN, ENGAGE, TENURE, USAGE
from features.synthetic.subscription import effects
from features.synthetic.subscription.treatment import Treatment, probabilities, record

CAMPAIGN_STREAM = 7_777
BELIEF_ACCURACY = 0.7
# The team's playbook: driver family -> (action code, channel); the codes of
# models/retention/playbooks/subscription.yaml
PLAYBOOK: dict[int, tuple[str, str]] = {
    USAGE: ("SUCCESS_CHECKIN", "phone"), ENGAGE: ("VALUE_CONTENT", "email"), TENURE: ("ONBOARDING_HELP", "email"),
    COMPLAIN: ("SERVICE_RECOVERY_CALL", "phone"), BILLING: ("BILLING_REVIEW", "phone"),
    ATTR: ("ACCOUNT_REVIEW", "email"),
}
ACTIONS: tuple[str, ...] = tuple(PLAYBOOK[i][0] for i in range(len(FAMILIES)))
CHANNELS: tuple[str, ...] = tuple(PLAYBOOK[i][1] for i in range(len(FAMILIES)))
TIERS: tuple[str, ...] = ("high", "medium", "low")


@dataclass(frozen=True)
class CampaignConfig:
    """The synthetic team: the share of active customers it works on, the share held out, the share reached;
    the world's effect design (``effects.DESIGNS``), and the scoring date whose truth is written for every active
    customer and action (``effects_at_score``; None: the last day of the data)."""

    top_share: float = 0.2
    control_share: float = 0.2
    reach_rate: float = 0.8
    effects: str = "heterogeneous"
    score_date: date | None = None

    def __post_init__(self) -> None:
        if not 0 < self.top_share <= 1 or not 0 < self.control_share < 1 or not 0 < self.reach_rate <= 1:
            raise ValueError(f"bad campaign config {self!r}: shares must be in (0, 1]")
        if self.effects not in effects.DESIGNS:
            raise ValueError(f"bad campaign config {self!r}: effects must be one of {', '.join(effects.DESIGNS)}")


def records(treatment: Treatment) -> dict[str, np.ndarray]:
    """Every campaign's rows with ``p_untreated`` and ``p_treated`` (columns of ``CAMPAIGN_DTYPES``)."""
    out: dict[str, list[np.ndarray]] = {k: [] for k in CAMPAIGN_DTYPES}
    for rec in treatment.campaigns:
        rec["p_untreated"], rec["p_treated"] = probabilities(rec)
        for k in CAMPAIGN_DTYPES:
            out[k].append(rec[k])
    return {k: np.concatenate(v) if v else np.empty(0, dtype=CAMPAIGN_DTYPES[k]) for k, v in out.items()}


def ensure_treatment(state, seed: int, chunk_index: int) -> Treatment:
    """The chunk's treatment, made at its first use with the effect design's draws (their own stream)."""
    if state.treatment is None:
        state.treatment = Treatment(state.n, effects.Draws.draw(seed, chunk_index, state.n))
    return state.treatment


def targets(prob: np.ndarray, top_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the riskiest ``top_share`` (ties by position) and every active customer's tier code index
    (high: the riskiest 5%, medium: up to 20%, as ``score.tiers``' defaults)."""
    order = np.lexsort((np.arange(prob.size), -prob))
    rank = np.empty(prob.size, dtype=np.int64)
    rank[order] = np.arange(1, prob.size + 1)
    tier = np.where(rank <= 0.05 * prob.size, 0, np.where(rank <= 0.20 * prob.size, 1, 2))
    return np.sort(order[: int(np.ceil(top_share * prob.size))]), tier


def plan(contrib: np.ndarray, n: int, cfg: CampaignConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The team's decisions for ``n`` targeted customers: holdout, reach, believed driver, contact time."""
    holdout = np.zeros(n, dtype=bool)
    holdout[rng.permutation(n)[: int(round(cfg.control_share * n))]] = True
    reached = rng.random(n) < cfg.reach_rate
    true_driver = np.argmax(contrib, axis=0)
    other = (true_driver + rng.integers(1, len(FAMILIES), n)) % len(FAMILIES)
    believed = np.where(rng.random(n) < BELIEF_ACCURACY, true_driver, other)
    contact_sec = (rng.integers(1, 4, n) * SECONDS_PER_DAY + rng.integers(9 * 3600, 18 * 3600, n)).astype(np.int64)
    return {"holdout": holdout, "reached": reached, "true_driver": true_driver, "believed": believed,
            "contact_sec": contact_sec}


CAMPAIGN_DTYPES = {"cust": np.int32, "cutoff": np.int32, "holdout": np.bool_, "reached": np.bool_,
                   "sleeping_dog": np.bool_, "true_driver": np.int8, "believed": np.int8, "tier": np.int8,
                   "p_untreated": np.float64, "p_treated": np.float64, "contact_sec": np.int64}


def runs_at(cutoff_day: int, horizon_days: int, end_day: int) -> bool:
    """A campaign runs at a cutoff whose horizon (and its contact days) end inside the data."""
    return cutoff_day + max(horizon_days, 3) <= end_day


def run_campaign(cfg: CampaignConfig, state, world, hz, week, cutoff_day: int, horizon_days: int,
                 customers: np.ndarray, prob: np.ndarray, rng: np.random.Generator) -> None:
    """Assign, act and start recording one campaign at ``cutoff_day`` for a chunk's active ``customers`` (their
    oracle probabilities ``prob``); the reached contacted customers get their action's shift (``state.treatment``,
    made by :func:`ensure_treatment`). The truth accumulates week by week (``Treatment.step``) and comes out with
    :func:`records`."""
    treatment = state.treatment
    pos, tier = targets(prob, cfg.top_share)
    in_p = np.searchsorted(week.P, customers[pos])  # customers are week.P's active subset, in order
    cust = customers[pos]
    decided = plan(hz.contrib[:, in_p], pos.size, cfg, rng)
    prof = effects.profile(state, cust, week.w0, treatment.draws)
    shift = effects.shift(cfg.effects, prof, decided["true_driver"], decided["believed"])
    rec = record(state, world, hz, in_p, cust.astype(np.int32), shift, cutoff_day, horizon_days, week.w)
    acted = ~decided["holdout"] & decided["reached"]
    treatment.start(cust[acted], shift[acted], rec["effect_week"], rec["last_week"])
    rec.update({"cutoff": np.full(cust.size, cutoff_day, dtype=np.int32), "holdout": decided["holdout"],
                "reached": decided["reached"], "sleeping_dog": effects.is_dog(cfg.effects, prof),
                "true_driver": decided["true_driver"].astype(np.int8), "believed": decided["believed"].astype(np.int8),
                "tier": tier[pos].astype(np.int8),
                "contact_sec": cutoff_day * SECONDS_PER_DAY + decided["contact_sec"]})
    treatment.campaigns.append(rec)


def with_outcome(rec: dict[str, np.ndarray], churn_day: np.ndarray, horizon_days: int) -> dict[str, np.ndarray]:
    """The records with ``churned``: the customer churned in ``(D, D + H]`` after the campaign's cutoff ``D``."""
    cd = churn_day[rec["cust"]]
    rec["churned"] = (cd > rec["cutoff"]) & (cd <= rec["cutoff"] + horizon_days)
    return rec
