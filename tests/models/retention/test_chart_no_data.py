"""Line charts whose axis reaches their values (the NPS is negative), and "no data" for a series with nothing in it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from models.retention import i18n
from models.retention.report.charts import has_data, hbar_chart_svg, histogram_svg, line_chart_svg
from models.retention.report.view import build_view
from tests.models.retention.report_example import example_context

SVG = "{http://www.w3.org/2000/svg}"
# The built-in subscription world's NPS per month (data/features: about -10 to -18; promoters 19 %, detractors 33 %).
NPS = [-10.0, -17.6, -12.6, -12.9, -11.6, -15.6, -14.6, -16.3, -12.0, -16.5, -12.4, -15.9]


def _ticks(svg) -> list[float]:
    """The y-axis tick values of a line chart, read from its labels (right-anchored, left of the plot)."""
    root = ET.fromstring(str(svg))
    texts = [t for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    return [float(re.sub(r"[^\d.\-−]", "", t.text).replace("−", "-")) for t in texts]


def _points_y(svg) -> list[float]:
    root = ET.fromstring(str(svg))
    return [float(c.get("cy")) for c in root.iter(f"{SVG}circle")]


def _nps_chart(values: list[float], language: str = "en"):
    return line_chart_svg([f"2024-{m:02d}" for m in range(1, len(values) + 1)], values, "NPS", "NPS", language,
                          zoom=True, formatter=lambda v, d: i18n.format_number(v, language, min(d, 1)))


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_negative_nps_gets_an_axis_that_reaches_it(language):
    svg = _nps_chart(NPS, language)
    ticks = _ticks(svg)
    assert min(ticks) <= min(NPS) and max(ticks) >= max(NPS), ticks   # was a 0.0-0.0 axis
    assert max(ticks) - min(ticks) < 30, "zoomed on the values, not from -100"
    ys = _points_y(svg)
    assert all(20 <= y <= 240 - 44 for y in ys), "every point inside the plot"
    assert len(set(round(y) for y in ys)) > 3, "not a flat line"


def test_a_positive_zoomed_rate_still_starts_at_or_above_zero():
    ticks = _ticks(line_chart_svg(["a", "b", "c"], [0.02, 0.03, 0.025], "t", "y", "en", zoom=True))
    assert min(ticks) >= 0


def test_an_nps_crossing_zero_is_drawn_on_both_sides():
    ticks = _ticks(_nps_chart([-5.0, 3.0, 8.0, -2.0]))
    assert min(ticks) <= -5 and max(ticks) >= 8


@pytest.mark.parametrize("values", [[], [np.nan, np.nan], [0.0, 0.0, 0.0], [0.0, np.nan]])
@pytest.mark.parametrize("language, text", [("en", "No data"), ("ja", "データなし")])
def test_an_empty_or_all_zero_series_says_no_data(values, language, text):
    assert not has_data(values)
    for svg in (line_chart_svg([str(i) for i in range(len(values))], values, "t", "y", language),
                hbar_chart_svg([str(i) for i in range(len(values))], values, ["0"] * len(values), "t",
                               language=language)):
        root = ET.fromstring(str(svg))
        assert [t.text for t in root.iter(f"{SVG}text")] == [text]
        assert not list(root.iter(f"{SVG}polyline")) and not list(root.iter(f"{SVG}circle"))
    if not np.isfinite(np.asarray(values, dtype=float)).any():   # probabilities of 0 are customers to count
        assert text in str(histogram_svg(np.array(values), "t", language))


def test_a_measured_zero_is_data_where_the_caller_says_so():
    svg = hbar_chart_svg(["contacted", "holdout"], [0.0, 0.0], ["0%", "0%"], "t", zero_is_data=True)
    assert "No data" not in str(svg)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_report_says_no_data_for_an_all_zero_measure_and_draws_the_nps(language):
    ctx = example_context(language=language)
    cutoffs = [f"2024-{m:02d}-28" for m in range(1, 13)]
    measures = pd.DataFrame({"cutoff": cutoffs, "average_value": 0.0, "nps": NPS})
    ctx = ctx.__class__(**{**ctx.__dict__, "measures": measures, "measure_windows": {"nps": 90}})
    charts = {c["title"]: str(c["svg"]) for c in build_view(ctx, language)["trend_charts"]}
    value = charts[i18n.t("report.charts.value_trend", language, w=0)]
    nps = charts[i18n.t("report.charts.nps_trend", language, w=90)]
    no_data = i18n.t("report.charts.no_data", language)
    assert no_data in value and no_data not in nps
    assert min(_ticks(nps)) <= min(NPS)
