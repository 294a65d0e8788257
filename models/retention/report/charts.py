"""Inline SVG charts for the retention report, their text as SVG ``<text>``.

The browser then renders Japanese with whatever CJK font the reader's machine
has, and the report needs no plotting font at build time. Customer data passes
through ``markupsafe.escape``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable

import numpy as np
from markupsafe import Markup, escape

from models.retention import i18n

# Calm palette: blue-grey ink and one accent (readable in greyscale print too).
_INK, _MUTED, _GRID, _ACCENT = "#1f2937", "#6b7280", "#e5e7eb", "#2563eb"
# For ``text_width`` (DejaVu Sans metrics): characters at most 0.42 em wide, and Latin ones up to a full em.
_NARROW = frozenset(" .,:;!'|()[]/\\-ijlrtfI")
_WIDE = frozenset("%@mwMW")
# Nice widths of the histogram's probability bands, as fractions (0.1 % up to 50 %).
_BAND_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5)


def _txt(x: float, y: float, text: str, size: int = 12, anchor: str = "start", fill: str = _INK,
         weight: str = "normal", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
            f'font-weight="{weight}"{extra}>{escape(text)}</text>')


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        + "".join(body) + "</svg>"
    )


def text_width(text: str, size: float, weight: str = "normal") -> float:
    """Estimate how wide ``text`` is drawn at ``size`` pixels, from its characters alone.

    The estimate errs on the wide side for the usual sans-serif fonts (DejaVu Sans,
    one of the widest, is the yardstick): Latin letters and digits are about 0.64 em
    (capitals 0.8), narrow letters, punctuation and spaces about 0.4 em, and CJK and other
    full-width characters (and East Asian "ambiguous" ones, which CJK fonts draw
    full width) one em, about twice a typical Latin letter. Bold adds about 12 %.

    Args:
        text: the text.
        size: font size in pixels (SVG user units).
        weight: ``"normal"`` or a bold weight (``"600"``, ``"bold"``, ...).

    Returns:
        The estimated width in the same units as ``size``.
    """
    em = 0.0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        east = unicodedata.east_asian_width(ch)
        if east in ("W", "F", "A"):
            em += 1.0
        elif ch in _NARROW:
            em += 0.42
        elif ch in _WIDE:
            em += 1.0
        elif ch.isupper():
            em += 0.8
        else:
            em += 0.64
    bold = str(weight) in ("bold", "bolder") or (str(weight).isdigit() and int(weight) >= 600)
    return em * size * (1.12 if bold else 1.0)


def _fit(text: str, max_width: float, size: float, weight: str = "normal") -> str:
    """``text``, shortened with an ellipsis until its estimated width is at most ``max_width``."""
    if text_width(text, size, weight) <= max_width:
        return text
    cut = text
    while cut and text_width(cut.rstrip() + "…", size, weight) > max_width:
        cut = cut[:-1]
    return cut.rstrip() + "…"


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0 or not np.isfinite(value):
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def has_data(values: np.ndarray | list[float], zero_is_data: bool = False) -> bool:
    """Whether a series is worth drawing: some finite value, and not every one of them zero.

    An all-missing or all-zero series (a measure the data does not really have, a share nobody reaches) would
    draw a flat line on a degenerate axis, which reads as a measurement; the chart says "no data" instead.
    """
    vals = np.asarray(values, dtype=float)
    finite = vals[np.isfinite(vals)]
    return bool(finite.size) and (zero_is_data or bool(np.any(finite != 0)))


def no_data_svg(title: str, language: str, w: int = 560, h: int = 240) -> Markup:
    """The chart's frame with its title and "no data" (localised) in place of the drawing."""
    body = [f'<rect x="0.5" y="0.5" width="{w - 1}" height="{h - 1}" fill="none" stroke="{_GRID}" rx="4"/>',
            _txt(w / 2, h / 2, i18n.t("report.charts.no_data", language), 13, "middle", _MUTED,
                 extra=' class="no-data"')]
    return _svg(w, h, title, body)


def line_chart_svg(labels: list[str], values: list[float], title: str, y_label: str, language: str,
                   colour: str = _ACCENT, zoom: bool = False,
                   formatter: Callable[[float, int], str] | None = None) -> Markup:
    """A line chart (of fractions, shown as percentages, unless ``formatter`` says otherwise) with a point
    label on the last value.

    Args:
        labels: x-axis labels (one per point).
        values: fractions, or any numbers with a ``formatter``.
        title: accessible title.
        y_label: y-axis title.
        language: for number formatting.
        colour: line colour.
        zoom: start the y axis near the smallest value instead of at zero.
        formatter: ``(value, decimals) -> text`` for ticks and labels (a score, an amount); None: percentages.

    Returns:
        Inline SVG markup.
    """
    fmt = formatter or (lambda v, d: i18n.format_percent(v, language, d))
    percent = formatter is None
    w, h, left, right, top, bottom = 560, 240, 60, 34, 20, 44
    vals = np.asarray(values, dtype=float)
    body: list[str] = []
    if not has_data(vals):
        return no_data_svg(title, language, w, h)
    vmin, vmax = float(np.nanmin(vals)), float(np.nanmax(vals))
    if zoom:
        # below the smallest value; never below zero for values that cannot be negative (a rate, an amount),
        # but a measure that is negative (an NPS of -15) gets an axis that reaches it
        lo = vmin - (vmax - vmin or 0.01 * (1 if percent else max(abs(vmax), 1))) * 0.6
        lo = max(0.0, lo) if vmin >= 0 else lo
    else:
        lo = min(0.0, vmin)
    step = nice_max(max(vmax - lo, 1e-4) / 4)
    lo = math.floor(lo / step + 1e-9) * step
    hi = lo + step * max(1, math.ceil((vmax - lo) / step + 1e-9))
    if hi - vmax < step * 0.25:
        hi += step
    n_ticks = int(round((hi - lo) / step))
    scale = 100 if percent else 1
    decimals = 0 if abs(step * scale - round(step * scale)) < 1e-9 else (
        1 if abs(step * scale * 10 - round(step * scale * 10)) < 1e-9 else 2)
    pw, ph = w - left - right, h - top - bottom
    xs = [left + (pw * (i / (len(vals) - 1)) if len(vals) > 1 else pw / 2) for i in range(len(vals))]

    def y(v: float) -> float:
        return top + ph * (1 - (v - lo) / (hi - lo))

    for k in range(n_ticks + 1):
        v = lo + step * k
        body.append(f'<line x1="{left}" x2="{w - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{_GRID}"/>')
        body.append(_txt(left - 6, y(v) + 4, fmt(v, decimals), 11, "end", _MUTED))
    every = max(1, math.ceil(len(labels) / 7))
    for i, lab in enumerate(labels):
        if (len(labels) - 1 - i) % every == 0:
            body.append(_txt(xs[i], h - bottom + 16, lab, 11, "middle", _MUTED))
    pts = " ".join(f"{xs[i]:.1f},{y(v):.1f}" for i, v in enumerate(vals) if np.isfinite(v))
    body.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2.5" '
                'stroke-linejoin="round" stroke-linecap="round"/>')
    for i, v in enumerate(vals):
        if np.isfinite(v):
            body.append(f'<circle cx="{xs[i]:.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}">'
                        f'<title>{escape(labels[i])}: {escape(fmt(v, 1))}</title></circle>')
    last = int(np.flatnonzero(np.isfinite(vals))[-1])
    body.append(_txt(xs[last] + 4, y(vals[last]) - 10, fmt(vals[last], 1), 12,
                     "middle", colour, "600"))
    body.append(_txt(14, top + ph / 2, y_label, 11, "middle", _MUTED,
                     extra=f' transform="rotate(-90 14 {top + ph / 2:.1f})"'))
    return _svg(w, h, title, body)


def hbar_chart_svg(labels: list[str], values: list[float], value_texts: list[str], title: str,
                   notes: list[str] | None = None, colours: list[str] | None = None,
                   max_value: float | None = None, language: str = "en", zero_is_data: bool = False) -> Markup:
    """A horizontal bar chart with a label on the left and the value text at the bar's end.

    The columns are sized from the texts' estimated widths (:func:`text_width`, CJK
    characters counted full width): the label column fits the longest label (up to
    a cap; longer labels are shortened with an ellipsis and keep the full text in
    ``data-full`` and the bar's tooltip), and room is reserved on the right for the
    longest value text and note, so no text leaves the drawing. When the texts leave
    too little room for the bars, the drawing gets wider (it scales to its box).

    Args:
        labels: category labels (drawn as SVG text).
        values: bar lengths.
        value_texts: formatted values.
        title: accessible title.
        notes: optional small text after each value (e.g. customer counts).
        colours: optional colour per bar.
        max_value: the axis maximum (default: the largest value).
        language: for "no data" when no bar has a length (:func:`has_data`).
        zero_is_data: draw all-zero bars (a measured 0 %, e.g. nobody left in either campaign group).

    Returns:
        Inline SVG markup.
    """
    if not has_data(values, zero_is_data):
        return no_data_svg(title, language, 560, 90)
    row, top, w = 30, 8, 560
    label_size, value_size, note_size, pad, gap, min_bar = 12, 12, 11, 8, 8, 160
    label_cap = 200.0  # widest label column, without its padding
    h = top * 2 + row * max(1, len(labels))
    vmax = max_value if max_value else (max(values) if values else 1.0) or 1.0
    shorts = [_fit(str(lab), label_cap, label_size) for lab in labels]
    label_w = pad + max([40.0] + [text_width(s, label_size) for s in shorts]) + 4
    value_w = max([0.0] + [text_width(vt, value_size, "600") for vt in value_texts])
    note_texts = [str(n).strip() for n in notes] if notes else []
    note_w = max([0.0] + [text_width(n, note_size) for n in note_texts])
    right_w = pad + value_w + (gap + note_w if note_w else 0.0) + 4
    bar_w = w - label_w - right_w
    if bar_w < min_bar:
        bar_w = min_bar
        w = int(math.ceil(label_w + bar_w + right_w))
    x_value = label_w + bar_w + pad
    x_note = x_value + value_w + gap
    body: list[str] = []
    for i, (lab, v, vt) in enumerate(zip(labels, values, value_texts)):
        yy = top + i * row
        length = max(0.0, bar_w * min(1.0, v / vmax)) if np.isfinite(v) else 0.0
        colour = colours[i] if colours else _ACCENT
        short = shorts[i]
        body.append(_txt(label_w - pad, yy + row / 2 + 4, short, label_size, "end", _INK,
                         extra="" if short == lab else f' data-full="{escape(lab)}"'))
        body.append(f'<rect x="{label_w:.1f}" y="{yy + 6}" width="{bar_w:.1f}" height="{row - 12}" fill="#f3f4f6" '
                    'rx="3"/>')
        body.append(f'<rect x="{label_w:.1f}" y="{yy + 6}" width="{length:.1f}" height="{row - 12}" fill="{colour}" '
                    f'rx="3"><title>{escape(lab)}: {escape(vt)}</title></rect>')
        body.append(_txt(x_value, yy + row / 2 + 4, vt, value_size, "start", _INK, "600"))
        if i < len(note_texts) and note_texts[i]:
            body.append(_txt(x_note, yy + row / 2 + 4, note_texts[i], note_size, "start", _MUTED))
    return _svg(w, h, title, body)


def _percent_label(value: float, language: str) -> str:
    """A band edge as a percentage with as few decimals as it needs (``0%``, ``2.5%``, ``0.25%``)."""
    pct = value * 100
    decimals = next((d for d in (0, 1, 2) if abs(round(pct, d) - pct) < 1e-6), 2)
    return i18n.format_percent(value, language, decimals)


def probability_bands(probabilities: np.ndarray, bins: int = 10,
                      upper_quantile: float = 0.95) -> tuple[np.ndarray, np.ndarray, bool]:
    """Band edges and customer counts for the churn-probability histogram.

    Churn probabilities are usually crowded near zero (a 4 % churn rate puts most
    customers below 10 %), so equal bands over 0–1 would put nearly everyone in the
    first bar. Here the bands are equal and start at 0 %, but stop at a nice limit
    just above the ``upper_quantile`` (95th percentile) of the probabilities: the
    band width is the smallest nice one (0.1, 0.2, 0.5, 1, 2, 2.5, 5, 10, 20, 25 or
    50 %) with which ``bins - 1`` bands reach past that quantile, and there are as
    many of those bands as it takes. One last open band "≥ limit" holds the rest,
    the riskiest customers (at most about 5 %, close to the size of the high tier).
    The 95th rather than the 99th percentile: with at most ``bins`` bars, a limit at
    the 99th percentile leaves bands so wide that the first one still holds two
    thirds of a typical list. When the limit would reach 100 % anyway, i.e. the
    probabilities really are spread over 0–1, the bands are ``bins`` equal ones over
    0–1 and none is open.

    Args:
        probabilities: churn probabilities; values that are not finite are left out, the rest clipped to 0–1.
        bins: the most bars (the open band included), at least 2.
        upper_quantile: the share of the customers that the closed bands hold at least.

    Returns:
        ``(edges, counts, open_top)``: ``len(counts) + 1`` increasing edges (with ``open_top`` the last
        edge is 1 and the last band means "at or above ``edges[-2]``"), and counts that add up to the
        number of finite probabilities, each counted once (a band holds its lower edge, not its upper one;
        the last band also holds 100 %).
    """
    bins = max(2, int(bins))
    p = np.asarray(probabilities, dtype=float).ravel()
    p = np.clip(p[np.isfinite(p)], 0.0, 1.0)
    edges = np.linspace(0.0, 1.0, bins + 1)
    open_top = False
    if p.size:
        q = float(np.quantile(p, min(max(upper_quantile, 0.0), 1.0)))
        closed = bins - 1
        step = next((s for s in _BAND_STEPS if s <= 1.0 / bins + 1e-12 and s * closed > q + 1e-12), None)
        if step is not None:
            n_closed = min(closed, int(math.floor(q / step + 1e-9)) + 1)
            limit = round(n_closed * step, 10)
            if limit + step < 1.0 - 1e-9:
                edges = np.append(np.round(np.arange(n_closed + 1) * step, 10), 1.0)
                open_top = True
    counts = np.histogram(p, bins=edges)[0] if p.size else np.zeros(len(edges) - 1, dtype=int)
    return edges, counts.astype(int), open_top


def _count_axis(cmax: float) -> tuple[float, int]:
    """A whole-number tick step and tick count for customer counts up to ``cmax``."""
    step = nice_max(max(cmax, 1.0) / 4)
    step = max(1.0, float(math.floor(step)) if step != math.floor(step) else step)
    return step, max(1, int(math.ceil(cmax / step - 1e-9)))


def histogram_svg(probabilities: np.ndarray, title: str, language: str, bins: int = 10, *,
                  upper_quantile: float = 0.95) -> Markup:
    """Customers per probability band, bars shaded from calm to alarming.

    The bands follow the data (:func:`probability_bands`): equal nice bands from 0 %
    up to a limit just above the 95th percentile, then one open band "≥ limit" (its
    label in bold); equal bands over 0–1 when the probabilities are spread that far.

    Args:
        probabilities: churn probabilities.
        title: accessible title.
        language: for number formatting.
        bins: the most bars (the open band included).
        upper_quantile: the share of the customers that the closed bands hold at least.

    Returns:
        Inline SVG markup.
    """
    w, h, top, right, bottom = 560, 250, 22, 26, 50
    edges, counts, open_top = probability_bands(probabilities, bins, upper_quantile)
    body: list[str] = []
    if not counts.sum():
        return no_data_svg(title, language, w, h)
    step, n_ticks = _count_axis(float(counts.max()))
    hi = step * n_ticks
    ticks = [i18n.format_number(step * k, language) for k in range(n_ticks + 1)]
    left = max(64, int(math.ceil(28 + 6 + max(text_width(t, 11) for t in ticks))))
    pw, ph = w - left - right, h - top - bottom
    n_bars = len(counts)
    bw = pw / n_bars
    for k, tick in enumerate(ticks):
        yy = top + ph * (1 - step * k / hi)
        body.append(f'<line x1="{left}" x2="{w - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{_GRID}"/>')
        body.append(_txt(left - 6, yy + 4, tick, 11, "end", _MUTED))
    shades = ["#4b8f6b", "#6a9a6a", "#8fa35e", "#b4a94f", "#d0a23f",
              "#d98a32", "#d46f2c", "#c85428", "#bd3a24", "#b91c1c"]
    edge_texts = [_percent_label(e, language) for e in edges]
    at_least = str(i18n.lookup("report.charts.band_at_least", language, default="≥{value}"))
    open_text = at_least.format(value=edge_texts[-2]) if open_top else ""
    for i, c in enumerate(counts):
        bh = ph * c / hi
        colour = shades[min(len(shades) - 1, int(i * len(shades) / n_bars))]
        label = open_text if open_top and i == n_bars - 1 else f"{edge_texts[i]}–{edge_texts[i + 1]}"
        count_text = i18n.format_number(int(c), language)
        body.append(f'<rect x="{left + i * bw + 2:.1f}" y="{top + ph - bh:.1f}" width="{bw - 4:.1f}" '
                    f'height="{bh:.1f}" fill="{colour}" rx="2"><title>{escape(label)}: '
                    f'{escape(count_text)}</title></rect>')
        if c and text_width(count_text, 10) <= bw:
            body.append(_txt(left + i * bw + bw / 2, top + ph - bh - 4, count_text, 10, "middle", _MUTED))
    # edge labels, as many as fit without touching (every other one with many bars); the open band is named below
    n_edges = n_bars if open_top else n_bars + 1
    widest = max(text_width(t, 11) for t in edge_texts[:n_edges])
    stride = max(2 if n_bars > 6 else 1, int(math.ceil((widest + 6) / bw)))
    y_axis = h - bottom + 16
    open_w = text_width(open_text, 11, "600")
    for i in range(0, n_edges, stride):
        if open_top and (n_bars - 0.5 - i) * bw < (text_width(edge_texts[i], 11) + open_w) / 2 + 6:
            continue  # it would touch the open band's label
        body.append(_txt(left + i * bw, y_axis, edge_texts[i], 11, "middle", _MUTED))
    if open_top:
        body.append(_txt(left + (n_bars - 0.5) * bw, y_axis, open_text, 11, "middle", _MUTED, "600"))
    body.append(_txt(left + pw / 2, h - 10, i18n.t("report.charts.probability", language), 11, "middle", _MUTED))
    body.append(_txt(14, top + ph / 2, i18n.t("report.charts.customers", language), 11, "middle", _MUTED,
                     extra=f' transform="rotate(-90 14 {top + ph / 2:.1f})"'))
    return _svg(w, h, title, body)
