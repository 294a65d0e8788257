"""The business's own measures over the cutoffs, from the features and labels: value, NPS and CSAT.

Churn and retention rate (for a non-contract business: the share that did not buy again, and the
repeat-purchase rate) come from the label stage's summary. Beside them, over the same labelled cutoffs
and the same eligible customers:

* ``average_value``: a subscription's mean monthly fee; a non-contract business's mean spend in the
  longest window up to a year before each cutoff (the customer value the spend implies);
* ``nps``: the Net Promoter Score of the answers given in the 90 days before each cutoff
  (% promoters, 9–10, minus % detractors, 0–6), when the data has ``nps`` events;
* ``csat``: the mean satisfaction (1–5) of tickets of the 90 days before each cutoff, when tickets are rated.

A measure the data cannot give is left out.
"""

from __future__ import annotations

import re

from features.sql import ident

NPS_WINDOW_DAYS = 90


def value_column(columns: list[str], profile: str, spend: str | None) -> tuple[str | None, int | None]:
    """The feature behind ``average_value`` and its window in days (None for the fee, which has none)."""
    if profile == "non_contract":
        if spend is None:
            return None, None
        windows = sorted(int(m.group(1)) for c in columns
                         if (m := re.fullmatch(rf"events_{re.escape(spend)}_value_sum_(\d+)d", c)))
        usable = [w for w in windows if w <= 365]
        if usable:
            return f"events_{spend}_value_sum_{usable[-1]}d", usable[-1]
        return None, None
    return ("monthly_fee", None) if "monthly_fee" in columns else (None, None)


def csat_column(columns: list[str]) -> str | None:
    """``satisfaction_mean_<w>d`` for the window closest to 90 days, if the features have one."""
    windows = [int(m.group(1)) for c in columns if (m := re.fullmatch(r"satisfaction_mean_(\d+)d", c))]
    return f"satisfaction_mean_{min(windows, key=lambda w: abs(w - 90))}d" if windows else None


def trend_sql(columns: list[str], profile: str, spend: str | None) -> tuple[str, list[str]]:
    """SQL over views ``features`` and ``labels``: one row per labelled cutoff with the measures the data has.

    Returns:
        ``(sql, measures)``; the SQL returns ``cutoff`` and each measure.
    """
    selects, measures = [], []
    value, _ = value_column(columns, profile, spend)
    if value:
        selects.append(f"avg(CAST(f.{ident(value)} AS DOUBLE)) AS average_value")
        measures.append("average_value")
    if {"nps_last_score", "days_since_last_nps"} <= set(columns):
        recent = f"f.days_since_last_nps < {NPS_WINDOW_DAYS}"
        selects.append(f"100.0 * (avg(CASE WHEN {recent} THEN CAST(f.nps_last_score >= 9 AS DOUBLE) END) - "
                       f"avg(CASE WHEN {recent} THEN CAST(f.nps_last_score <= 6 AS DOUBLE) END)) AS nps")
        measures.append("nps")
    csat = csat_column(columns)
    if csat:
        selects.append(f"avg(CAST(f.{ident(csat)} AS DOUBLE)) AS csat")
        measures.append("csat")
    if not selects:
        return "SELECT cutoff FROM labels WHERE FALSE", []
    sql = (f"SELECT l.cutoff, {', '.join(selects)} FROM labels l "
           "JOIN features f ON f.customer_id = l.customer_id AND f.cutoff = l.cutoff "
           "GROUP BY l.cutoff ORDER BY l.cutoff")
    return sql, measures
