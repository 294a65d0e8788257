"""Every chart of the report in headless Chromium, for both kinds of business and both languages.

Each chart either draws a real axis (its ticks differ, its points inside the plot) or says "no data"; the drift
panel shows five inputs and keeps the rest folded; screenshots of every chart, the drift panel and the call table
go to ``test-artifacts/report_charts/`` (ignored by git).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd
import pytest

from models.retention import i18n
from models.retention.report import render_report
from pipeline.stages.report import drift_lists
from tests.models.retention.report_example import example_context, retail_context
from tests.models.retention.test_report_browser import _console_problem, _page_error
from tests.models.retention.test_report_drift import VERDICT, _drift
from tests.paths import ARTIFACTS

OUT = ARTIFACTS / "report_charts"
NPS = [-10.0, -17.6, -12.6, -12.9, -11.6, -15.6, -14.6, -16.3, -12.0]

# Per chart: its caption, its tick texts, the y of its points, the plot's height, whether it says "no data".
_CHARTS = """(noData) => Array.from(document.querySelectorAll("figure")).filter(f => f.querySelector("svg.chart"))
  .map(f => {
    const svg = f.querySelector("svg.chart");
    const texts = Array.from(svg.querySelectorAll("text")).map(t => t.textContent);
    return {caption: f.querySelector("figcaption").textContent,
            ticks: Array.from(svg.querySelectorAll("text[text-anchor=end]")).map(t => t.textContent),
            points: Array.from(svg.querySelectorAll("circle")).map(c => +c.getAttribute("cy")),
            height: svg.viewBox.baseVal.height, noData: texts.length === 1 && texts[0] === noData,
            bars: svg.querySelectorAll("rect title").length, line: !!svg.querySelector("polyline")};
  })"""


def _context(profile: str, language: str):
    base = (retail_context(n_customers=300, top_n=30, language=language,
                           currency="JPY" if language == "ja" else "USD")
            if profile == "non_contract" else example_context(n_customers=300, top_n=30, language=language))
    cutoffs = pd.to_datetime(base.churn_trend["cutoff"]).dt.strftime("%Y-%m-%d").tolist()
    n = len(cutoffs)
    measures = pd.DataFrame({"cutoff": cutoffs, "nps": (NPS * 2)[:n],
                             "average_value": base.measures["average_value"].to_numpy()[:n]
                             if base.measures is not None else np.linspace(19, 21, n),
                             "csat": np.zeros(n)})     # a CSAT that is all zero: "no data", not a flat line
    warnings, expected = drift_lists(_drift(), 0.2)
    return dataclasses.replace(base, measures=measures, measure_windows={"average_value": 365, "nps": 90, "csat": 90},
                               drift_warnings=warnings, drift_expected=expected, drift_verdict=VERDICT)


@pytest.mark.parametrize("profile", ["subscription", "non_contract"])
@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_chart_has_a_real_axis_or_says_no_data(browser, profile, language, tmp_path):
    ctx = _context(profile, language)
    path = tmp_path / f"report_{profile}_{language}.html"
    path.write_text(render_report(ctx, language), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", functools.partial(_console_problem, problems))
    page.on("pageerror", functools.partial(_page_error, problems))
    page.on("request", lambda r: problems.append(f"network request: {r.url}")
            if not r.url.startswith(("file:", "data:")) else None)
    page.goto(path.as_uri())

    no_data = i18n.t("report.charts.no_data", language)
    charts = page.evaluate(_CHARTS, no_data)
    assert len(charts) >= 7, [c["caption"] for c in charts]
    by_caption = {c["caption"]: c for c in charts}
    assert by_caption[i18n.t("report.charts.csat_trend", language, profile=profile, w=90)]["noData"]
    nps = by_caption[i18n.t("report.charts.nps_trend", language, profile=profile, w=90)]
    assert not nps["noData"] and any(t.startswith(("-", "−")) for t in nps["ticks"]), nps["ticks"]
    for c in charts:
        if c["noData"]:
            continue
        assert c["line"] or c["bars"], c
        if c["line"]:
            assert len(set(c["ticks"])) == len(c["ticks"]) >= 2, f"degenerate axis: {c}"
            assert all(0 <= y <= c["height"] for y in c["points"]), f"points off the plot: {c}"

    # the drift panel: five inputs, the rest folded until "show all" is opened
    panel = page.locator("#drift")
    assert panel.locator("ul.drift-shown li").count() == 5
    hidden = panel.locator("details.drift-all li")
    assert hidden.count() == 3 and not hidden.first.is_visible()
    panel.locator("details.drift-all summary").click()
    assert hidden.first.is_visible()
    assert panel.locator(".drift-verdict").is_visible() and panel.locator(".drift-expected").is_visible()

    shots = OUT / f"{profile}_{language}"
    shots.mkdir(parents=True, exist_ok=True)
    figures = page.locator("figure:has(svg.chart)")
    for i in range(figures.count()):
        figures.nth(i).screenshot(path=str(shots / f"chart_{i:02d}.png"))
    panel.screenshot(path=str(shots / "drift_panel.png"))
    page.locator("#customers").screenshot(path=str(shots / "call_table.png"))
    page.close()
    assert not problems, "\n".join(problems)
    assert len(list(shots.glob("chart_*.png"))) == len(charts)
