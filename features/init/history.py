"""The first cutoff: late enough that every feature and the label see at least one horizon of history."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from features.cutoffs import labelled, schedule
from features.init.choice import Choice

MIN_HISTORY_DAYS = 90   # the 90-day windows and the inactivity look-back (label.active_lookback_days) see a full one
MIN_LABELLED = 3        # train, validation and test


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return (pd.Timestamp(day) + pd.offsets.MonthEnd(0)).date()


def first_cutoff(first_event: dt.date, as_of: dt.date, horizon_days: int) -> Choice:
    """``cutoffs.first``: the month end after ``max(horizon, 90 days)`` of history, earlier only when that leaves
    fewer than three labelled cutoffs (then after one horizon)."""
    history = max(horizon_days, MIN_HISTORY_DAYS)
    first = month_end(first_event + dt.timedelta(days=history))
    why = f"the month end after {history} days of history (events start {first_event}; horizon {horizon_days} days)"
    if len(labelled(schedule(first, as_of), as_of, horizon_days)) < MIN_LABELLED and history > horizon_days:
        first = month_end(first_event + dt.timedelta(days=horizon_days))
        why = (f"the month end after one horizon ({horizon_days} days) of history (events start {first_event}): "
               f"{history} days would leave fewer than {MIN_LABELLED} labelled cutoffs before {as_of}")
    n = len(labelled(schedule(first, as_of), as_of, horizon_days))
    why += f"; {n} labelled cutoff(s) up to the as-of date {as_of}"
    if n < MIN_LABELLED:
        why += f" (training needs {MIN_LABELLED}: add history or shorten label.horizon_days)"
    return Choice("cutoffs.first", first.isoformat(), why)
