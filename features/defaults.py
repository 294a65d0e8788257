"""Defaults that follow the data: feature windows from the label horizon and the history, value types from the values.

A window much shorter than the horizon is noise for a question about the next
months, and one longer than the data is the whole history under another name;
the whole-history features (``*_all``, gaps, the buy-till-you-die summary) are
built in any case.
"""

from __future__ import annotations

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


def varying_value_types_sql(event_types: list[str] | tuple[str, ...], excluded: tuple[str, ...]) -> str:
    """SQL over the ``events`` view: the event types (of ``event_types``) whose value is not constant.

    A value that never changes (a count of 1, always empty) adds nothing a count
    does not say; a varying one (amount, minutes, items) gets value sums.
    """
    from features.sql import literal

    wanted = [t for t in event_types if t not in excluded]
    if not wanted:
        return "SELECT NULL AS event_type WHERE FALSE"
    return ("SELECT event_type FROM events WHERE event_type IN (" + ", ".join(literal(t) for t in wanted) + ") "
            "GROUP BY event_type HAVING count(DISTINCT value) > 1 ORDER BY event_type")


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
