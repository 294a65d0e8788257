"""Churn labels at each fully observed cutoff.

``label.mode: churn_date``: a customer eligible at cutoff T is labelled 1 if
their ``churn_date`` falls in (T, T + H]. Labels only read what happens after
T; eligibility only reads what is known at T.
"""

from __future__ import annotations

from features.build import Dialect


def eligibility_sql(min_tenure_days: int, d: Dialect = Dialect()) -> str:
    """SQL predicate over aliases ``c`` (customers) and ``k`` (cutoffs): active at the cutoff.

    Active means signed up on or before T and not churned on or before T, with
    at least ``min_tenure_days`` of tenure.
    """
    return (
        f"c.signup_date <= k.cutoff AND (c.churn_date IS NULL OR c.churn_date > k.cutoff) "
        f"AND {d.days_between('c.signup_date', 'k.cutoff')} >= {int(min_tenure_days)}"
    )


def label_sql(horizon_days: int, min_tenure_days: int, d: Dialect = Dialect()) -> str:
    """The label query over relations ``customers`` and ``cutoffs`` (only fully labelled cutoffs).

    Args:
        horizon_days: the label horizon H in days.
        min_tenure_days: eligibility's minimum tenure at the cutoff.
        d: the SQL dialect.

    Returns:
        SQL returning (customer_id, cutoff, label) sorted by cutoff and customer.
    """
    h = int(horizon_days)
    return f"""
SELECT c.customer_id, k.cutoff,
       CAST(CASE WHEN c.churn_date > k.cutoff AND c.churn_date <= k.cutoff + INTERVAL {h} DAY
                 THEN 1 ELSE 0 END AS INTEGER) AS label
FROM customers c CROSS JOIN cutoffs k
WHERE {eligibility_sql(min_tenure_days, d)}
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
