"""The truth at the scoring date: what every action would do to every customer active there.

The product scores every customer active at the scoring date ``S`` and
recommends one action each, from its playbook and its own reading of the
drivers, which may be wrong. To judge the list (the uplift bench), the truth
must be there for whatever action it recommends, so there is one row per
active customer and per action code a subscription playbook recommends
(``effects.ACTION_FAMILY``: the six family actions and the segment rules'
renewal call and loyalty recognition), with ``p_untreated``, ``p_treated``
and ``true_effect`` computed as ``campaign_effects``' (``treatment.py``: week
by week on the customer's own hazard, the action working from the week after
the one containing ``S + 1``; past the data's end, where the world has no
hazard, the last one held, so at the data's last day the truth is the
oracle's arithmetic and ``p_untreated`` is the oracle's probability). No one
is contacted: the record changes nothing in the world.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np

from features.synthetic.subscription import effects
from features.synthetic.subscription.treatment import probabilities, record

ACTIONS: tuple[str, ...] = tuple(effects.ACTION_FAMILY)
ACTION_FAMILIES = np.array([effects.ACTION_FAMILY[a] for a in ACTIONS])
AT_SCORE_DTYPES = {"cust": np.int32, "action": np.int8, "true_driver": np.int8, "sleeping_dog": np.bool_,
                   "decided": np.bool_, "dormant": np.bool_, "p_untreated": np.float64, "p_treated": np.float64}


def score_day(score_date: date | None, start_date: date, end_day: int) -> int:
    """The scoring date's day index (None: the data's last day; clipped to the period)."""
    return end_day if score_date is None else min(max((score_date - start_date).days, 0), end_day)


def start(design: str, state, world, hz, week, day: int, horizon_days: int) -> None:
    """Start the record at ``day`` (in this week, the one containing ``day + 1``) for every active customer."""
    P = week.P
    cd = state.churn_day[P]
    A = np.flatnonzero((state.signup_day[P] <= day) & ((cd < 0) | (cd > day)))
    cust = P[A]
    k = len(ACTIONS)
    true_driver = np.argmax(hz.contrib[:, A], axis=0)
    prof = effects.profile(state, cust, week.w0, state.treatment.draws)
    rows = effects.Profile(*(np.repeat(getattr(prof, f.name), k) for f in dataclasses.fields(prof)))
    action = np.tile(np.arange(k), cust.size)
    driver_rows = np.repeat(true_driver, k)
    shift = effects.shift(design, rows, driver_rows, ACTION_FAMILIES[action])
    rec = record(state, world, hz, np.repeat(A, k), np.repeat(cust, k).astype(np.int32), shift, day, horizon_days,
                 week.w)
    rec.update(action=action.astype(np.int8), true_driver=driver_rows.astype(np.int8),
               sleeping_dog=effects.is_dog(design, rows), decided=rows.decided & (design == "heterogeneous"),
               dormant=rows.dormant)
    state.treatment.at_score = rec


def rows(treatment) -> dict[str, np.ndarray]:
    """The record's columns (``AT_SCORE_DTYPES``; empty without active customers at the scoring date)."""
    rec = treatment.at_score if treatment is not None else None
    if rec is None:
        return {k: np.empty(0, dtype=v) for k, v in AT_SCORE_DTYPES.items()}
    rec["p_untreated"], rec["p_treated"] = probabilities(rec)
    return {k: rec[k].astype(v) for k, v in AT_SCORE_DTYPES.items()}
