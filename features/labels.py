"""Churn labels at each fully observed cutoff.

Two label modes:

- ``churn_date`` (subscription): a customer eligible at cutoff T is labelled 1
  if their ``churn_date`` falls in (T, T + H].
- ``inactivity`` (non-subscription, e.g. retail): a customer eligible at T is
  labelled 1 if they have no activity stamped in (T, T + H], i.e. from
  ``T + 1 day 00:00:00`` up to and including ``T + H 23:59:59``. Eligibility
  additionally needs activity in the ``active_lookback_days`` days up to and
  including T (stamped in ``[T + 1 day - lookback, T + 1 day)``). Activity is
  any event but the passive types (``featurize.passive_event_types``: a
  price notice or a newsletter the customer merely received is not a visit).

Labels only read what happens after T; eligibility only reads what is known at
T. The event log is pre-aggregated to one row per customer and day and paired
with the cutoffs through a small calendar table (an equi-join, no range join),
as ``features.build`` does.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from features.sql import Dialect, literal

MODES: tuple[str, ...] = ("churn_date", "inactivity")


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"label.mode must be one of {', '.join(MODES)}, got {mode!r}")


def label_calendar(cutoffs: list[dt.date], horizon_days: int, active_lookback_days: int) -> pd.DataFrame:
    """The calendar ``label_days`` (day, cutoff, offset) the inactivity mode joins on.

    Args:
        cutoffs: the observation dates.
        horizon_days: the label horizon H (offsets 1..H are the horizon).
        active_lookback_days: the eligibility look-back L (offsets -(L-1)..0, 0 = the cutoff day).

    Returns:
        One row per (day, cutoff) with ``offset`` = days after the cutoff.
    """
    rows = [(c + dt.timedelta(days=o), c, o) for c in sorted(set(cutoffs))
            for o in range(1 - int(active_lookback_days), int(horizon_days) + 1)]
    cal = pd.DataFrame(rows, columns=["day", "cutoff", "offset"])
    for col in ("day", "cutoff"):
        cal[col] = pd.to_datetime(cal[col]).dt.date
    cal["offset"] = cal["offset"].astype("int32")
    return cal


def active_sql(mode: str = "churn_date", d: Dialect = Dialect()) -> str:
    """SQL predicate over aliases ``c`` (customers), ``k`` (cutoffs) and, in inactivity mode, ``w`` (see ``_windows``).

    Active means signed up on or before T and not churned on or before T; in
    inactivity mode also at least one event in the look-back before T.
    """
    _check_mode(mode)
    pred = "c.signup_date <= k.cutoff AND (c.churn_date IS NULL OR c.churn_date > k.cutoff)"
    if mode == "inactivity":
        pred += " AND w.events_before > 0"
    return pred


def eligibility_sql(min_tenure_days: int, d: Dialect = Dialect(), mode: str = "churn_date") -> str:
    """SQL predicate over aliases ``c`` (customers) and ``k`` (cutoffs): eligible at the cutoff.

    Eligible means active at T (``active_sql``) with at least ``min_tenure_days`` of tenure.
    """
    return f"{active_sql(mode, d)} AND {d.days_between('c.signup_date', 'k.cutoff')} >= {int(min_tenure_days)}"


def _activity(passive_event_types: tuple[str, ...] | list[str]) -> str:
    """SQL predicate on ``event_type``: the event is activity (not one of the passive types)."""
    if not passive_event_types:
        return "TRUE"
    return "event_type NOT IN (" + ", ".join(literal(t) for t in passive_event_types) + ")"


def _windows(d: Dialect, passive_event_types: tuple[str, ...] | list[str] = ()) -> str:
    """CTEs ``ev_days`` and ``w``: per customer and cutoff, active days in the look-back and in the horizon."""
    return f"""
ev_days AS (
    SELECT customer_id, {d.to_date('timestamp')} AS day FROM events
    WHERE {_activity(passive_event_types)}
    GROUP BY customer_id, {d.to_date('timestamp')}
),
w AS (
    SELECT e.customer_id, ld.cutoff,
           count(CASE WHEN ld."offset" <= 0 THEN 1 END) AS events_before,
           count(CASE WHEN ld."offset" > 0 THEN 1 END) AS events_after
    FROM ev_days e JOIN label_days ld ON e.day = ld.day
    GROUP BY e.customer_id, ld.cutoff
)"""


def label_sql(horizon_days: int, min_tenure_days: int, d: Dialect = Dialect(), mode: str = "churn_date",
              passive_event_types: tuple[str, ...] | list[str] = ()) -> str:
    """The label query over relations ``customers`` and ``cutoffs`` (only fully labelled cutoffs).

    In inactivity mode it also reads ``events`` and ``label_days`` (``label_calendar``
    built with the same horizon and the look-back).

    Args:
        horizon_days: the label horizon H in days.
        min_tenure_days: eligibility's minimum tenure at the cutoff.
        d: the SQL dialect.
        mode: ``churn_date`` or ``inactivity``.
        passive_event_types: event types that are not activity (inactivity mode).

    Returns:
        SQL returning (customer_id, cutoff, label) sorted by cutoff and customer.
    """
    _check_mode(mode)
    h = int(horizon_days)
    if mode == "churn_date":
        return f"""
SELECT c.customer_id, k.cutoff,
       CAST(CASE WHEN c.churn_date > k.cutoff AND c.churn_date <= k.cutoff + INTERVAL {h} DAY
                 THEN 1 ELSE 0 END AS INTEGER) AS label
FROM customers c CROSS JOIN cutoffs k
WHERE {eligibility_sql(min_tenure_days, d, mode)}
ORDER BY k.cutoff, c.customer_id
"""
    return f"""
WITH {_windows(d, passive_event_types)}
SELECT c.customer_id, k.cutoff,
       CAST(CASE WHEN w.events_after = 0 THEN 1 ELSE 0 END AS INTEGER) AS label
FROM w JOIN cutoffs k ON k.cutoff = w.cutoff
JOIN customers c ON c.customer_id = w.customer_id
WHERE {eligibility_sql(min_tenure_days, d, mode)}
ORDER BY k.cutoff, c.customer_id
"""


def active_customers_sql(mode: str = "churn_date", d: Dialect = Dialect(),
                         passive_event_types: tuple[str, ...] | list[str] = ()) -> str:
    """Customers active at each cutoff of relation ``cutoffs`` under the mode's rule (no tenure filter).

    This is the population to score: in inactivity mode it drops customers
    without an event in the look-back, whom the feature spine still holds. In
    inactivity mode it reads ``events`` and ``label_days`` (``label_calendar``;
    the horizon part is not used, so it works at the scoring date too).

    Returns:
        SQL returning (customer_id, cutoff) sorted by cutoff and customer.
    """
    _check_mode(mode)
    if mode == "churn_date":
        return f"""
SELECT c.customer_id, k.cutoff
FROM customers c CROSS JOIN cutoffs k
WHERE {active_sql(mode, d)}
ORDER BY k.cutoff, c.customer_id
"""
    return f"""
WITH {_windows(d, passive_event_types)}
SELECT c.customer_id, k.cutoff
FROM w JOIN cutoffs k ON k.cutoff = w.cutoff
JOIN customers c ON c.customer_id = w.customer_id
WHERE {active_sql(mode, d)}
ORDER BY k.cutoff, c.customer_id
"""


def summary_sql() -> str:
    """Per-cutoff counts of the label table ``labels``: eligible, churned, churn and retention rate."""
    return """
SELECT cutoff, count(*) AS eligible, sum(label) AS churned,
       CAST(sum(label) AS DOUBLE) / count(*) AS churn_rate,
       1 - CAST(sum(label) AS DOUBLE) / count(*) AS retention_rate
FROM labels GROUP BY cutoff ORDER BY cutoff
"""
