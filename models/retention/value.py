"""What a customer's churn would cost: the value at risk over the prediction horizon."""

from __future__ import annotations

from typing import Any

DAYS_PER_MONTH = 30.4375  # 365.25 / 12


def value_at_risk(probability: Any, monthly_revenue: Any, horizon_days: float) -> Any:
    """Expected revenue lost over the horizon: probability × monthly revenue × months.

    Args:
        probability: churn probability (scalar, array or Series).
        monthly_revenue: revenue per month, same shape.
        horizon_days: prediction horizon in days (months = days / 30.4375).

    Returns:
        The value at risk, same type and index as the inputs (NaN where revenue is missing).
    """
    if horizon_days < 0:
        raise ValueError(f"horizon_days must be >= 0, got {horizon_days}")
    return probability * monthly_revenue * (horizon_days / DAYS_PER_MONTH)
