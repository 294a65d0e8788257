"""The report's drift panel: at most five inputs shown, the rest behind "show all", ageing named apart, a verdict."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

from models.retention import i18n
from models.retention.labels import feature_label
from models.retention.report import render_report
from pipeline.stages.report import drift_lists
from tests.models.retention.report_example import example_context

FEATURES = ["monthly_fee", "events_login_count_30d", "tickets_complaint_count_90d", "days_since_last_event",
            "payment_failed_count_30d", "price_change_pct_90d", "events_login_count_all", "satisfaction_mean_90d"]


def _drift() -> pd.DataFrame:
    rows = [(f, 3.0 - 0.3 * i, True, "per_day" if f.endswith("_all") else "as_is", 3.0 - 0.3 * i)
            for i, f in enumerate(FEATURES)]
    rows += [("active_days_all", 0.9, False, "per_day", 0.05), ("tenure_days", 1.4, False, "ageing", float("nan")),
             ("days_to_renewal", 0.05, False, "as_is", 0.05)]
    return pd.DataFrame(rows, columns=["feature", "psi", "drifted", "compared_as", "psi_compared"])


def _context(language: str, verdict: dict | None):
    warnings, expected = drift_lists(_drift(), 0.2)
    return dataclasses.replace(example_context(language=language), drift_warnings=warnings, drift_expected=expected,
                               drift_verdict=verdict)


VERDICT = {"status": "holds", "latest": 0.716, "latest_cutoff": "2024-11-30", "earlier": 0.702,
           "earlier_first": "2024-10-31", "earlier_last": "2024-10-31", "n_earlier": 1}


def _section(html: str) -> str:
    return re.search(r'<section class="drift[^"]*" id="drift">(.*?)</section>', html, re.S).group(1)


def test_the_drift_lists_split_real_shifts_from_ageing():
    warnings, expected = drift_lists(_drift(), 0.2)
    assert [w["feature"] for w in warnings] == FEATURES
    assert expected == ["active_days_all", "tenure_days"]
    old = _drift()[["feature", "psi", "drifted"]]   # a drift.csv from before the per-day comparison
    assert [w["feature"] for w in drift_lists(old, 0.2)[0]] == FEATURES


@pytest.mark.parametrize("language", ["en", "ja"])
def test_at_most_five_inputs_are_shown_and_the_rest_are_behind_show_all(language):
    panel = _section(render_report(_context(language, VERDICT), language))
    shown = re.search(r'<ul class="drift-shown">(.*?)</ul>', panel, re.S).group(1)
    assert shown.count("<li>") == 5
    hidden = re.search(r"<details class=\"drift-all\"><summary>(.*?)</summary>(.*?)</details>", panel, re.S)
    assert hidden.group(1) == i18n.t("report.drift.show_all", language, n="8")
    assert hidden.group(2).count("<li>") == 3
    per_day = i18n.t("report.drift.item_per_day", language, feature="@", psi="@").split("@")[1]
    assert per_day in panel, "a lifetime total says it was compared per day"
    expected = re.search(r'<p class="drift-expected">(.*?)</p>', panel, re.S).group(1)
    assert expected.startswith(i18n.t("report.drift.expected", language, features="@").split("@")[0])
    assert all(feature_label(f, language) in expected for f in ("active_days_all", "tenure_days"))
    verdict = re.search(r'<p class="drift-verdict holds">(.*?)</p>', panel, re.S).group(1)
    assert "0.72" in verdict and "0.70" in verdict


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_weaker_score_is_said_plainly(language):
    weaker = {**VERDICT, "status": "weaker", "latest": 0.61}
    panel = _section(render_report(_context(language, weaker), language))
    assert re.search(r'<p class="drift-verdict weaker">[^<]*0.61', panel)
    assert i18n.t("report.drift.verdict_weaker", language, latest="@", cutoff="@", earlier="@",
                  period="@").split("@")[0] in panel


def test_no_shift_but_a_verdict_gives_a_calm_panel():
    ctx = dataclasses.replace(example_context(), drift_warnings=[], drift_expected=["tenure_days"],
                              drift_verdict=VERDICT)
    html = render_report(ctx, "en")
    assert '<section class="drift calm" id="drift">' in html
    assert "Data has changed" not in _section(html) and "<details" not in _section(html)
