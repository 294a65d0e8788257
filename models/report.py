"""The retention report: one self-contained HTML file (no network, no external fonts or scripts).

Charts are drawn here as inline SVG with their text as SVG ``<text>``, so the
browser renders Japanese with whatever CJK font the reader's machine has and
the report needs no plotting font at build time. All customer data passes
through Jinja2 autoescaping (or ``markupsafe.escape`` inside the SVG).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from models import i18n
from models.playbook import DAYS_PER_MONTH, TIERS
from models.reasons import feature_label

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
REQUIRED_COLUMNS: tuple[str, ...] = (
    "rank", "customer_id", "churn_probability", "risk_tier", "value_at_risk",
    "reason_1", "reason_2", "reason_3", "driver_family", "recommended_action",
)
SEGMENT_COLUMNS: tuple[str, ...] = ("plan", "region", "tenure_days")
TENURE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("b0", 0, 91), ("b1", 91, 182), ("b2", 182, 365), ("b3", 365, 730), ("b4", 730, math.inf),
)

# Calm palette: blue-grey ink, one accent per tier (readable in greyscale print too).
_INK, _MUTED, _GRID, _ACCENT = "#1f2937", "#6b7280", "#e5e7eb", "#2563eb"
_TIER_COLOURS = {"high": "#b91c1c", "medium": "#d97706", "low": "#4b8f6b"}


@dataclasses.dataclass(frozen=True)
class ReportContext:
    """Everything the retention report shows.

    Attributes:
        as_of: the scoring date.
        customers_scored: number of customers scored.
        expected_churners: sum of churn probabilities.
        revenue_at_risk: sum of value at risk.
        horizon_days: prediction horizon.
        churn_trend: columns ``cutoff``, ``churn_rate``, ``retention_rate`` (fractions).
        model_quality: ``roc_auc``, ``top_decile_lift``, and ``n_test`` with
            ``test_cutoff``, or ``cv_folds``.
        scored: one row per scored customer with ``REQUIRED_COLUMNS`` (tiers as
            codes high/medium/low) and, when present, ``plan``, ``region``, ``tenure_days``.
        driver_importance: columns ``family``, ``share``.
        drift_warnings: ``(feature, psi)`` pairs or dicts with those keys.
        top_n: rows shown in the customer table.
        currency: ISO 4217 code of revenue amounts.
    """

    as_of: _dt.date
    customers_scored: int
    expected_churners: float
    revenue_at_risk: float
    horizon_days: int
    churn_trend: pd.DataFrame
    model_quality: dict[str, Any]
    scored: pd.DataFrame
    driver_importance: pd.DataFrame
    drift_warnings: list[Any] = dataclasses.field(default_factory=list)
    top_n: int = 100
    currency: str = "USD"


# ---------------------------------------------------------------------------
# SVG charts


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


def _nice_max(value: float) -> float:
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
    step = _nice_max(max(vmax - lo, 1e-4) / 4)
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
    hi = _nice_max(float(counts.max()) if counts.size else 1.0)
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


# ---------------------------------------------------------------------------
# Report assembly


def tenure_band(tenure_days: pd.Series, language: str) -> pd.Series:
    """Label each customer's time as a customer with a readable band.

    Args:
        tenure_days: days since signup.
        language: ``"en"`` or ``"ja"``.

    Returns:
        Band labels, ordered categorical.
    """
    labels = [i18n.t(f"report.segments.tenure_bands.{code}", language) for code, _, _ in TENURE_BANDS]
    edges = [lo for _, lo, _ in TENURE_BANDS] + [math.inf]
    bands = pd.cut(pd.to_numeric(tenure_days, errors="coerce"), bins=edges, labels=labels, right=False)
    return bands


def _segment_charts(scored: pd.DataFrame, language: str) -> list[dict[str, Any]]:
    charts = []
    columns: list[tuple[str, pd.Series]] = []
    for col in ("plan", "region"):
        if col in scored.columns:
            columns.append((col, scored[col].astype(object).where(scored[col].notna(), "–").astype(str)))
    if "tenure_days" in scored.columns:
        columns.append(("tenure_band", tenure_band(scored["tenure_days"], language)))
    for name, key in columns:
        g = pd.DataFrame({"key": key, "p": scored["churn_probability"].astype(float)})
        stats = g.groupby("key", observed=True)["p"].agg(["mean", "size"])
        if name != "tenure_band":
            stats = stats.sort_values("size", ascending=False).head(12).sort_values("mean", ascending=False)
        segment = i18n.t(f"report.segments.{name}", language)
        title = i18n.t("report.charts.segment_by", language, segment=segment)
        vmax = _nice_max(float(stats["mean"].max()) * 1.05) if len(stats) else 1.0
        svg = hbar_chart_svg(
            [str(k) for k in stats.index],
            stats["mean"].tolist(),
            [i18n.format_percent(v, language, 1) for v in stats["mean"]],
            title,
            notes=[i18n.t("report.charts.segment_note", language, n=i18n.format_number(n, language))
                   for n in stats["size"]],
            colours=["#64748b"] * len(stats),
            max_value=vmax,
        )
        charts.append({"title": title, "svg": svg})
    return charts


def _quality_sentence(q: dict[str, Any], language: str) -> str:
    auc = q.get("roc_auc")
    lift = q.get("top_decile_lift")
    auc_s = i18n.format_number(auc, language, 2)
    if q.get("test_cutoff") is not None:
        auc_text = i18n.t("report.quality.auc_holdout", language, auc=auc_s,
                          cutoff=i18n.format_date(q["test_cutoff"], language),
                          n=i18n.format_number(q.get("n_test"), language))
    elif q.get("cv_folds"):
        auc_text = i18n.t("report.quality.auc_cv", language, auc=auc_s, folds=q["cv_folds"])
    else:
        auc_text = i18n.t("report.quality.auc_plain", language, auc=auc_s)
    auc_v = float(auc) if auc is not None else float("nan")
    lift_v = float(lift) if lift is not None else float("nan")
    if lift_v >= 2.0 and auc_v >= 0.75:
        level = "good"
    elif lift_v >= 1.3 or auc_v >= 0.65:
        level = "moderate"
    else:
        level = "weak"
    return i18n.t(f"report.quality.{level}", language, lift=i18n.format_number(lift, language, 1), auc_text=auc_text)


def _drift_items(warnings: list[Any], language: str) -> list[str]:
    items = []
    for w in warnings:
        feature, psi = (w["feature"], w["psi"]) if isinstance(w, dict) else (w[0], w[1])
        items.append(i18n.t("report.drift.item", language, feature=feature_label(str(feature), language),
                            psi=i18n.format_number(psi, language, 2)))
    return items


def _table_rows(scored: pd.DataFrame, top_n: int, language: str, currency: str) -> list[dict[str, Any]]:
    top = scored.sort_values("rank").head(top_n)
    tiers = {t: i18n.t(f"tiers.{t}", language) for t in TIERS}
    rows = []
    for rec in top.to_dict("records"):
        reasons = [str(rec[c]) for c in ("reason_1", "reason_2", "reason_3")
                   if isinstance(rec.get(c), str) and rec[c]]
        tenure = rec.get("tenure_days")
        var = rec.get("value_at_risk")
        rows.append({
            "rank": int(rec["rank"]),
            "customer_id": str(rec["customer_id"]),
            "probability": float(rec["churn_probability"]),
            "probability_text": i18n.format_percent(rec["churn_probability"], language),
            "tier": str(rec["risk_tier"]),
            "tier_text": tiers.get(str(rec["risk_tier"]), str(rec["risk_tier"])),
            "value_at_risk": float(var) if var is not None and not pd.isna(var) else -1.0,
            "value_at_risk_text": i18n.format_money(var, language, currency),
            "reasons": reasons,
            "action": str(rec.get("recommended_action") or ""),
            "plan": None if "plan" not in rec else ("" if pd.isna(rec["plan"]) else str(rec["plan"])),
            "region": None if "region" not in rec else ("" if pd.isna(rec["region"]) else str(rec["region"])),
            "tenure": None if "tenure_days" not in rec else (-1 if pd.isna(tenure) else float(tenure)),
            "tenure_text": "" if "tenure_days" not in rec or pd.isna(tenure) else
            i18n.t("report.table.tenure_days", language, n=i18n.format_number(tenure, language)),
        })
    return rows


def build_view(ctx: ReportContext, language: str) -> dict[str, Any]:
    """Turn a report context into the display values the template shows (all text translated).

    Args:
        ctx: the report's content.
        language: ``"en"`` or ``"ja"``.

    Returns:
        The template variables.
    """
    i18n.check_language(language)
    scored = ctx.scored
    missing = [c for c in REQUIRED_COLUMNS if c not in scored.columns]
    if missing:
        raise ValueError(f"scored table is missing columns {missing}; it needs {list(REQUIRED_COLUMNS)}")
    L = language
    n_all = max(int(ctx.customers_scored), 1)
    tier_counts = scored["risk_tier"].astype(str).value_counts()
    high = int(tier_counts.get("high", 0))

    trend = ctx.churn_trend.sort_values("cutoff") if len(ctx.churn_trend) else ctx.churn_trend
    # month-end cutoffs: show year and month only ("2024-06" / "2024/06")
    trend_labels = [i18n.format_date(c, L, "short")[:-3] for c in trend.get("cutoff", [])]
    churn_kpi = None
    if len(trend):
        last = trend.iloc[-1]
        note_key, change = "report.kpi.churn_rate_note_single", ""
        if len(trend) > 1:
            delta = (float(last["churn_rate"]) - float(trend.iloc[-2]["churn_rate"])) * 100
            change = ("+" if delta > 0 else "") + i18n.t("report.kpi.pt", L, value=i18n.format_number(delta, L, 1))
            note_key = "report.kpi.churn_rate_note"
        churn_kpi = {
            "value": i18n.format_percent(last["churn_rate"], L, 1),
            "note": i18n.t(note_key, L, retention=i18n.format_percent(last["retention_rate"], L, 1), change=change),
        }

    horizon = ctx.horizon_days
    kpis = [
        {"label": i18n.t("report.kpi.customers_scored", L), "value": i18n.format_number(ctx.customers_scored, L),
         "note": ""},
        {"label": i18n.t("report.kpi.expected_churners", L, horizon=horizon),
         "value": i18n.format_number(ctx.expected_churners, L),
         "note": i18n.t("report.kpi.expected_churners_note", L,
                        share=i18n.format_percent(ctx.expected_churners / n_all, L, 1))},
        {"label": i18n.t("report.kpi.revenue_at_risk", L, horizon=horizon),
         "value": i18n.format_money(ctx.revenue_at_risk, L, ctx.currency),
         "note": i18n.t("report.kpi.revenue_at_risk_note", L,
                        months=i18n.format_number(horizon / DAYS_PER_MONTH, L, 2))},
        {"label": i18n.t("report.kpi.high_risk", L), "value": i18n.format_number(high, L),
         "note": i18n.t("report.kpi.high_risk_note", L, share=i18n.format_percent(high / n_all, L, 1))},
    ]
    if churn_kpi:
        kpis.append({"label": i18n.t("report.kpi.churn_rate", L), **churn_kpi})

    trend_charts = []
    if len(trend):
        for col, colour, key, zoom in (("churn_rate", "#b91c1c", "churn", False),
                                       ("retention_rate", "#2563eb", "retention", True)):
            title = i18n.t(f"report.charts.{key}_trend", L, horizon=horizon)
            trend_charts.append({"title": title, "svg": line_chart_svg(
                trend_labels, trend[col].astype(float).tolist(), title,
                i18n.t(f"report.charts.{col}", L), L, colour, zoom)})

    drivers = ctx.driver_importance.sort_values("share", ascending=False)
    drivers_title = i18n.t("report.charts.drivers", L)
    drivers_svg = hbar_chart_svg(
        [i18n.t(f"families.{f}", L) for f in drivers["family"]],
        drivers["share"].astype(float).tolist(),
        [i18n.format_percent(s, L) for s in drivers["share"]],
        drivers_title, max_value=_nice_max(float(drivers["share"].max()) if len(drivers) else 1.0),
    )
    dist_title = i18n.t("report.charts.distribution", L)
    top_n = min(int(ctx.top_n), len(scored))
    rows = _table_rows(scored, top_n, L, ctx.currency)
    return {
        "lang": L,
        "title": i18n.t("report.title", L),
        "subtitle": i18n.t("report.subtitle", L, horizon=horizon),
        "as_of": i18n.t("report.as_of", L, date=i18n.format_date(ctx.as_of, L)),
        "horizon_text": i18n.t("report.generated_for", L, horizon=horizon),
        "kpis": kpis,
        "quality_heading": i18n.t("report.quality.heading", L),
        "quality_sentence": _quality_sentence(ctx.model_quality, L),
        "quality_note": i18n.t("report.quality.note", L),
        "drift_heading": i18n.t("report.drift.heading", L),
        "drift_intro": i18n.t("report.drift.intro", L),
        "drift_items": _drift_items(ctx.drift_warnings, L),
        "sections": {k: i18n.t(f"report.sections.{k}", L, n=top_n)
                     for k in ("trend", "distribution", "drivers", "segments", "table", "how_to_read")},
        "trend_charts": trend_charts,
        "distribution": {"title": dist_title,
                         "svg": histogram_svg(scored["churn_probability"].to_numpy(), dist_title, L)},
        "tiers_summary": i18n.t("report.tiers_summary", L, **{t: i18n.format_number(int(tier_counts.get(t, 0)), L)
                                                              for t in TIERS}),
        "drivers": {"title": drivers_title, "svg": drivers_svg},
        "segment_charts": _segment_charts(scored, L),
        "rows": rows,
        "has": {c: c in scored.columns for c in SEGMENT_COLUMNS},
        "tiers": [{"code": t, "label": i18n.t(f"tiers.{t}", L)} for t in TIERS],
        "labels": {k: i18n.t(f"report.table.{k}", L) for k in (
            "rank", "customer", "probability", "tier", "value_at_risk", "reasons", "action", "plan", "region",
            "tenure", "filter_label", "filter_placeholder", "tier_label", "all_tiers", "sort_hint", "no_reason")},
        "showing_template": i18n.lookup("report.table.showing", L),
        "how_to_read": [s.format(horizon=horizon) for s in i18n.lookup("report.how_to_read", L)],
        "footer": i18n.t("report.footer", L, date=i18n.format_date(ctx.as_of, L)),
        "tier_colours": _TIER_COLOURS,
    }


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(ctx: ReportContext, language: str = "en") -> str:
    """Render the retention report as one self-contained HTML page.

    Args:
        ctx: the report's content.
        language: ``"en"`` or ``"ja"``.

    Returns:
        The HTML text (write it with UTF-8).
    """
    view = build_view(ctx, language)
    return _environment().get_template("retention_report.html.j2").render(**view)


def example_context(n_customers: int = 300, top_n: int = 50, seed: int = 0, language: str = "en") -> ReportContext:
    """Build a small, made-up but realistic report context (for previews and tests).

    Args:
        n_customers: customers in the scored table.
        top_n: rows in the customer table.
        seed: random seed.
        language: language of the reason and action texts.

    Returns:
        A :class:`ReportContext` whose numbers are internally consistent.
    """
    from models.playbook import DEFAULT_PLAYBOOK, assign_tiers, recommend_actions, value_at_risk
    from models.reasons import top_reasons

    rng = np.random.default_rng(seed)
    n = n_customers
    feats = pd.DataFrame({
        "events_login_count_30d": rng.poisson(12, n).astype(float),
        "events_login_diff_30d_vs_prev_30d": rng.integers(-20, 6, n).astype(float),
        "tickets_complaint_count_90d": rng.poisson(0.8, n).astype(float),
        "tickets_open_count": rng.poisson(0.3, n).astype(float),
        "days_since_last_event": rng.integers(0, 60, n).astype(float),
        "tenure_days": rng.integers(5, 1500, n).astype(float),
        "payment_failed_count_30d": rng.poisson(0.2, n).astype(float),
        "price_change_pct_90d": rng.choice([0.0, 0.0, 5.0, 12.0], n),
        "satisfaction_mean_90d": np.round(rng.uniform(1, 5, n), 1),
        "monthly_fee": rng.choice([19.0, 49.0, 99.0, 249.0], n),
        "plan": rng.choice(["basic", "standard", "premium"], n),
        "region": rng.choice(["Kanto", "Kansai", "EMEA", "North America"], n),
    })
    names = [c for c in feats.columns if c not in ("region",)]
    contrib = rng.normal(0, 0.4, (n, len(names)))
    logit = -2.2 + contrib.sum(1)
    prob = 1 / (1 + np.exp(-logit))
    reasons = top_reasons(feats, contrib, names, language)
    ids = pd.Series([f"C{100000 + i}" for i in range(n)])
    ids.iloc[:2] = ["=HYPERLINK(\"http://x\")", "<b>bold</b>"]
    scored = pd.DataFrame({"customer_id": ids, "churn_probability": prob})
    scored["risk_tier"] = assign_tiers(scored["churn_probability"], "top_share", 0.05, 0.2).to_numpy()
    scored["value_at_risk"] = value_at_risk(scored["churn_probability"], feats["monthly_fee"], 30)
    scored = pd.concat([scored, reasons[["reason_1", "reason_2", "reason_3", "driver_family"]]], axis=1)
    actions = recommend_actions(reasons["driver_family"], feats[["tenure_days", "monthly_fee"]], DEFAULT_PLAYBOOK,
                                language)
    scored["recommended_action"] = actions["recommended_action"]
    scored[["plan", "region", "tenure_days"]] = feats[["plan", "region", "tenure_days"]]
    scored = scored.sort_values("churn_probability", ascending=False, ignore_index=True)
    scored.insert(0, "rank", np.arange(1, n + 1))
    cutoffs = pd.date_range("2024-01-31", periods=12, freq="ME")
    churn = np.clip(0.045 + 0.006 * np.sin(np.arange(12)) + rng.normal(0, 0.002, 12), 0, 1)
    trend = pd.DataFrame({"cutoff": cutoffs, "churn_rate": churn, "retention_rate": 1 - churn})
    from models.explain import family_importance

    drivers = family_importance(contrib, names)[["family", "share"]]
    return ReportContext(
        as_of=_dt.date(2024, 12, 31),
        customers_scored=n,
        expected_churners=float(prob.sum()),
        revenue_at_risk=float(scored["value_at_risk"].sum()),
        horizon_days=30,
        churn_trend=trend,
        model_quality={"roc_auc": 0.82, "top_decile_lift": 3.1, "n_test": 1843, "test_cutoff": _dt.date(2024, 11, 30)},
        scored=scored,
        driver_importance=drivers,
        drift_warnings=[("events_login_count_30d", 0.27)],
        top_n=top_n,
    )
