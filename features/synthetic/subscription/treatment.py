"""The actions in force in a chunk, and the truth of what they do, accumulated week by week.

A truth record is a set of rows (a customer, an action's logit ``shift``, a
cutoff ``D``) whose probability of churn in ``(D, D + H]`` without and with the
action is accumulated week by week on each customer's own hazard of that week
(the oracle's arithmetic, ``hazard.horizon_log_survival``, not held at the
hazard of ``D``: risky customers' hazards fall back; after a churn, the last
hazard is held, and so it is after the data's last week, where the world has
no hazard). The action works from the week after the one containing ``D + 1``
(whose hazard was computed before the cutoff's campaign). Rows may repeat a
customer (one per action: ``effects_at_score``).
"""

from __future__ import annotations

import numpy as np

from features.synthetic.core.hazard import sigmoid
from features.synthetic.subscription.config import RENEWAL_BOOST
from features.synthetic.subscription.effects import Draws
from features.synthetic.subscription.hazard import next_renewal_after
from features.synthetic.subscription.world import early_life


class Treatment:
    """The campaign effects in force in a chunk (a logit shift per customer between two weeks), the effect
    design's draws, and the truth records: every campaign's, and the one at the scoring date (``at_score``)."""

    def __init__(self, n: int, draws: Draws) -> None:
        self.shift = np.zeros(n)
        self.first_week = np.full(n, np.iinfo(np.int32).max, dtype=np.int64)
        self.last_week = np.full(n, -1, dtype=np.int64)
        self.draws = draws
        self.campaigns: list[dict[str, np.ndarray]] = []
        self.at_score: dict[str, np.ndarray] | None = None

    def term(self, P: np.ndarray, w: int) -> np.ndarray:
        """The shift of the customers ``P`` in week ``w`` (0 outside their action's weeks)."""
        on = (self.first_week[P] <= w) & (w <= self.last_week[P])
        return np.where(on, self.shift[P], 0.0)

    def start(self, cust: np.ndarray, shift: np.ndarray, first_week: int, last_week: int) -> None:
        self.shift[cust] = shift
        self.first_week[cust] = first_week
        self.last_week[cust] = last_week

    def _records(self) -> list[dict[str, np.ndarray]]:
        return self.campaigns + ([self.at_score] if self.at_score is not None else [])

    def step(self, state, week, hz) -> None:
        """Add week ``week.w`` to every truth record whose horizon it is in (called after the hazard)."""
        for rec in self._records():
            if rec["first_week"] <= week.w <= rec["last_week"]:
                catch_up(rec, state, week.w - 1)
                pos = np.searchsorted(week.P, rec["cust"])
                pos = np.minimum(pos, max(week.P.size - 1, 0))
                present = (week.P.size > 0) & (week.P[pos] == rec["cust"]) if week.P.size else np.zeros(
                    rec["cust"].size, dtype=bool)
                lg_static = rec["lg_static"]
                if present.any():
                    treat = hz.treat[pos[present]] if hz.treat is not None else 0.0
                    lg_static[present] = hz.logit[pos[present]] - hz.early[pos[present]] - treat
                accumulate(rec, state, week.w)

    def finish(self, state) -> None:
        """Complete every record's horizon past the weeks simulated (the last hazard held)."""
        for rec in self._records():
            catch_up(rec, state, rec["last_week"])


def record(state, world, hz, in_p: np.ndarray, cust: np.ndarray, shift: np.ndarray, cutoff_day: int,
           horizon_days: int, w: int) -> dict:
    """A truth record for the rows ``cust`` (their positions ``in_p`` in the week's hazard ``hz`` of week ``w``,
    the one containing ``D + 1``) with the action's logit ``shift``, its first week already accumulated."""
    rec = {"cust": cust, "shift": shift, "first_week": (cutoff_day + 1) // 7, "effect_week": (cutoff_day + 1) // 7 + 1,
           "last_week": (cutoff_day + horizon_days) // 7, "h_first": cutoff_day + 1,
           "h_last": cutoff_day + horizon_days,
           "lg_static": hz.logit[in_p] - hz.early[in_p] - (hz.treat[in_p] if hz.treat is not None else 0.0),
           "renewal": next_renewal_after(state, world, cust, cutoff_day), "annual": state.contract[cust] == 1,
           "log_s0": np.zeros(cust.size), "log_s1": np.zeros(cust.size), "next_week": w}
    accumulate(rec, state, w)  # the week containing D + 1: its hazard was computed before the campaign
    return rec


def catch_up(rec: dict, state, w: int) -> None:
    """Accumulate the weeks up to ``w`` that no hazard step reached (held at the last hazard)."""
    for k in range(rec["next_week"], min(w, rec["last_week"]) + 1):
        accumulate(rec, state, k)


def accumulate(rec: dict, state, w: int) -> None:
    """One horizon week of the truth: the log survival without and with the action (the oracle's arithmetic,
    ``hazard.horizon_log_survival``, on the week's own hazard; after a churn, the last one held)."""
    a, b = max(rec["h_first"], 7 * w), min(rec["h_last"], 7 * w + 6)
    lg = rec["lg_static"] + early_life(np.maximum(0, 7 * w - state.signup_day[rec["cust"]]).astype(np.float64))
    ren = rec["annual"] & (rec["renewal"] >= a) & (rec["renewal"] <= b)
    for key, shift in (("log_s0", 0.0), ("log_s1", rec["shift"] if w >= rec["effect_week"] else 0.0)):
        q = -np.expm1(np.log1p(-sigmoid(lg + shift)) * (b - a + 1) / 7.0)
        q = np.where(ren, sigmoid(lg + shift + RENEWAL_BOOST), q)
        rec[key] = rec[key] + np.log1p(-q)
    rec["next_week"] = w + 1


def probabilities(rec: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(p_untreated, p_treated)`` of a record's rows."""
    return -np.expm1(rec["log_s0"]), -np.expm1(rec["log_s1"])
