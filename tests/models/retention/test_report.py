"""The HTML retention report: content, escaping, both languages, self-containment."""

from __future__ import annotations

import datetime as dt
import html
import re

import numpy as np
import pandas as pd
import pytest

from models.retention import i18n
from models.retention.report import ReportContext, render_report
from tests.models.retention.report_example import example_context


@pytest.fixture(scope="module", params=["en", "ja"])
def rendered(request) -> tuple[str, str, ReportContext]:
    ctx = example_context(n_customers=120, top_n=25, language=request.param)
    return request.param, render_report(ctx, request.param), ctx


def test_self_contained(rendered):
    _, html, _ = rendered
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "<link" not in html
    assert html.count("<svg") >= 5


def test_headline_and_quality(rendered):
    lang, html, ctx = rendered
    assert f'<html lang="{lang}">' in html
    assert i18n.format_number(ctx.customers_scored, lang) in html
    assert i18n.format_money(ctx.revenue_at_risk, lang, "USD") in html
    if lang == "en":
        assert "the 10% it rates riskiest contain 3.1× more leavers than average" in html
        assert "ROC-AUC 0.82 on 30 November 2024, a month it had not seen" in html
    else:
        assert "平均の3.1倍の解約者" in html and "2024年11月30日" in html
        assert "解約率と継続率の推移" in html


def test_table_rows_and_escaping(rendered):
    _, html, ctx = rendered
    assert html.count('<tr data-tier="') == 25
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html or "C1" in html


def test_missing_columns_and_empty_sections():
    ctx = example_context(n_customers=20, top_n=5)
    with pytest.raises(ValueError, match="missing columns"):
        render_report(ReportContext(**{**ctx.__dict__, "scored": ctx.scored.drop(columns=["reason_3"])}), "en")
    bare = ReportContext(
        as_of=dt.date(2024, 1, 31), customers_scored=2, expected_churners=0.5, revenue_at_risk=float("nan"),
        horizon_days=30, churn_trend=pd.DataFrame(columns=["cutoff", "churn_rate", "retention_rate"]),
        model_quality={"roc_auc": 0.55, "top_decile_lift": 1.1, "cv_folds": 3},
        scored=pd.DataFrame({
            "rank": [1, 2], "customer_id": ["=cmd|' /C calc'!A0", "x"], "churn_probability": [0.3, 0.2],
            "risk_tier": ["medium", "low"], "value_at_risk": [np.nan, 1.0], "reason_1": ["", ""],
            "reason_2": ["", ""], "reason_3": ["", ""], "driver_family": ["", ""], "recommended_action": ["", ""],
        }),
        driver_importance=pd.DataFrame({"family": ["usage"], "share": [1.0]}),
    )
    for lang in ("en", "ja"):
        html = render_report(bare, lang)
        assert "=cmd|&#39; /C calc&#39;!A0" in html
        assert 'id="trend"' not in html and 'id="drift"' not in html and 'id="segments"' not in html
    assert "only a little better than chance" in render_report(bare, "en")
    assert "averaged over 3 time-ordered test periods" in render_report(bare, "en")


@pytest.mark.parametrize("language, words", [
    ("en", ["scored by this run's own model (version 3)", "did not pass the quality gate",
            "the champion (version 1) was trained on other data"]),
    ("ja", ["バージョン3", "品質基準を満たさなかった", "本番モデル（バージョン1）は別のデータで学習"]),
])
def test_a_list_scored_by_a_model_that_failed_the_gate_says_so(language, words):
    ctx = example_context(n_customers=20, top_n=5, language=language)
    assert 'id="model-warning"' not in render_report(ctx, language)
    champion = {"version": "1", "warning": False, "own_model": True}
    assert 'id="model-warning"' not in render_report(ReportContext(**{**ctx.__dict__, "scoring": champion}), language)
    fallback = {"version": "3", "warning": True, "own_model": True, "champion_version": "1"}
    page = html.unescape(render_report(ReportContext(**{**ctx.__dict__, "scoring": fallback}), language))
    assert 'id="model-warning"' in page
    for w in words:
        assert w in page, w
    none_yet = {"version": "1", "warning": True, "own_model": True}
    assert i18n.t("report.model_warning.no_champion", language) in render_report(
        ReportContext(**{**ctx.__dict__, "scoring": none_yet}), language)


@pytest.mark.parametrize("language,best,words", [
    ("en", 0.70, ["beats the best simple method, the BG/NBD buy-till-you-die model (ROC-AUC 0.700 against the "
                  "model's 0.820)"]),
    ("en", 0.85, ["A simple method ranks these customers as well or better", "ROC-AUC 0.850"]),
    ("ja", 0.70, ["BG/NBDモデル", "上回っています"]),
    ("ja", 0.85, ["同等以上", "0.850"]),
])
def test_the_quality_section_compares_the_model_with_the_best_baseline(language, best, words):
    ctx = example_context(n_customers=30, top_n=5, language=language)
    quality = {**ctx.model_quality, "best_baseline": "bgnbd", "best_baseline_roc_auc": best}
    page = html.unescape(render_report(ReportContext(**{**ctx.__dict__, "model_quality": quality}), language))
    for w in words:
        assert w in page
    assert 'id="baseline-comparison"' not in render_report(ctx, language), "no baseline: no sentence"


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_retailers_report_speaks_of_buying_again_and_spend(language):
    from tests.models.retention.report_example import retail_context

    ctx = retail_context(n_customers=80, top_n=20, language=language, currency="JPY" if language == "ja" else "USD")
    page = html.unescape(render_report(ctx, language))
    text = re.sub(r"<[^>]+>", " ", page)
    if language == "en":
        for words in ("Customers least likely to buy again in the next 90 days",
                      "Spend at risk over the next 12 months",
                      "Repeat-purchase rate", "did not buy again", "Average spend per customer in the 365 days",
                      "Average ticket satisfaction (1–5) in the 90 days", "the BG/NBD buy-till-you-die model"):
            assert words in text, words
        for words in ("contract", "webinar", "Churn rate", "leave in the next"):
            assert words not in text, words
    else:
        for words in ("今後90日間に再購入しない可能性が高い顧客", "再購入率", "今後12か月の購入見込み額", "平均購入額"):
            assert words in text, words
        assert "契約" not in text and "￥" in text   # Japanese yen, as Babel writes it for ja


def test_without_revenue_the_report_says_the_value_is_unknown_and_why():
    ctx = example_context(n_customers=30, top_n=5)
    unknown = ReportContext(**{**ctx.__dict__, "value_known": False,
                               "scored": ctx.scored.assign(value_at_risk=float("nan"))})
    text = html.unescape(render_report(unknown, "en"))
    assert "unknown: the data has no fee column and no purchase amounts; the list is ranked by risk" in text


def _small_report(language: str, profile: str = "subscription", display_names: dict | None = None, **columns) -> str:
    n = len(next(iter(columns.values())))
    scored = pd.DataFrame({
        "rank": np.arange(1, n + 1), "customer_id": [f"C{i}" for i in range(n)], "churn_probability": 0.5,
        "risk_tier": "high", "value_at_risk": 5.0, "reason_1": "", "reason_2": "", "reason_3": "",
        "driver_family": "", "recommended_action": "", **columns})
    ctx = ReportContext(
        as_of=dt.date(2024, 1, 31), customers_scored=n, expected_churners=0.5, revenue_at_risk=1.0, horizon_days=30,
        churn_trend=pd.DataFrame(columns=["cutoff", "churn_rate", "retention_rate"]),
        model_quality={"roc_auc": 0.7, "top_decile_lift": 2.0}, scored=scored, top_n=n,
        driver_importance=pd.DataFrame({"family": ["usage"], "share": [1.0]}), profile=profile,
        display_names=display_names)
    return render_report(ctx, language)


@pytest.mark.parametrize("language, profile, cells", [
    ("en", "subscription", ["less than a day", "1 day", "30 days", "1 month", "11 months", "1 year", "2 years", ""]),
    ("ja", "subscription", ["1日未満", "1日", "30日", "1か月", "11か月", "1年", "2年", ""]),
    ("en", "non_contract", ["today", "yesterday", "30 days ago", "1 month ago", "11 months ago", "1 year ago",
                            "2 years ago", ""]),
    ("ja", "non_contract", ["本日", "昨日", "30日前", "1か月前", "11か月前", "1年前", "2年前", ""]),
])
def test_the_table_counts_time_as_a_customer_as_the_reasons_do(language, profile, cells):
    days = [0.0, 1.0, 30.0, 31.0, 354.0, 365.0, 800.0, np.nan]
    page = _small_report(language, profile, tenure_days=days)
    got = re.findall(r'<td class="num" data-sort="(-1|\d+\.0)">([^<]*)</td>', page)
    assert got == [(str(d) if d == d else "-1", c) for d, c in zip(days, cells)]


@pytest.mark.parametrize("language, cells", [
    ("en", ["premium", "Northern region", "pro plan", "south east", "", ""]),
    ("ja", ["プレミアム", "北日本", "プロ（旧）", "south east", "", ""]),
])
def test_the_table_and_segment_charts_name_plans_and_regions_as_the_reasons_do(language, cells):
    names = {"region": {"values": {"north": {"en": "Northern region", "ja": "北日本"}}},
             "pro_legacy": {"en": "pro plan", "ja": "プロ（旧）"}}
    page = _small_report(language, display_names=names, plan=["premium", "pro_legacy", None],
                         region=pd.Categorical(["north", "south_east", None]))
    got = re.findall(r'<td data-sort="([^"]*)">([^<]*)</td>', page)
    plan, region = [c for _, c in got[0::2]], [c for _, c in got[1::2]]
    assert [plan[0], region[0], plan[1], region[1], plan[2], region[2]] == cells
    bars = set(re.findall(r"<title>([^<]*): 50[.,]0%</title>", page.split('id="segments"', 1)[1]))
    assert bars == {cells[0], cells[1], cells[2], cells[3], "–"}, "the segment charts' bars are named the same way"
    assert "south_east" not in page and "pro_legacy" not in page
