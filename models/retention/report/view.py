"""The report's content turned into display values: every text translated, every number formatted."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from typing import Any

import numpy as np
import pandas as pd

from models.clv.spend import DAYS_PER_MONTH
from models.retention import i18n
from models.retention.labels import value_names
from models.retention.report.campaign import campaign_view, holdout_note
from models.retention.report.charts import hbar_chart_svg, histogram_svg, line_chart_svg, nice_max
from models.retention.report.drift_view import drift_items, drift_panel
from models.retention.report.segments import segment_view
from models.retention.tiers import TIERS

REQUIRED_COLUMNS: tuple[str, ...] = (
    "rank", "customer_id", "churn_probability", "risk_tier", "value_at_risk",
    "reason_1", "reason_2", "reason_3", "driver_family", "recommended_action",
)
SEGMENT_COLUMNS: tuple[str, ...] = ("plan", "region", "tenure_days")
TENURE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("b0", 0, 91), ("b1", 91, 182), ("b2", 182, 365), ("b3", 365, 730), ("b4", 730, math.inf),
)

# One accent colour per tier.
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
        drift_warnings: ``(feature, psi)`` pairs or dicts with those keys (and ``compared_as``), worst first.
        drift_expected: the inputs that moved by ageing alone (an age, or a lifetime total whose per-day rate
            did not move), named apart as expected.
        drift_verdict: whether the scores still hold (``models/evaluation/verdict.py``), or None.
        scoring: which registered model scored (``version``, ``warning``, ``champion_version``); a warning
            is shown when it is not a champion.
        top_n: rows shown in the customer table.
        currency: ISO 4217 code of revenue amounts.
        profile: ``subscription`` or ``non_contract`` (``business.kind``): "did not buy again" for "left".
        value_horizon_months: the months of expected spend behind a non-contract value at risk.
        value_known: whether the data had any revenue information (else the value KPI says it is unknown).
        measures: the business's measures per cutoff, each drawn as a trend when the data has it.
        measure_windows: the look-back of each measure in days, for its title.
        campaign_results: the measure stage's results; the section "Did the last campaign work?" reads them.
        campaigns_waiting: campaigns not measured yet (their horizon has not passed).
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
    scoring: dict[str, Any] | None = None  # data/explain/scoring_model.json: which model scored, and a warning flag
    profile: str = "subscription"          # business.kind: whose words the report uses
    value_horizon_months: float | None = None   # non-contract: the horizon of the expected spend behind the value
    value_known: bool = True               # False: no fee and no spend in the data; value at risk is unknown
    measures: pd.DataFrame | None = None   # per cutoff: average_value, nps, csat (models/retention/report/trends.py)
    measure_windows: dict[str, int] | None = None   # the days each measure looks back over ({"average_value": 365})
    display_names: dict | None = None      # business.display_names, for feature labels
    campaign_results: pd.DataFrame | None = None   # data/campaigns/results.csv (the measure stage)
    campaigns_waiting: int = 0             # campaigns whose horizon has not passed yet
    drift_expected: list[str] = dataclasses.field(default_factory=list)   # moved by ageing alone
    drift_verdict: dict[str, Any] | None = None   # the latest cutoff's ROC-AUC against the earlier ones


def tenure_band(tenure_days: pd.Series, language: str, profile: str | None = None) -> pd.Series:
    """Label each customer's time as a customer with a readable band.

    Args:
        tenure_days: days since signup.
        language: ``"en"`` or ``"ja"``.

    Returns:
        Band labels, ordered categorical.
    """
    labels = [i18n.t(f"report.segments.tenure_bands.{code}", language, profile=profile) for code, _, _ in TENURE_BANDS]
    edges = [lo for _, lo, _ in TENURE_BANDS] + [math.inf]
    bands = pd.cut(pd.to_numeric(tenure_days, errors="coerce"), bins=edges, labels=labels, right=False)
    return bands


def _value_texts(values: pd.Series, column: str, language: str, display_names: dict | None,
                 missing: str = "") -> pd.Series:
    """An attribute's values as the reasons name them ("paid social media ads", 「SNS広告」), ``missing`` for none."""
    text = values.astype(object).where(values.notna(), None)
    known = text.notna().to_numpy()
    out = np.full(len(text), missing, dtype=object)
    out[known] = value_names(column, text[known].astype(str).to_numpy(dtype=object), language, display_names)
    return pd.Series(out, index=values.index, dtype=object)


def _segment_charts(scored: pd.DataFrame, language: str, profile: str | None = None,
                    display_names: dict | None = None) -> list[dict[str, Any]]:
    charts = []
    columns: list[tuple[str, pd.Series]] = []
    for col in ("plan", "region"):
        if col in scored.columns:
            columns.append((col, _value_texts(scored[col], col, language, display_names, missing="–")))
    if "tenure_days" in scored.columns:
        columns.append(("tenure_band", tenure_band(scored["tenure_days"], language, profile)))
    for name, key in columns:
        g = pd.DataFrame({"key": key, "p": scored["churn_probability"].astype(float)})
        stats = g.groupby("key", observed=True)["p"].agg(["mean", "size"])
        if name != "tenure_band":
            stats = stats.sort_values("size", ascending=False).head(12).sort_values("mean", ascending=False)
        segment = i18n.t(f"report.segments.{name}", language, profile=profile)
        title = i18n.t("report.charts.segment_by", language, profile=profile, segment=segment)
        vmax = nice_max(float(stats["mean"].max()) * 1.05) if len(stats) else 1.0
        svg = hbar_chart_svg(
            [str(k) for k in stats.index],
            stats["mean"].tolist(),
            [i18n.format_percent(v, language, 1) for v in stats["mean"]],
            title,
            notes=[i18n.t("report.charts.segment_note", language, profile=profile, n=i18n.format_number(n, language))
                   for n in stats["size"]],
            colours=["#64748b"] * len(stats),
            max_value=vmax,
            language=language,
        )
        charts.append({"title": title, "svg": svg})
    return charts


def _quality_sentence(q: dict[str, Any], language: str, profile: str | None = None) -> str:
    auc = q.get("roc_auc")
    lift = q.get("top_decile_lift")
    auc_s = i18n.format_number(auc, language, 2)
    if q.get("test_cutoff") is not None:
        auc_text = i18n.t("report.quality.auc_holdout", language, profile=profile, auc=auc_s,
                          cutoff=i18n.format_date(q["test_cutoff"], language),
                          n=i18n.format_number(q.get("n_test"), language))
    elif q.get("cv_folds"):
        auc_text = i18n.t("report.quality.auc_cv", language, profile=profile, auc=auc_s, folds=q["cv_folds"])
    else:
        auc_text = i18n.t("report.quality.auc_plain", language, profile=profile, auc=auc_s)
    auc_v = float(auc) if auc is not None else float("nan")
    lift_v = float(lift) if lift is not None else float("nan")
    if lift_v >= 2.0 and auc_v >= 0.75:
        level = "good"
    elif lift_v >= 1.3 or auc_v >= 0.65:
        level = "moderate"
    else:
        level = "weak"
    return i18n.t(f"report.quality.{level}", language, profile=profile,
                  lift=i18n.format_number(lift, language, 1), auc_text=auc_text)


def _baseline_sentence(q: dict[str, Any], language: str, profile: str | None = None) -> str:
    """The model against the best simple method of the run, on the same customers (empty if none was scored)."""
    name, base, auc = q.get("best_baseline"), q.get("best_baseline_roc_auc"), q.get("roc_auc")
    if not name or base is None or auc is None:
        return ""
    label = i18n.lookup(f"report.baselines.{name}", language, profile=profile, default=str(name).replace("_", " "))
    key = "beats" if float(auc) > float(base) else "does_not_beat"
    return i18n.t(f"report.quality.baseline_{key}", language, profile=profile, baseline=label,
                  auc=i18n.format_number(float(auc), language, 3), base=i18n.format_number(float(base), language, 3))


def _table_rows(scored: pd.DataFrame, top_n: int, language: str, currency: str, profile: str | None = None,
                display_names: dict | None = None) -> list[dict[str, Any]]:
    top = scored.sort_values("rank").head(top_n)
    named = {c: _value_texts(top[c], c, language, display_names) for c in ("plan", "region") if c in top.columns}
    tiers = {t: i18n.t(f"tiers.{t}", language, profile=profile) for t in TIERS}
    rows = []
    for i, rec in enumerate(top.to_dict("records")):
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
            "plan": named["plan"].iat[i] if "plan" in named else None,
            "region": named["region"].iat[i] if "region" in named else None,
            "tenure": None if "tenure_days" not in rec else (-1 if pd.isna(tenure) else float(tenure)),
            "tenure_text": "" if "tenure_days" not in rec else _tenure_text(tenure, language, profile),
        })
    return rows


def _tenure_text(days: Any, language: str, profile: str | None) -> str:
    """Time since signup as the reasons count it ("11 months", 「11か月」), or "" when unknown."""
    (variant,), (months,), (years,) = i18n.elapsed(np.array([np.nan if pd.isna(days) else float(days)]))
    if variant == "missing":
        return ""
    return i18n.t(f"report.table.tenure_elapsed.{variant}", language, profile=profile,
                  n=i18n.format_number(np.floor(float(days)), language), months=i18n.format_number(months, language),
                  years=i18n.format_number(years, language))


def _model_warning(scoring: dict[str, Any] | None, language: str, profile: str | None = None) -> str | None:
    if not scoring or not scoring.get("warning"):
        return None
    if scoring.get("champion_version"):
        why = i18n.t("report.model_warning.champion_elsewhere", language, profile=profile,
                     champion=scoring["champion_version"])
    else:
        why = i18n.t("report.model_warning.no_champion", language, profile=profile)
    return i18n.t("report.model_warning.text", language, profile=profile, version=scoring["version"], why=why)


def _churn_kpi(trend: pd.DataFrame, language: str, profile: str | None = None) -> dict[str, str] | None:
    """The latest churn rate, its retention and the change against the cutoff before (None without a trend)."""
    if not len(trend):
        return None
    L = language
    last = trend.iloc[-1]
    note_key, change = "report.kpi.churn_rate_note_single", ""
    if len(trend) > 1:
        delta = (float(last["churn_rate"]) - float(trend.iloc[-2]["churn_rate"])) * 100
        points = i18n.t("report.kpi.pt", L, profile=profile, value=i18n.format_number(delta, L, 1))
        change = ("+" if delta > 0 else "") + points
        note_key = "report.kpi.churn_rate_note"
    retention = i18n.format_percent(last["retention_rate"], L, 1)
    return {"label": i18n.t("report.kpi.churn_rate", L, profile=profile),
            "value": i18n.format_percent(last["churn_rate"], L, 1),
            "note": i18n.t(note_key, L, profile=profile, retention=retention, change=change)}


def _kpis(ctx: ReportContext, trend: pd.DataFrame, high: int, n_all: int, language: str,
          profile: str | None = None) -> list[dict[str, str]]:
    """The headline figures: customers scored, expected leavers, revenue at risk, high risk, churn rate."""
    L, horizon = language, ctx.horizon_days
    months = _value_months(ctx, L)
    kpis = [
        {"label": i18n.t("report.kpi.customers_scored", L, profile=profile),
         "value": i18n.format_number(ctx.customers_scored, L), "note": ""},
        {"label": i18n.t("report.kpi.expected_churners", L, profile=profile, horizon=horizon),
         "value": i18n.format_number(ctx.expected_churners, L),
         "note": i18n.t("report.kpi.expected_churners_note", L, profile=profile,
                        share=i18n.format_percent(ctx.expected_churners / n_all, L, 1))},
        {"label": i18n.t("report.kpi.revenue_at_risk", L, profile=profile, horizon=horizon, months=months),
         "value": i18n.format_money(ctx.revenue_at_risk if ctx.value_known else None, L, ctx.currency),
         "note": (i18n.t("report.kpi.revenue_at_risk_note", L, profile=profile, months=months) if ctx.value_known
                  else i18n.t("report.kpi.revenue_unknown_note", L, profile=profile))},
        {"label": i18n.t("report.kpi.high_risk", L, profile=profile), "value": i18n.format_number(high, L),
         "note": i18n.t("report.kpi.high_risk_note", L, profile=profile,
                        share=i18n.format_percent(high / n_all, L, 1))},
    ]
    churn = _churn_kpi(trend, L, profile)
    return kpis + ([churn] if churn else [])


def _value_months(ctx: ReportContext, language: str) -> str:
    """The months behind the value at risk: the expected spend's horizon, or the prediction horizon's."""
    if ctx.profile == "non_contract" and ctx.value_horizon_months:
        return i18n.format_number(ctx.value_horizon_months, language, 0)
    return i18n.format_number(ctx.horizon_days / DAYS_PER_MONTH, language, 2)


def _trend_charts(trend: pd.DataFrame, horizon: int, language: str, profile: str | None = None) -> list[dict[str, Any]]:
    """Churn and retention rate per cutoff, as two line charts."""
    if not len(trend):
        return []
    L = language
    # month-end cutoffs: show year and month only ("2024-06" / "2024/06")
    labels = [i18n.format_date(c, L, "short")[:-3] for c in trend.get("cutoff", [])]
    charts = []
    for col, colour, key, zoom in (("churn_rate", "#b91c1c", "churn", False),
                                   ("retention_rate", "#2563eb", "retention", True)):
        title = i18n.t(f"report.charts.{key}_trend", L, profile=profile, horizon=horizon)
        axis = i18n.t(f"report.charts.{col}", L, profile=profile)
        charts.append({"title": title,
                       "svg": line_chart_svg(labels, trend[col].astype(float).tolist(), title, axis, L, colour, zoom)})
    return charts


_MEASURES = (("average_value", "#0f766e", "value"), ("nps", "#7c3aed", "nps"), ("csat", "#0369a1", "csat"))


def _measure_charts(ctx: ReportContext, language: str, profile: str | None = None) -> list[dict[str, Any]]:
    """The value, NPS and CSAT trends the data supports, one line chart each."""
    m = ctx.measures
    if m is None or not len(m):
        return []
    L = language
    m = m.sort_values("cutoff")
    labels = [i18n.format_date(c, L, "short")[:-3] for c in m["cutoff"]]
    windows = ctx.measure_windows or {}
    formats = {"average_value": lambda v, d: i18n.format_money(v, L, ctx.currency, min(d, 2)),
               "nps": lambda v, d: i18n.format_number(v, L, min(d, 1)),
               "csat": lambda v, d: i18n.format_number(v, L, max(d, 1))}
    charts = []
    for col, colour, key in _MEASURES:
        if col not in m.columns or not m[col].notna().any():
            continue
        title = i18n.t(f"report.charts.{key}_trend", L, profile=profile, w=windows.get(col, 90))
        charts.append({"title": title, "svg": line_chart_svg(labels, m[col].astype(float).tolist(), title,
                                                             i18n.t(f"report.charts.{key}", L, profile=profile), L,
                                                             colour, zoom=True, formatter=formats[col])})
    return charts


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
    L, profile = language, ctx.profile
    n_all = max(int(ctx.customers_scored), 1)
    tier_counts = scored["risk_tier"].astype(str).value_counts()
    high = int(tier_counts.get("high", 0))

    trend = ctx.churn_trend.sort_values("cutoff") if len(ctx.churn_trend) else ctx.churn_trend
    horizon = ctx.horizon_days
    kpis = _kpis(ctx, trend, high, n_all, L, profile)
    trend_charts = _trend_charts(trend, horizon, L, profile) + _measure_charts(ctx, L, profile)
    drivers = ctx.driver_importance.sort_values("share", ascending=False)
    drivers_title = i18n.t("report.charts.drivers", L, profile=profile)
    drivers_svg = hbar_chart_svg(
        [i18n.t(f"families.{f}", L, profile=profile) for f in drivers["family"]],
        drivers["share"].astype(float).tolist(),
        [i18n.format_percent(s, L) for s in drivers["share"]],
        drivers_title, max_value=nice_max(float(drivers["share"].max()) if len(drivers) else 1.0), language=L,
    )
    dist_title = i18n.t("report.charts.distribution", L, profile=profile)
    callable_ = scored[scored["campaign_group"] != "holdout"] if "campaign_group" in scored.columns else scored
    top_n = min(int(ctx.top_n), len(callable_))
    # a holdout customer is never in the call table
    rows = _table_rows(callable_, top_n, L, ctx.currency, profile, ctx.display_names)
    return {
        "lang": L,
        "title": i18n.t("report.title", L, profile=profile),
        "subtitle": i18n.t("report.subtitle", L, profile=profile, horizon=horizon),
        "as_of": i18n.t("report.as_of", L, profile=profile, date=i18n.format_date(ctx.as_of, L)),
        "horizon_text": i18n.t("report.generated_for", L, profile=profile, horizon=horizon),
        "kpis": kpis,
        "quality_heading": i18n.t("report.quality.heading", L, profile=profile),
        "quality_sentence": _quality_sentence(ctx.model_quality, L, profile),
        "baseline_sentence": _baseline_sentence(ctx.model_quality, L, profile),
        "quality_note": i18n.t("report.quality.note", L, profile=profile),
        "model_warning": _model_warning(ctx.scoring, L, profile),
        "drift_items": drift_items(ctx.drift_warnings, L, profile, ctx.display_names),
        "drift": drift_panel(ctx.drift_warnings, ctx.drift_expected, ctx.drift_verdict, L, profile,
                             ctx.display_names),
        "sections": {k: i18n.t(f"report.sections.{k}", L, profile=profile, n=top_n)
                     for k in ("trend", "distribution", "drivers", "segments", "table", "how_to_read")},
        "trend_charts": trend_charts,
        "distribution": {"title": dist_title,
                         "svg": histogram_svg(scored["churn_probability"].to_numpy(), dist_title, L)},
        "tiers_summary": i18n.t("report.tiers_summary", L, profile=profile,
                                **{t: i18n.format_number(int(tier_counts.get(t, 0)), L) for t in TIERS}),
        "drivers": {"title": drivers_title, "svg": drivers_svg},
        "segment_charts": _segment_charts(scored, L, profile, ctx.display_names),
        "rows": rows,
        "has": {c: c in scored.columns for c in SEGMENT_COLUMNS},
        "tiers": [{"code": t, "label": i18n.t(f"tiers.{t}", L, profile=profile)} for t in TIERS],
        "labels": {k: i18n.t(f"report.table.{k}", L, profile=profile) for k in (
            "rank", "customer", "probability", "tier", "value_at_risk", "reasons", "action", "plan", "region",
            "tenure", "filter_label", "filter_placeholder", "tier_label", "all_tiers", "sort_hint", "no_reason")},
        "showing_template": i18n.lookup("report.table.showing", L, profile=profile),
        "how_to_read": [s.format(horizon=horizon, months=_value_months(ctx, L))
                        for s in i18n.lookup("report.how_to_read", L, profile=profile)],
        "footer": i18n.t("report.footer", L, profile=profile, date=i18n.format_date(ctx.as_of, L)),
        "tier_colours": _TIER_COLOURS,
        "holdout_note": holdout_note(scored, L),
        "campaign": campaign_view(ctx.campaign_results, L, ctx.currency, horizon, profile, ctx.campaigns_waiting),
        "action_segments": segment_view(scored, L, ctx.currency, profile, ctx.value_known),
    }
