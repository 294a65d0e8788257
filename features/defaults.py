"""Defaults that follow the data: feature windows from the label horizon and the history, value types from the values.

A window much shorter than the horizon is noise for a question about the next
months, and one longer than the data is the whole history under another name;
the whole-history features (``*_all``, gaps, the buy-till-you-die summary) are
built in any case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# (longest label horizon in days, windows): the first row whose horizon covers the label's wins.
_WINDOWS_BY_HORIZON: tuple[tuple[int, tuple[int, ...]], ...] = (
    (30, (7, 30, 90)),
    (60, (14, 30, 90, 180)),
    (120, (30, 90, 180, 365)),
)
_LONG_HORIZON_WINDOWS = (90, 180, 365, 730)


def auto_windows(horizon_days: int, history_days: int) -> tuple[int, ...]:
    """The look-back windows for a label horizon and the days of history the data holds.

    Args:
        horizon_days: ``label.horizon_days``.
        history_days: days from the first event to the data's as-of date.

    Returns:
        Sorted windows: 7, 30 and 90 days for a 30-day horizon; 30, 90, 180 and
        365 for a 90-day one; windows longer than the history are left out (the
        shortest is always kept).
    """
    windows = next((w for h, w in _WINDOWS_BY_HORIZON if horizon_days <= h), _LONG_HORIZON_WINDOWS)
    kept = tuple(w for w in windows if w <= max(history_days, 0))
    return kept or windows[:1]


# One pass over the event log for what featurize computes: how often each type occurs (the most frequent get
# their own features), the first event (auto windows stop at the history) and whether the type's value varies
# (auto value sums). A value that never changes (a count of 1, always empty) adds nothing a count does not say;
# a varying one (amount, minutes, items) gets value sums. ``min < max``: at least two distinct values, nulls
# aside, the same as ``count(DISTINCT value) > 1`` without a distinct aggregate (Spark's costs a shuffle).
EVENT_TYPE_SUMMARY_SQL = ("SELECT event_type, count(*) AS n, min(timestamp) AS first_event, "
                          "coalesce(min(value) < max(value), FALSE) AS varies "
                          "FROM events GROUP BY event_type ORDER BY n DESC, event_type")


@dataclass(frozen=True)
class EventTypeSummary:
    """What the event log holds, read from :data:`EVENT_TYPE_SUMMARY_SQL`'s rows."""

    event_types: tuple[str, ...]      # the most frequent types, most frequent first (ties by name)
    first_event: dt.datetime | None   # None: no events
    varying: tuple[str, ...]          # of ``event_types``, those whose value varies, by name


def summarise_event_types(rows: list[tuple], max_event_types: int, excluded: tuple[str, ...]) -> EventTypeSummary:
    """The kept event types, the first event and the varying value types from the summary's rows.

    Args:
        rows: ``(event_type, n, first_event, varies)``, most frequent first (the SQL's order).
        max_event_types: ``featurize.max_event_types``.
        excluded: types that never get value sums (``featurize.passive_event_types``).
    """
    kept = rows[:max_event_types]
    firsts = [r[2] for r in rows if r[2] is not None]
    return EventTypeSummary(event_types=tuple(r[0] for r in kept), first_event=min(firsts) if firsts else None,
                            varying=tuple(sorted(r[0] for r in kept if r[3] and r[0] not in excluded)))


# Customer columns that hold a monthly fee, as exports name them (matched ignoring case; the first present wins).
REVENUE_NAMES: tuple[str, ...] = ("monthly_fee", "mrr", "monthly_recurring_revenue", "monthly_revenue",
                                  "monthly_charges", "monthly_charge", "monthly_price", "arpu", "subscription_fee",
                                  "fee")
CONTRACT_NAMES: tuple[str, ...] = ("contract", "contract_type", "contract_term", "billing_cycle", "plan_term")


def find_column(attributes: dict[str, str], names: tuple[str, ...], numeric: bool) -> str | None:
    """The first attribute (name -> SQL type) called one of ``names``, numeric or text as asked; or None."""
    by_lower = {a.lower(): a for a in attributes}
    for name in names:
        a = by_lower.get(name)
        if a is None:
            continue
        is_number = any(k in attributes[a].upper() for k in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL"))
        if is_number == numeric:
            return a
    return None
