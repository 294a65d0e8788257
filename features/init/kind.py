"""Subscription or non-contract, and the label horizon that suits each.

A subscription's export records when customers leave (``churn_date``): the label is that date, over the usual
30 days. A retailer's has no such date: a customer has churned when they stop buying, and the horizon must be
long enough that a customer who buys at their usual rhythm is not called lost between two purchases. The
rhythm is read from the data: each customer's median gap between active days, and the horizon covers that gap
for most customers (``GAP_QUANTILE``), rounded up to a round number of days.
"""

from __future__ import annotations

import math

import pandas as pd

from features.init.choice import Choice

SUBSCRIPTION_HORIZON = 30
GAP_QUANTILE = 0.75
ROUND_DAYS: tuple[int, ...] = (7, 14, 30, 60, 90, 120, 180, 270, 365)
FALLBACK_HORIZON = 90   # no customer with two active days: no rhythm to read
MIN_LABELLED_SPAN = 4   # the horizon is at most a quarter of the history: room for train, validation and test


def label_mode(n_customers: int, n_churn_dates: int) -> Choice:
    """``churn_date`` when the customers table records churn dates, else ``inactivity``."""
    if n_churn_dates > 0:
        return Choice("label.mode", "churn_date",
                      f"subscription: {n_churn_dates:,} of {n_customers:,} customers have a churn_date")
    return Choice("label.mode", "inactivity",
                  "non-contract: no customer has a churn_date, so churn is no activity within the horizon")


def round_up(days: float) -> int:
    """The smallest round number of days (:data:`ROUND_DAYS`) at or above ``days``."""
    return next((r for r in ROUND_DAYS if r >= days), ROUND_DAYS[-1])


def _round_down(days: float) -> int:
    return max((r for r in ROUND_DAYS if r <= days), default=ROUND_DAYS[0])


def horizon(mode: str, median_gaps: pd.Series, history_days: int) -> Choice:
    """``label.horizon_days``: 30 days for a subscription, the buying rhythm's for a non-contract business.

    Args:
        mode: ``label.mode`` as chosen.
        median_gaps: each repeat customer's median gap in days between two active days.
        history_days: days from the first event to the as-of date (the horizon is kept to a quarter of it).
    """
    if mode == "churn_date":
        return Choice("label.horizon_days", SUBSCRIPTION_HORIZON, "subscription: the churn date within 30 days")
    gaps = pd.to_numeric(median_gaps, errors="coerce").dropna()
    if gaps.empty:
        days, why = FALLBACK_HORIZON, (f"no customer has two active days, so no buying rhythm to read: "
                                       f"{FALLBACK_HORIZON} days")
    else:
        q = float(gaps.quantile(GAP_QUANTILE))
        days = round_up(q)
        why = (f"{GAP_QUANTILE:.0%} of the {len(gaps):,} repeat customers usually come back within "
               f"{math.ceil(q)} days (their median gap between active days), rounded up to {days}")
    cap = history_days / MIN_LABELLED_SPAN
    if days > cap:
        days = _round_down(cap)
        why += f"; shortened to {days} so that the {history_days} days of history hold several labelled cutoffs"
    return Choice("label.horizon_days", int(days), why)
