"""Observation dates ("cutoffs").

A cutoff named by a date D means the end of day D: data stamped on D is known
at D, data from the next day on is not. Features at D use rows with a
timestamp before ``D + 1 day``; labels at D look at (D, D + horizon].
"""

from __future__ import annotations

import datetime as dt

import pandas as pd


def schedule(first: dt.date, last: dt.date, frequency: str = "month_end", every_days: int = 30) -> list[dt.date]:
    """Return the observation dates from ``first`` to ``last`` inclusive.

    Args:
        first: the first cutoff (for month_end, the month-end on or after it).
        last: no cutoff after this date.
        frequency: ``month_end`` or ``days``.
        every_days: spacing when frequency is ``days``.

    Returns:
        Sorted, unique dates.
    """
    if last < first:
        return []
    if frequency == "month_end":
        stamps = pd.date_range(first, last, freq="ME")
        return [d.date() for d in stamps]
    if frequency == "days":
        stamps = pd.date_range(first, last, freq=f"{every_days}D")
        return [d.date() for d in stamps]
    raise ValueError(f"cutoffs.frequency must be month_end or days, got {frequency!r}")


def labelled(cutoffs: list[dt.date], as_of: dt.date, horizon_days: int) -> list[dt.date]:
    """Cutoffs whose whole label horizon lies inside the data (censoring).

    Args:
        cutoffs: candidate cutoffs.
        as_of: the data's as-of date (end of that day is the last instant known).
        horizon_days: the label horizon H.

    Returns:
        The cutoffs T with T + H on or before ``as_of``.
    """
    return [c for c in cutoffs if c + dt.timedelta(days=horizon_days) <= as_of]
