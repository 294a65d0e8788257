"""The report's campaign segments: customers with the same driver and action, counted, summed and sorted."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from models.retention.report import render_report
from models.retention.report.segments import segment_table, segment_view
from tests.models.retention.report_example import example_context, retail_context


def _scored() -> pd.DataFrame:
    return pd.DataFrame({
        "rank": [1, 2, 3, 4, 5, 6],
        "customer_id": list("abcdef"),
        "churn_probability": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
        "value_at_risk": [9.0, 80.0, 7.0, np.nan, 5.0, 100.0],
        "driver_family": ["usage", "complaints", "usage", "", "usage", "usage"],
        "action_code": ["WINBACK_OFFER", "SERVICE_RECOVERY", "WINBACK_OFFER", "REENGAGEMENT", "WINBACK_OFFER",
                        "WINBACK_OFFER"],
        "recommended_action": ["win back", "recover", "win back", "re-engage", "win back", "win back"],
        "campaign_group": ["contact", "contact", "contact", "contact", "holdout", ""],
    })


def test_segments_count_the_customers_to_contact_by_driver_and_action_sorted_by_value_at_risk():
    table = segment_table(_scored())
    assert table["segment"].tolist() == ["complaints/SERVICE_RECOVERY", "usage/WINBACK_OFFER", "none/REENGAGEMENT"]
    assert table["customers"].tolist() == [1, 2, 1], "the holdout and the customers not targeted are left out"
    assert np.allclose(table["expected_leavers"], [0.8, 1.6, 0.6])
    assert table["value_at_risk"].iloc[:2].tolist() == [80.0, 16.0] and np.isnan(table["value_at_risk"].iloc[2])
    assert table["recommended_action"].tolist() == ["recover", "win back", "re-engage"]


def test_the_scored_lists_segment_column_is_read_when_present():
    scored = _scored().assign(segment=["x/A", "y/B", "x/A", "y/B", "x/A", "x/A"])
    assert segment_table(scored)["segment"].tolist() == ["y/B", "x/A"]


def test_segment_view_speaks_both_languages_and_both_kinds_of_business():
    en = segment_view(_scored(), "en", "USD", "non_contract")
    assert en["rows"][0]["label"] == "Complaints → Service recovery within 48 hours"
    assert en["rows"][2]["label"].startswith("No single driver → ")
    assert en["columns"]["leavers"] == "Expected not to buy again" and en["rows"][1]["value_at_risk"] == "$16"
    assert "4 customers" in en["intro"] and "3 segments" in en["heading"]
    ja = segment_view(_scored(), "ja", "JPY", "subscription")
    assert ja["columns"]["leavers"] == "解約見込み数" and ja["rows"][0]["value_at_risk"] == "￥80"
    assert not any(re.search(r"[A-Za-z]{4,}", r["label"]) for r in ja["rows"])
    assert segment_view(_scored(), "en", "USD", value_known=False)["rows"][0]["value_at_risk"] == "–"


def test_more_segments_than_shown_are_summed_in_one_line():
    view = segment_view(_scored(), "en", "USD", max_segments=1)
    assert len(view["rows"]) == 1 and view["more"].startswith("…and 2 smaller segments (3 customers)")


def test_the_report_shows_the_segments_above_the_call_table_in_both_languages():
    for ctx, language in ((example_context(), "en"), (retail_context(language="ja", currency="JPY"), "ja")):
        html = render_report(ctx, language)
        assert 'id="action-segments"' in html and html.index('id="action-segments"') < html.index('id="customers"')
        shown = re.findall(r'<tr data-segment="([^"]+)">', html)
        expected = segment_table(ctx.scored)["segment"].head(12).tolist()
        assert shown == expected and len(shown) >= 2
