"""Stage report: one self-contained HTML page for the retention team.

Reads the scored list, the churn trend, the model's metrics, the driver
importance, the drift table (with the test metrics and the validation predictions, for the verdict whether the scores
still hold), which model scored, the features and labels
for the business's measures over time (value, NPS, CSAT), and the measured
campaigns (``data/campaigns/results.csv``); writes
``data/reports/retention_report.html``, a single file that opens offline (no
CDN, charts as inline SVG), and logs it as an artifact of the MLflow run.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import mlflow
import pandas as pd

from models.evaluation.verdict import auc_by_cutoff, score_verdict
from models.retention.labels import check_display_names
from models.retention.report import ReportContext, render_report
from pipeline.core import config, tracking
from pipeline.core.io import atomic_path, read_json, remove_outputs

log = logging.getLogger(__name__)


def measures(features_path: Path, labels_path: Path, profile: str,
             spend_wanted: str = "auto") -> tuple[pd.DataFrame, dict]:
    """The business's measures per labelled cutoff (``models/retention/report/trends.py``) and their windows."""
    import pyarrow.parquet as pq

    from models.clv.spend import spend_event_type
    from models.retention.report.trends import csat_column, trend_sql, value_column
    from pipeline.core import duck

    columns = pq.read_schema(features_path).names
    con = duck.connect()
    try:
        duck.view_parquet(con, "features", features_path)
        duck.view_parquet(con, "labels", labels_path)
        sums = [c for c in columns if c.startswith("events_") and c.endswith("_value_sum_all")]
        totals = {}
        if sums:
            row = con.sql("SELECT " + ", ".join(f'sum(CAST("{c}" AS DOUBLE))' for c in sums)
                          + " FROM features").fetchone()
            totals = {c[len("events_"):-len("_value_sum_all")]: float(v or 0) for c, v in zip(sums, row)}
        spend = spend_event_type(columns, spend_wanted, totals)
        sql, names = trend_sql(columns, profile, spend)
        frame = con.sql(sql).df() if names else pd.DataFrame(columns=["cutoff"])
    finally:
        con.close()
    frame["cutoff"] = pd.to_datetime(frame["cutoff"]).dt.strftime("%Y-%m-%d")
    csat = csat_column(columns)
    windows = {"average_value": value_column(columns, profile, spend)[1] or 0,
               "nps": 90, "csat": int(csat.rsplit("_", 1)[1][:-1]) if csat else 90}
    return frame, windows


def drift_lists(drift: pd.DataFrame, threshold: float) -> tuple[list[dict], list[str]]:
    """The flagged inputs (worst first, how each was compared) and those that moved by ageing alone: an age, or a
    lifetime total whose PSI as it is exceeds ``threshold`` but whose per-day rate did not move."""
    how = drift["compared_as"] if "compared_as" in drift.columns else pd.Series("as_is", index=drift.index)
    flagged = drift[drift["drifted"]]
    warnings = [{"feature": f, "psi": float(p), "compared_as": c} for f, p, c in zip(
        flagged["feature"], flagged["psi_compared"] if "psi_compared" in drift.columns else flagged["psi"],
        how[drift["drifted"]])]
    aged = ~drift["drifted"] & how.isin(["ageing", "per_day"]) & (drift["psi"] > threshold)
    return warnings, drift.loc[aged, "feature"].astype(str).tolist()


def build_context(scored_path: Path, label_summary: Path, metrics_path: Path, importance_path: Path,
                  drift_path: Path, horizon_days: int, top_n: int, currency: str,
                  scoring_path: Path | None = None, profile: str = "subscription",
                  value_horizon_months: float | None = None,
                  measured: tuple[pd.DataFrame, dict] | None = None,
                  display_names: dict | None = None, campaign_results: Path | None = None,
                  campaign_metrics: Path | None = None, validation_path: Path | None = None,
                  threshold: float = 0.2) -> ReportContext:
    """Gather the report's content from the stage outputs."""
    scored = pd.read_parquet(scored_path)
    trend = pd.read_csv(label_summary)
    metrics = read_json(metrics_path)
    warnings, expected = drift_lists(pd.read_csv(drift_path), threshold)
    verdict = score_verdict(metrics, auc_by_cutoff(pd.read_parquet(validation_path))) \
        if validation_path is not None and validation_path.exists() else None
    quality = {k: metrics.get(k) for k in ("roc_auc", "top_decile_lift", "n_test", "test_cutoff", "cv_folds",
                                         "best_baseline", "best_baseline_roc_auc")}
    as_of = dt.date.fromisoformat(str(scored["scored_at"].iloc[0])) if len(scored) else dt.date.today()
    return ReportContext(
        as_of=as_of,
        customers_scored=len(scored),
        expected_churners=float(scored["churn_probability"].sum()),
        revenue_at_risk=float(scored["value_at_risk"].sum(skipna=True)),
        horizon_days=horizon_days,
        churn_trend=trend[["cutoff", "churn_rate", "retention_rate"]],
        model_quality=quality,
        scored=scored.assign(risk_tier=scored["risk_tier_code"]),
        driver_importance=pd.read_csv(importance_path),
        drift_warnings=warnings,
        drift_expected=expected,
        drift_verdict=verdict,
        top_n=top_n,
        currency=currency,
        scoring=read_json(scoring_path) if scoring_path is not None and scoring_path.exists() else None,
        profile=profile,
        value_horizon_months=value_horizon_months,
        value_known=bool(scored["value_at_risk"].notna().any()) if len(scored) else False,
        measures=measured[0] if measured else None,
        measure_windows=measured[1] if measured else None,
        display_names=display_names,
        campaign_results=pd.read_csv(campaign_results, dtype={"campaign_id": str, "segment_value": str},
                                     keep_default_na=False, na_values=[""])
        if campaign_results is not None and campaign_results.exists() else None,
        campaigns_waiting=int(read_json(campaign_metrics).get("campaigns_waiting", 0))
        if campaign_metrics is not None and campaign_metrics.exists() else 0,
    )


def main(params_path: Path = Path("params.yaml"), scored_path: Path = Path("data/scored/at_risk_customers.parquet"),
         drift_path: Path = Path("data/scored/drift.csv"), label_summary: Path = Path("data/labels/label_summary.csv"),
         metrics_path: Path = Path("data/metrics/metrics.json"),
         importance_path: Path = Path("data/explain/driver_importance.csv"),
         scoring_path: Path = Path("data/explain/scoring_model.json"), model_dir: Path = Path("data/models"),
         report_path: Path = Path("data/reports/retention_report.html"),
         features_path: Path = Path("data/features/features.parquet"),
         labels_path: Path = Path("data/labels/labels.parquet"),
         campaign_results: Path = Path("data/campaigns/results.csv"),
         campaign_metrics: Path = Path("data/metrics/campaign_metrics.json"),
         validation_path: Path = Path("data/models/validation_predictions.parquet")) -> Path:
    """Run the report stage from params."""
    params = config.Params.load(params_path)
    rp, lab = params.report, params.label
    names = params.checked("business.display_names", check_display_names)
    remove_outputs(report_path)
    mp = params.mlflow
    kind = params.business_kind
    sp = params.score
    ctx = build_context(scored_path, label_summary, metrics_path, importance_path, drift_path,
                        lab.horizon_days, rp.top_n, rp.currency, scoring_path, kind, sp.value_horizon_months,
                        measures(features_path, labels_path, kind, sp.spend_event_type),
                        names, campaign_results,
                        campaign_metrics, validation_path, params.score.drift_psi_threshold)
    html = render_report(ctx, rp.language)
    with atomic_path(report_path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    tracking.setup(mp)
    with mlflow.start_run(run_id=read_json(model_dir / "mlflow_run.json")["run_id"]):
        mlflow.log_artifact(str(report_path), artifact_path="report")
    log.info("report for %d customers written to %s (%s)", ctx.customers_scored, report_path, rp.language)
    return report_path
