"""A non-contract business's expected spend per customer: BG/NBD's expected active days × spend per active day.

Expected spend over some months = expected active days in that time under BG/NBD (fitted on every customer's
history at the scoring date, so only on data at or before it) × the customer's spend per active day
(``events_<spend>_value_sum_all`` / ``active_days_all``, the same days BG/NBD counts; customers never active get
the mean of those who were). It is the "expected purchases × mean spend per purchase" model, with a day with a
purchase as the purchase.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.clv.fit import bgnbd_penalizer, fit_bgnbd
from models.clv.history import btyd_history

DAYS_PER_MONTH = 30.4375  # 365.25 / 12
SPEND_NAMES: tuple[str, ...] = ("purchase", "order", "orders", "transaction", "sale", "sales", "revenue", "payment")


def spend_event_type(columns: list[str] | pd.Index, wanted: str = "auto",
                     totals: dict[str, float] | None = None) -> str | None:
    """The event type (its feature slug) whose value is spend, from the whole-history value columns present.

    Args:
        columns: feature columns; a candidate has ``events_<t>_value_sum_all``.
        wanted: ``score.spend_event_type``; ``auto`` takes the first of ``SPEND_NAMES`` present, else the
            candidate with the largest total value in ``totals``.
        totals: candidate -> total value (for the fallback).

    Returns:
        The slug, or None when the data has no value sums.
    """
    candidates = [c[len("events_"):-len("_value_sum_all")] for c in columns
                  if c.startswith("events_") and c.endswith("_value_sum_all")]
    if wanted != "auto":
        return wanted if wanted in candidates else None
    named = [n for n in SPEND_NAMES if n in candidates]
    if named:
        return named[0]
    if not candidates:
        return None
    totals = totals or {}
    return max(sorted(candidates), key=lambda c: totals.get(c, 0.0))


def _spend_per_active_day(frame: pd.DataFrame, spend: str) -> np.ndarray:
    total = pd.to_numeric(frame[f"events_{spend}_value_sum_all"], errors="coerce").astype("float64").to_numpy()
    days = pd.to_numeric(frame["active_days_all"], errors="coerce").astype("float64").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(days > 0, total / days, np.nan)


def spend_model(histories: pd.DataFrame, spend: str) -> dict:
    """The global part of the expected spend: BG/NBD fitted on every customer's history, and the spend per
    active day of a customer never active (the mean of those who were).

    Args:
        histories: every customer's whole-history features at the scoring date (one row per customer; only
            the BG/NBD inputs and ``events_<spend>_value_sum_all`` / ``active_days_all`` are read).
        spend: the spend event type's slug (``spend_event_type``).

    Returns:
        ``{"bgnbd": the fitted model, "fallback": spend per active day}``.
    """
    fit_on = btyd_history(histories)
    if fit_on is None:
        raise ValueError("expected spend needs the whole-history features (featurize.history: true)")
    known = _spend_per_active_day(histories, spend)
    return {"bgnbd": fit_bgnbd(*fit_on, penalizer=bgnbd_penalizer(len(fit_on[0]))),
            "fallback": float(np.nanmean(known)) if np.isfinite(known).any() else 0.0}


def spend_of(model: dict, rows: pd.DataFrame, spend: str, months: float) -> np.ndarray:
    """Expected spend of ``rows`` over ``months`` under a :func:`spend_model` (row by row: any subset of the
    customers gets the values it gets among all of them)."""
    score_on = btyd_history(rows)
    if score_on is None:
        raise ValueError("expected spend needs the whole-history features (featurize.history: true)")
    days = model["bgnbd"].expected_purchases(months * DAYS_PER_MONTH, *score_on)
    per_day = _spend_per_active_day(rows, spend)
    return days * np.where(np.isnan(per_day), model["fallback"], per_day)


def expected_spend(histories: pd.DataFrame, rows: pd.DataFrame, spend: str, months: float) -> tuple[np.ndarray, dict]:
    """Expected spend of ``rows`` over ``months``: BG/NBD active days × mean spend per active day.

    Args:
        histories: every customer's whole-history features at the scoring date (the BG/NBD fit).
        rows: the customers to value (the same features).
        spend: the spend event type's slug (``spend_event_type``).
        months: the horizon in months.

    Returns:
        ``(expected spend per row, the model: BG/NBD parameters and the fallback spend per day)``.
    """
    model = spend_model(histories, spend)
    return spend_of(model, rows, spend, months), {
        "bgnbd": model["bgnbd"].to_dict(), "spend_per_active_day_fallback": model["fallback"],
        "spend_event_type": spend, "months": months}
