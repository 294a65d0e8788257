"""The report's section "Did the last campaign work?", and the holdout note beside the call table.

Reads the measure stage's results (``data/campaigns/results.csv``) and the scored
list's campaign columns; every text comes from ``locales/<language>/campaign.yaml``.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from models.retention import i18n
from models.retention.campaigns.measure import headline
from models.retention.report.charts import hbar_chart_svg, nice_max

_COLOURS = ("#1d4ed8", "#9ca3af")


def _points(value: float, language: str) -> str:
    return i18n.format_number(100 * value, language, 1)


def _segment_label(segment: str, value: str, language: str, profile: str | None) -> str:
    name = i18n.t(f"campaign.segment_names.{segment}", language)
    if segment == "risk_tier":
        text = i18n.lookup(f"tiers.{value}", language, default=value, profile=profile)
    elif segment == "driver_family":
        text = i18n.lookup(f"families.{value}", language, default=value, profile=profile)
    else:
        text = str(i18n.lookup(f"actions.{value}", language, default=value, profile=profile)).split(":")[0]
    return f"{name}: {text}"


def _segments(results: pd.DataFrame, campaign: str, language: str, profile: str | None) -> list[dict[str, str]]:
    rows = results[(results["campaign_id"].astype(str) == campaign) & (results["analysis"] == "itt")
                   & (results["segment"] != "overall")]
    out = []
    for r in rows.to_dict("records"):
        out.append({
            "segment": _segment_label(r["segment"], str(r["segment_value"]), language, profile),
            "customers": (f"{i18n.format_number(r['n_contact'], language)} / "
                          f"{i18n.format_number(r['n_holdout'], language)}"),
            "contact": i18n.format_percent(r["churn_rate_contact"], language, 1),
            "holdout": i18n.format_percent(r["churn_rate_holdout"], language, 1),
            "difference": "—" if pd.isna(r["difference"]) else
            f"{_points(r['difference'], language)} ({_points(r['difference_lower'], language)} – "
            f"{_points(r['difference_upper'], language)})",
        })
    return out


def _lines(last: pd.Series, results: pd.DataFrame, language: str, currency: str) -> list[str]:
    L = language
    lines = []
    if last["conclusion"] == "not_detectable" and not pd.isna(last["customers_needed"]) \
            and math.isfinite(last["customers_needed"]):
        lines.append(i18n.t("campaign.needed", L, n=i18n.format_number(round(last["customers_needed"], -2), L)))
    lines.append(i18n.t("campaign.saved", L, saved=i18n.format_number(last["saved"], L),
                        lower=i18n.format_number(last["saved_lower"], L),
                        upper=i18n.format_number(last["saved_upper"], L), n=i18n.format_number(last["n_contact"], L)))
    cost = i18n.format_money(last["cost"], L, currency)
    if pd.isna(last["retained_value"]):
        lines.append(i18n.t("campaign.value_unknown", L, cost=cost))
    else:
        lines.append(i18n.t("campaign.value", L, value=i18n.format_money(last["retained_value"], L, currency),
                            cost=cost, roi=i18n.format_percent(last["roi"], L)))
    only = results[(results["campaign_id"] == last["campaign_id"]) & (results["analysis"] == "contacted_only")
                   & (results["segment"] == "overall")]
    if len(only):
        o = only.iloc[0]
        lines.append(i18n.t("campaign.contacted_only", L, n=i18n.format_number(o["n_contact"], L),
                            rate_contact=i18n.format_percent(o["churn_rate_contact"], L, 1),
                            difference=_points(o["difference"], L)))
    return lines


def _chart(last: pd.Series, language: str, horizon: int) -> dict[str, Any]:
    L = language
    title = i18n.t("campaign.chart", L, horizon=horizon)
    rates = [float(last["churn_rate_contact"]), float(last["churn_rate_holdout"])]
    svg = hbar_chart_svg([i18n.t("campaign.contacted", L), i18n.t("campaign.holdout", L)], rates,
                         [i18n.format_percent(r, L, 1) for r in rates], title,
                         notes=[i18n.t("campaign.customers", L, n=i18n.format_number(last[k], L))
                                for k in ("n_contact", "n_holdout")],
                         colours=list(_COLOURS), max_value=nice_max(max(rates) or 0.01), language=L,
                         zero_is_data=True)   # both groups measured: 0 % is a result
    return {"title": title, "svg": svg}


def holdout_note(scored: pd.DataFrame, language: str) -> str | None:
    """How many customers of the list's campaign are held out, and why (None when nobody is)."""
    if "campaign_group" not in scored.columns:
        return None
    held = scored[scored["campaign_group"] == "holdout"]
    if held.empty:
        return None
    return i18n.t("campaign.holdout_note", language, n=i18n.format_number(len(held), language),
                  campaign=str(held["campaign_id"].iloc[0]))


def campaign_view(results: pd.DataFrame | None, language: str, currency: str, horizon: int,
                  profile: str | None = None, waiting: int = 0) -> dict[str, Any]:
    """The section's display values: the verdict, the chart, saves, value, ROI, segments and the method."""
    L = language
    last = headline(results) if results is not None and len(results) else None
    view: dict[str, Any] = {"heading": i18n.t("campaign.heading", L), "measured": last is not None,
                            "waiting": i18n.t("campaign.waiting", L, n=waiting) if waiting else None}
    if last is None:
        return {**view, "none": i18n.t("campaign.none", L)}
    campaign = str(last["campaign_id"])
    verdict = i18n.t(f"campaign.{last['conclusion']}", L, campaign=campaign,
                     date=i18n.format_date(str(last["campaign_date"]), L), horizon=horizon,
                     rate_contact=i18n.format_percent(last["churn_rate_contact"], L, 1),
                     rate_holdout=i18n.format_percent(last["churn_rate_holdout"], L, 1),
                     difference=_points(abs(last["difference"]) if last["conclusion"] == "more_churned"
                                        else last["difference"], L),
                     lower=_points(last["difference_lower"], L), upper=_points(last["difference_upper"], L))
    return {**view, "conclusion": str(last["conclusion"]), "verdict": verdict,
            "lines": _lines(last, results, L, currency), "chart": _chart(last, L, horizon),
            "segments": _segments(results, campaign, L, profile),
            "segments_heading": i18n.t("campaign.segments_heading", L),
            "columns": {k: i18n.t(f"campaign.columns.{k}", L)
                        for k in ("segment", "customers", "contact", "holdout", "difference")},
            "method": i18n.t("campaign.method", L)}
