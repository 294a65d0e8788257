"""The report's inline SVG charts: histogram bands that follow the data, bar charts whose text stays in the drawing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from models.retention import i18n
from models.retention.report.charts import hbar_chart_svg, histogram_svg, probability_bands, text_width

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def _view_width(root: ET.Element) -> float:
    return float(root.get("viewBox").split()[2])


def _texts(root: ET.Element) -> list[ET.Element]:
    return [t for t in root.iter(f"{SVG}text")]


def _bar_counts(root: ET.Element) -> list[tuple[str, int]]:
    """(band label, count) of each histogram bar, from the bars' tooltips."""
    out = []
    for rect in root.iter(f"{SVG}rect"):
        title = rect.find(f"{SVG}title")
        if title is not None:
            band, count = title.text.rsplit(": ", 1)
            out.append((band, int(count.replace(",", ""))))
    return out


def _extent(t: ET.Element) -> tuple[float, float]:
    """Estimated left and right edge of one unrotated <text>, from its anchor and estimated width."""
    x, width = float(t.get("x")), text_width(t.text or "", float(t.get("font-size")), t.get("font-weight", "normal"))
    anchor = t.get("text-anchor", "start")
    left = x if anchor == "start" else x - width / 2 if anchor == "middle" else x - width
    return left, left + width


def _skewed(n: int = 15_000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).beta(0.6, 12, n)


# --- histogram bands ------------------------------------------------------------------------------------------

def test_skewed_probabilities_spread_over_several_bars():
    p = _skewed()
    old = np.histogram(p, bins=10, range=(0, 1))[0]
    assert old[0] / len(p) > 0.8, "the old equal bands over 0-1 put most customers in one bar"
    edges, counts, open_top = probability_bands(p)
    assert counts.sum() == len(p)
    assert len(counts) <= 10 and open_top
    assert (counts / len(p) >= 0.05).sum() >= 4, counts
    assert counts.max() / len(p) < 0.5, counts
    # equal nice bands from 0, then one open band holding the riskiest few
    widths = np.diff(edges[:-1])
    assert edges[0] == 0 and edges[-1] == 1 and np.allclose(widths, widths[0])
    assert counts[-1] / len(p) <= 0.06
    assert (p >= edges[-2]).sum() == counts[-1]


@pytest.mark.parametrize("seed", range(5))
def test_every_customer_is_counted_once(seed):
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.beta(0.5 + seed, 10, 2_000), [0.0, 1.0, 0.05, 0.1, 0.25], [np.nan, np.inf, -np.inf]])
    edges, counts, _ = probability_bands(p)
    assert counts.sum() == 2_005
    # each finite probability lies in exactly one band: [lower, upper), the last band also holding 1
    inside = [(lo <= v < hi) or (i == len(counts) - 1 and v == hi)
              for v in np.clip(p[np.isfinite(p)], 0, 1) for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:]))]
    assert sum(inside) == 2_005


def test_spread_probabilities_keep_ten_equal_bands():
    p = np.random.default_rng(1).uniform(0, 1, 5_000)
    edges, counts, open_top = probability_bands(p)
    assert not open_top and np.allclose(edges, np.linspace(0, 1, 11)) and counts.sum() == 5_000


@pytest.mark.parametrize("values", [np.full(50, 0.05), np.full(3, 0.0), np.full(4, 1.0), np.array([0.3]),
                                    np.array([0.42, np.nan])])
def test_equal_probabilities_and_one_customer(values):
    finite = values[np.isfinite(values)]
    edges, counts, open_top = probability_bands(values)
    assert counts.sum() == len(finite)
    assert (counts > 0).sum() == 1, "one value: one bar"
    k = int(np.flatnonzero(counts)[0])
    assert edges[k] <= finite[0] <= edges[k + 1]
    if finite[0] < 1:
        assert not (open_top and k == len(counts) - 1), "the value is in a closed band, not the open one"
    for lang in ("en", "ja"):
        bars = _bar_counts(_parse(histogram_svg(values, "t", lang)))
        assert sum(c for _, c in bars) == len(finite) and len(bars) == len(counts)


@pytest.mark.parametrize("values", [np.array([]), np.array([np.nan, np.inf, -np.inf])])
def test_no_finite_probabilities(values):
    _, counts, _ = probability_bands(values)
    assert counts.sum() == 0
    for lang in ("en", "ja"):
        root = _parse(histogram_svg(values, "t", lang))
        assert [t.text for t in _texts(root)] == [i18n.t("report.charts.no_data", lang)]


def test_bins_is_the_most_bars():
    p = _skewed(3_000)
    for bins in (2, 5, 10, 20):
        edges, counts, _ = probability_bands(p, bins=bins)
        assert len(counts) <= bins and len(edges) == len(counts) + 1 and counts.sum() == 3_000


@pytest.mark.parametrize("language", ["en", "ja"])
def test_histogram_labels_say_the_band_edges(language):
    p = _skewed(5_000)
    edges, counts, open_top = probability_bands(p)
    root = _parse(histogram_svg(p, "title", language))
    bars = _bar_counts(root)
    assert [c for _, c in bars] == counts.tolist()
    labels = [t.text for t in _texts(root)]
    fmt = lambda v: i18n.format_percent(v, language, 0 if round(v * 100, 6) == round(v * 100) else 1)  # noqa: E731
    assert bars[0][0] == f"{fmt(edges[0])}–{fmt(edges[1])}"
    top = i18n.t("report.charts.band_at_least", language, value=fmt(edges[-2]))
    assert top == (f"≥{fmt(edges[-2])}" if language == "en" else f"{fmt(edges[-2])}以上")
    assert open_top and bars[-1][0] == top and top in labels
    assert fmt(0.0) in labels and fmt(edges[2]) in labels
    assert i18n.t("report.charts.probability", language) in labels
    assert i18n.t("report.charts.customers", language) in labels
    assert i18n.format_number(int(counts[0]), language) in labels
    # y ticks are whole numbers of customers
    ticks = [t.text for t in _texts(root) if t.get("text-anchor") == "end"]
    assert all(re.fullmatch(r"[0-9,]+", t) for t in ticks), ticks


def test_histogram_text_stays_in_the_drawing():
    for p in (_skewed(), np.random.default_rng(2).uniform(0, 1, 100), np.array([0.001]), np.full(10_000, 0.2)):
        for lang in ("en", "ja"):
            root = _parse(histogram_svg(p, "t", lang))
            w = _view_width(root)
            for t in _texts(root):
                if t.get("transform"):
                    continue
                left, right = _extent(t)
                assert left >= 0 and right <= w, (t.text, left, right, w)


# --- bar charts -----------------------------------------------------------------------------------------------

def test_text_width_counts_cjk_about_twice_latin():
    assert text_width("顧客数", 12) == pytest.approx(36)
    assert text_width("あいうえお", 10) >= 1.5 * text_width("abcde", 10)
    assert text_width("6,431 customers", 11) > text_width("6,431人", 11)
    assert text_width("12.3%", 12, "600") > text_width("12.3%", 12)


def _assert_inside(svg) -> ET.Element:
    root = _parse(svg)
    w = _view_width(root)
    for t in _texts(root):
        left, right = _extent(t)
        assert left >= 0, (t.text, left)
        assert right <= w, (t.text, right, w)
    return root


@pytest.mark.parametrize("language", ["en", "ja"])
def test_segment_notes_stay_inside_the_chart(language):
    labels = {"en": ["North America", "2 years or more", "EMEA", "premium"],
              "ja": ["北アメリカ", "2年以上", "苦情・問い合わせ", "エンゲージメント"]}[language]
    counts = [6431, 15244, 987, 123456]
    values = [0.031, 0.048, 0.026, 0.019]
    notes = [i18n.t("report.charts.segment_note", language, n=i18n.format_number(n, language)) for n in counts]
    root = _assert_inside(hbar_chart_svg(labels, values, [i18n.format_percent(v, language, 1) for v in values],
                                         "t", notes=notes, max_value=0.05))
    drawn = [t.text for t in _texts(root)]
    assert all(n in drawn for n in notes) and all(lab in drawn for lab in labels)
    # notes line up in one column after the values
    xs = {t.get("x") for t in _texts(root) if t.text in notes}
    assert len(xs) == 1


def test_long_labels_and_notes_in_both_scripts_stay_inside():
    labels = ["Customers with an exceptionally long segment name that goes on and on",
              "解約リスクがとても高い長い名前のセグメント（北アメリカ・プレミアム・年契約）", "x"]
    notes = ["1,234,567 customers in this very long note", "1,234,567人（前月から大きく増加しています）", ""]
    root = _assert_inside(hbar_chart_svg(labels, [0.5, 0.25, 0.0], ["50.0%", "25.0%", "0.0%"], "t", notes=notes))
    shortened = [t for t in _texts(root) if t.get("data-full")]
    assert {t.get("data-full") for t in shortened} == set(labels[:2])
    assert all(t.text.endswith("…") for t in shortened)
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert float(bars[0].get("width")) >= 150, "the bars keep room; the drawing widens instead"
    assert _view_width(root) >= 560


def test_bar_chart_without_notes_is_unchanged_in_size():
    root = _assert_inside(hbar_chart_svg(["usage", "billing"], [0.6, 0.4], ["60%", "40%"], "t", max_value=1.0))
    assert _view_width(root) == 560
