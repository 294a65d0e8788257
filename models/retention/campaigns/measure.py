"""What a campaign achieved, measured against its holdout.

Input: one row per assigned customer of a campaign (``group`` contact | holdout,
``churned`` within the label horizon after the campaign date, ``contacted``:
True/False where the team recorded ``contacted_at``, else missing), plus the
segments the list carried (risk tier, action, driver family) and each
customer's value.

Two analyses:

* ``itt`` (intention-to-treat): everyone assigned to ``contact`` against the
  holdout, reached or not. The groups were drawn at random, so this is the
  unbiased effect of *running* the campaign.
* ``contacted_only``: only the contacted customers who were reached against
  the whole holdout. Who the team reaches is not random (reachable customers
  churn less anyway), so this figure is biased; it is reported beside the ITT
  figure, never instead of it.

``difference`` is the contacted group's churn rate minus the holdout's (below
zero: fewer churned), with Newcombe's 95% interval (``stats.py``). ``saved`` is
``-difference x n_contact`` with the interval scaled the same way; retained
value is ``saved x`` the contacted customers' mean value; cost is
``contact_cost`` per customer contacted (reached, where recorded); ROI is
``(retained value - cost) / cost``.
"""

from __future__ import annotations

import math

import pandas as pd

from models.retention.campaigns.stats import customers_needed, newcombe_difference

SEGMENTS: dict[str, str] = {"overall": "", "risk_tier": "risk_tier", "action": "action_code",
                            "driver_family": "driver_family"}
RESULT_COLUMNS: tuple[str, ...] = (
    "campaign_id", "campaign_date", "analysis", "segment", "segment_value", "n_contact", "n_holdout",
    "n_reached", "churn_rate_contact", "churn_rate_holdout", "difference", "difference_lower",
    "difference_upper", "saved", "saved_lower", "saved_upper", "retained_value", "cost", "roi",
    "conclusion", "customers_needed")


def conclusion(lower: float, upper: float) -> str:
    """``fewer_churned`` / ``more_churned`` when the interval excludes zero, else ``not_detectable``."""
    if math.isnan(lower):
        return "not_detectable"
    if upper < 0:
        return "fewer_churned"
    if lower > 0:
        return "more_churned"
    return "not_detectable"


def compare(contact: pd.DataFrame, holdout: pd.DataFrame, contact_cost: float) -> dict[str, float | int | str]:
    """The figures of one contacted group against one holdout (columns ``churned``, ``contacted``, ``value``)."""
    n_c, n_h = len(contact), len(holdout)
    e_c, e_h = int(contact["churned"].sum()), int(holdout["churned"].sum())
    d, lo, hi = newcombe_difference(e_c, n_c, e_h, n_h)
    reached = contact["contacted"]
    n_reached = int(reached.fillna(True).astype(bool).sum())  # not recorded: counted as contacted (cost)
    value = float(contact["value"].mean()) if n_c and contact["value"].notna().any() else math.nan
    saved = -d * n_c if n_c else math.nan
    cost = contact_cost * n_reached
    retained = saved * value if not math.isnan(value) else math.nan
    roi = (retained - cost) / cost if cost > 0 and not math.isnan(retained) else math.nan
    p_c, p_h = (e_c / n_c if n_c else math.nan), (e_h / n_h if n_h else math.nan)
    share = n_h / (n_c + n_h) if n_c + n_h else math.nan
    verdict = conclusion(lo, hi)
    return {
        "n_contact": n_c, "n_holdout": n_h, "n_reached": n_reached,
        "churn_rate_contact": p_c, "churn_rate_holdout": p_h,
        "difference": d, "difference_lower": lo, "difference_upper": hi,
        "saved": saved, "saved_lower": -hi * n_c if n_c else math.nan, "saved_upper": -lo * n_c if n_c else math.nan,
        "retained_value": retained, "cost": cost, "roi": roi, "conclusion": verdict,
        "customers_needed": (customers_needed(p_c, p_h, share) if verdict == "not_detectable" and n_c and n_h
                             else math.nan),
    }


def _analyses(rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame, pd.DataFrame]]:
    holdout = rows[rows["group"] == "holdout"]
    contact = rows[rows["group"] == "contact"]
    out = [("itt", contact, holdout)]
    if contact["contacted"].notna().any():
        out.append(("contacted_only", contact[contact["contacted"].fillna(False).astype(bool)], holdout))
    return out


def measure_campaign(rows: pd.DataFrame, contact_cost: float) -> pd.DataFrame:
    """Every figure of one campaign: per analysis, overall and per risk tier, action and driver family.

    Args:
        rows: the campaign's assigned customers: ``group``, ``churned`` (0/1), ``contacted`` (bool or missing),
            ``value`` (may be missing), and ``risk_tier``, ``action_code``, ``driver_family`` where known.
        contact_cost: cost of one contact (``evaluate.contact_cost``).

    Returns:
        One row per (analysis, segment, segment value), columns of ``RESULT_COLUMNS`` but the campaign's own.
    """
    records = []
    for analysis, contact, holdout in _analyses(rows):
        for segment, column in SEGMENTS.items():
            if column and (column not in rows.columns or rows[column].isna().all()):
                continue
            values = [""] if not column else sorted(rows[column].dropna().astype(str).unique())
            for value in values:
                c = contact if not column else contact[contact[column].astype(str) == value]
                h = holdout if not column else holdout[holdout[column].astype(str) == value]
                records.append({"analysis": analysis, "segment": segment, "segment_value": value,
                                **compare(c, h, contact_cost)})
    return pd.DataFrame.from_records(records)


def measure_campaigns(rows: pd.DataFrame, contact_cost: float) -> pd.DataFrame:
    """:func:`measure_campaign` for every campaign of ``rows`` (columns ``campaign_id``, ``campaign_date`` too)."""
    parts = []
    for (campaign, date), one in rows.groupby(["campaign_id", "campaign_date"], sort=True):
        parts.append(measure_campaign(one, contact_cost).assign(campaign_id=campaign, campaign_date=date))
    if not parts:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    return out[list(RESULT_COLUMNS)]


def headline(results: pd.DataFrame) -> pd.Series | None:
    """The latest measured campaign's overall intention-to-treat row (None when nothing was measured)."""
    itt = results[(results["analysis"] == "itt") & (results["segment"] == "overall")]
    if itt.empty:
        return None
    return itt.sort_values(["campaign_date", "campaign_id"]).iloc[-1]


def rounded(values: pd.Series, digits: int = 6) -> pd.Series:
    """Floats rounded for a stable CSV (the same inputs give the same bytes)."""
    return values.round(digits) if pd.api.types.is_float_dtype(values.dtype) else values
