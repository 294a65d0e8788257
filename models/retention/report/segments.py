"""The report's campaign segments above the call table: customers with the same driver and action, one campaign each.

A manager of 3,000 customers reads a few groups (who, how many, how many expected to leave, the value at risk
and what to do) before the rows. The groups are the scored list's ``segment`` column
(``models.retention.segment_key.campaign_segment``); every text comes from ``locales/<language>/segments.yaml``.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from models.retention import i18n
from models.retention.segment_key import NO_DRIVER, campaign_segment

# Segments shown; the rest are summed in one line ("…and 4 smaller segments").
MAX_SEGMENTS = 12
_TITLE_END = re.compile(r"[:：]")


def _to_contact(scored: pd.DataFrame) -> pd.DataFrame:
    """The customers a campaign reaches this cycle: the contact group when the list has one, else everybody but
    the holdout and those told not to be contacted this cycle (``NO_CONTACT``)."""
    if "campaign_group" in scored.columns and (scored["campaign_group"] == "contact").any():
        return scored[scored["campaign_group"] == "contact"]
    if "campaign_group" in scored.columns:
        scored = scored[scored["campaign_group"] != "holdout"]
    if "action_code" in scored.columns:
        scored = scored[scored["action_code"] != "NO_CONTACT"]
    return scored


def segment_table(scored: pd.DataFrame) -> pd.DataFrame:
    """One row per campaign segment of the customers to contact, by falling value at risk (then size, then key).

    Columns: ``segment``, ``driver_family``, ``action_code``, ``customers``, ``expected_leavers`` (sum of the
    probabilities), ``value_at_risk`` (sum; NaN when no customer of the segment has a value) and
    ``recommended_action`` (the text of the segment's best-ranked customer).
    """
    rows = _to_contact(scored)
    if "segment" not in rows.columns and "action_code" in rows.columns:   # a list scored before the column existed
        rows = rows.assign(segment=campaign_segment(rows["driver_family"], rows["action_code"]))
    if "segment" not in rows.columns:
        rows = rows.iloc[:0].assign(segment="")
    if "rank" in rows.columns:
        rows = rows.sort_values("rank", kind="stable")
    value = pd.to_numeric(rows["value_at_risk"], errors="coerce")
    grouped = rows.assign(_p=rows["churn_probability"].astype(float), _v=value).groupby("segment", sort=True)
    table = pd.DataFrame({
        "customers": grouped.size(),
        "expected_leavers": grouped["_p"].sum(),
        "value_at_risk": grouped["_v"].sum(min_count=1),
        "recommended_action": grouped["recommended_action"].first(),
    }).reset_index()
    parts = table["segment"].str.split("/", n=1, expand=True).reindex(columns=[0, 1]).fillna("")
    table["driver_family"], table["action_code"] = parts[0], parts[1]
    table = table.sort_values(["value_at_risk", "customers", "segment"], ascending=[False, False, True],
                              na_position="last", kind="stable")
    return table.reset_index(drop=True)[["segment", "driver_family", "action_code", "customers", "expected_leavers",
                                         "value_at_risk", "recommended_action"]]


def _label(driver: str, action_code: str, action_text: str, language: str, profile: str | None) -> str:
    """"Buying → Win-back offer": the driver's name and the action's short title."""
    name = (i18n.t("action_segments.no_driver", language) if driver in ("", NO_DRIVER)
            else i18n.lookup(f"families.{driver}", language, default=driver, profile=profile))
    text = str(i18n.lookup(f"actions.{action_code}", language, default=action_text or action_code, profile=profile))
    label = i18n.t("action_segments.label", language, driver=name, action=_TITLE_END.split(text, maxsplit=1)[0])
    return label[:1].upper() + label[1:]


def segment_view(scored: pd.DataFrame, language: str, currency: str, profile: str | None = None,
                 value_known: bool = True, max_segments: int = MAX_SEGMENTS) -> dict[str, Any]:
    """The template's ``action_segments``: heading, intro, column names, rows (texts) and the rest in one line."""
    kind = "non_contract" if profile == "non_contract" else "subscription"
    L = language
    table = segment_table(scored)
    shown, rest = table.head(max_segments), table.iloc[max_segments:]
    rows = [{
        "segment": r["segment"],
        "label": _label(r["driver_family"], r["action_code"], r["recommended_action"], L, profile),
        "customers": i18n.format_number(int(r["customers"]), L),
        "expected_leavers": i18n.format_number(float(r["expected_leavers"]), L, 1),
        "value_at_risk": i18n.format_money(r["value_at_risk"] if value_known else None, L, currency),
        "value_sort": float(r["value_at_risk"]) if value_known and pd.notna(r["value_at_risk"]) else -1.0,
        "action": str(r["recommended_action"] or ""),
    } for r in shown.to_dict("records")]
    n, customers = len(table), int(table["customers"].sum())
    columns = {k: i18n.t(f"action_segments.columns.{k}", L) for k in ("segment", "customers", "action")}
    columns |= {k: i18n.t(f"action_segments.columns.{k}.{kind}", L) for k in ("leavers", "value_at_risk")}
    return {
        "heading": i18n.t("action_segments.heading", L, n=i18n.format_number(n, L)),
        "intro": i18n.t(f"action_segments.intro.{kind}", L, n=i18n.format_number(n, L),
                        customers=i18n.format_number(customers, L)),
        "columns": columns,
        "rows": rows,
        "more": (i18n.t("action_segments.more", L, n=i18n.format_number(len(rest), L),
                        customers=i18n.format_number(int(rest["customers"].sum()), L)) if len(rest) else ""),
    }
