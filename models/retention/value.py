"""What a customer's churn would cost: the value at risk, by the business's own measure of value.

* **Subscription with a fee** (``monthly_fee``, fed by the customers' fee column such as ``mrr``, or by
  plan and price events): value at risk = churn probability × monthly fee × the horizon in months.
* **Non-contract** (a retailer): value at risk = probability × expected spend over
  ``score.value_horizon_months``, BG/NBD's expected active days × spend per active day (``models/clv/spend.py``).
* **Neither**: no value; the scored list says so in ``value_basis`` and ranking falls back to probability.
"""

from __future__ import annotations

from typing import Any

from models.clv.spend import DAYS_PER_MONTH


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
