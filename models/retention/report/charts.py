"""Inline SVG charts for the retention report, their text as SVG ``<text>``.

The browser then renders Japanese with whatever CJK font the reader's machine
has, and the report needs no plotting font at build time. Customer data passes
through ``markupsafe.escape``.
"""

from __future__ import annotations

import math

import numpy as np
from markupsafe import Markup, escape

from models.retention import i18n

# Calm palette: blue-grey ink and one accent (readable in greyscale print too).
_INK, _MUTED, _GRID, _ACCENT = "#1f2937", "#6b7280", "#e5e7eb", "#2563eb"


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


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0 or not np.isfinite(value):
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def line_chart_svg(labels: list[str], values: list[float], title: str, y_label: str, language: str,
                   colour: str = _ACCENT, zoom: bool = False) -> Markup:
    """A line chart of fractions (shown as percentages) with a point label on the last value.

    Args:
        labels: x-axis labels (one per point).
        values: fractions.
        title: accessible title.
        y_label: y-axis title.
        language: for number formatting.
        colour: line colour.
        zoom: start the y axis near the smallest value instead of at zero.

    Returns:
        Inline SVG markup.
    """
    w, h, left, right, top, bottom = 560, 240, 60, 34, 20, 44
    vals = np.asarray(values, dtype=float)
    body: list[str] = []
    if not len(vals) or not np.isfinite(vals).any():
        body.append(_txt(w / 2, h / 2, i18n.t("report.charts.no_data", language), 13, "middle", _MUTED))
        return _svg(w, h, title, body)
    vmin, vmax = float(np.nanmin(vals)), float(np.nanmax(vals))
    lo = max(0.0, vmin - (vmax - vmin or 0.01) * 0.6) if zoom else 0.0
    step = nice_max(max(vmax - lo, 1e-4) / 4)
    lo = math.floor(lo / step + 1e-9) * step
    hi = lo + step * max(1, math.ceil((vmax - lo) / step + 1e-9))
    if hi - vmax < step * 0.25:
        hi += step
    n_ticks = int(round((hi - lo) / step))
    decimals = 0 if abs(step * 100 - round(step * 100)) < 1e-9 else (1 if abs(step * 1000 - round(step * 1000)) < 1e-9 else 2)
    pw, ph = w - left - right, h - top - bottom
    xs = [left + (pw * (i / (len(vals) - 1)) if len(vals) > 1 else pw / 2) for i in range(len(vals))]

    def y(v: float) -> float:
        return top + ph * (1 - (v - lo) / (hi - lo))

    for k in range(n_ticks + 1):
        v = lo + step * k
        body.append(f'<line x1="{left}" x2="{w - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{_GRID}"/>')
        body.append(_txt(left - 6, y(v) + 4, i18n.format_percent(v, language, decimals), 11, "end", _MUTED))
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
                        f'<title>{escape(labels[i])}: {escape(i18n.format_percent(v, language, 1))}</title></circle>')
    last = int(np.flatnonzero(np.isfinite(vals))[-1])
    body.append(_txt(xs[last] + 4, y(vals[last]) - 10, i18n.format_percent(vals[last], language, 1), 12,
                     "middle", colour, "600"))
    body.append(_txt(14, top + ph / 2, y_label, 11, "middle", _MUTED,
                     extra=f' transform="rotate(-90 14 {top + ph / 2:.1f})"'))
    return _svg(w, h, title, body)


def hbar_chart_svg(labels: list[str], values: list[float], value_texts: list[str], title: str,
                   notes: list[str] | None = None, colours: list[str] | None = None,
                   max_value: float | None = None) -> Markup:
    """A horizontal bar chart with a label on the left and the value text at the bar's end.

    Args:
        labels: category labels (drawn as SVG text).
        values: bar lengths.
        value_texts: formatted values.
        title: accessible title.
        notes: optional small text after each value (e.g. customer counts).
        colours: optional colour per bar.
        max_value: the axis maximum (default: the largest value).

    Returns:
        Inline SVG markup.
    """
    row, top, w = 30, 8, 560
    label_w = 170
    h = top * 2 + row * max(1, len(labels))
    vmax = max_value if max_value else (max(values) if values else 1.0) or 1.0
    bar_w = w - label_w - 150
    body: list[str] = []
    for i, (lab, v, vt) in enumerate(zip(labels, values, value_texts)):
        yy = top + i * row
        length = max(0.0, bar_w * (v / vmax)) if np.isfinite(v) else 0.0
        colour = colours[i] if colours else _ACCENT
        short = lab if len(lab) <= 24 else lab[:23] + "…"
        body.append(_txt(label_w - 8, yy + row / 2 + 4, short, 12, "end", _INK,
                         extra="" if short == lab else f' data-full="{escape(lab)}"'))
        body.append(f'<rect x="{label_w}" y="{yy + 6}" width="{bar_w}" height="{row - 12}" fill="#f3f4f6" rx="3"/>')
        body.append(f'<rect x="{label_w}" y="{yy + 6}" width="{length:.1f}" height="{row - 12}" fill="{colour}" '
                    f'rx="3"><title>{escape(lab)}: {escape(vt)}</title></rect>')
        note = f"  {notes[i]}" if notes else ""
        body.append(_txt(label_w + bar_w + 8, yy + row / 2 + 4, vt, 12, "start", _INK, "600"))
        if note:
            body.append(_txt(label_w + bar_w + 62, yy + row / 2 + 4, note.strip(), 11, "start", _MUTED))
    return _svg(w, h, title, body)


def histogram_svg(probabilities: np.ndarray, title: str, language: str, bins: int = 10) -> Markup:
    """Customers per probability band, bars shaded from calm to alarming.

    Args:
        probabilities: churn probabilities.
        title: accessible title.
        language: for number formatting.
        bins: number of equal-width bands between 0 and 1.

    Returns:
        Inline SVG markup.
    """
    w, h, left, right, top, bottom = 560, 250, 64, 26, 22, 50
    p = np.clip(np.asarray(probabilities, dtype=float), 0, 1)
    counts, edges = np.histogram(p[np.isfinite(p)], bins=bins, range=(0, 1))
    pw, ph = w - left - right, h - top - bottom
    hi = nice_max(float(counts.max()) if counts.size else 1.0)
    body: list[str] = []
    for k in range(5):
        v = hi * k / 4
        yy = top + ph * (1 - v / hi)
        body.append(f'<line x1="{left}" x2="{w - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{_GRID}"/>')
        body.append(_txt(left - 6, yy + 4, i18n.format_number(v, language), 11, "end", _MUTED))
    bw = pw / bins
    shades = ["#4b8f6b", "#6a9a6a", "#8fa35e", "#b4a94f", "#d0a23f", "#d98a32", "#d46f2c", "#c85428", "#bd3a24", "#b91c1c"]
    for i, c in enumerate(counts):
        bh = ph * c / hi
        colour = shades[min(len(shades) - 1, int(i * len(shades) / bins))]
        label = f"{i18n.format_percent(edges[i], language)}–{i18n.format_percent(edges[i + 1], language)}"
        body.append(f'<rect x="{left + i * bw + 2:.1f}" y="{top + ph - bh:.1f}" width="{bw - 4:.1f}" '
                    f'height="{bh:.1f}" fill="{colour}" rx="2"><title>{escape(label)}: '
                    f'{escape(i18n.format_number(c, language))}</title></rect>')
        if c:
            body.append(_txt(left + i * bw + bw / 2, top + ph - bh - 4, i18n.format_number(c, language), 10,
                             "middle", _MUTED))
    for i in range(bins + 1):
        if i % 2 == 0:
            body.append(_txt(left + i * bw, h - bottom + 16, i18n.format_percent(edges[i], language), 11,
                             "middle", _MUTED))
    body.append(_txt(left + pw / 2, h - 10, i18n.t("report.charts.probability", language), 11, "middle", _MUTED))
    body.append(_txt(14, top + ph / 2, i18n.t("report.charts.customers", language), 11, "middle", _MUTED,
                     extra=f' transform="rotate(-90 14 {top + ph / 2:.1f})"'))
    return _svg(w, h, title, body)
