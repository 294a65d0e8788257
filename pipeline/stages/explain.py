"""Stage explain: SHAP reasons for every customer scored at the scoring date.

Reads the features at the scoring date and the model; writes
``data/explain/scoring_population.parquet`` (customer_id, churn_probability,
reasons, reason codes, driver family, reason_reference and reference_log_odds (who the
reasons compare the customer with), scored_at), ``shap_values.parquet``,
``driver_importance.csv`` and ``scoring_model.json`` (which registry version
scored, and why). On synthetic data it also checks the reasons against the
generator's ground truth (``pipeline/checks/ground_truth.py``,
``data/metrics/explain_metrics.json``).

How customers are explained (``explain:`` params) is described in
:mod:`models.retention.explain_customers`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

import lightgbm as lgb
import mlflow
import pandas as pd

from models.explain.importance import family_importance
from models.predict import ChurnModel
from models.retention.explain_customers import explain_customers
from models.retention.labels import check_display_names
from pipeline.checks.ground_truth import driver_match, explain_metrics, truth_at_cutoff
from pipeline.core import config, registry, tracking
from pipeline.core.io import atomic_path, read_json, remove_outputs, write_json, write_parquet

log = logging.getLogger(__name__)


def scoring_rows(features_dir: Path, active_path: Path) -> tuple[pd.DataFrame, dt.date]:
    """The feature rows at the scoring date, for customers active then under the label mode's rule.

    In ``churn_date`` mode that is every customer in the feature spine; in
    ``inactivity`` mode only those with an event inside the look-back.
    """
    fmeta = read_json(features_dir / "features_meta.json")
    score_date = dt.date.fromisoformat(fmeta["score_date"])
    rows = pd.read_parquet(features_dir / "features.parquet", filters=[("cutoff", "==", score_date)])
    active = pd.read_parquet(active_path, columns=["customer_id"])
    rows = rows.merge(active, on="customer_id", how="inner")
    return rows.sort_values("customer_id", kind="stable").reset_index(drop=True), score_date


def _write_explanations(rows: pd.DataFrame, reasons: pd.DataFrame, contributions, reference_log_odds, reference,
                        proba, features: list[str], score_date: dt.date, paths: dict[str, Path],
                        families: dict[str, str] | None = None) -> pd.DataFrame:
    pop = pd.concat([rows[["customer_id"]], pd.Series(proba, name="churn_probability"), reasons], axis=1)
    pop["reason_reference"] = reference  # the segment value the reasons compare the customer with ("" = everybody)
    pop["reference_log_odds"] = reference_log_odds  # contributions add up to log-odds minus this
    pop["scored_at"] = score_date.isoformat()
    write_parquet(pop, paths["population"])
    shap_frame = pd.DataFrame(contributions, columns=features)
    shap_frame.insert(0, "customer_id", rows["customer_id"].to_numpy())
    write_parquet(shap_frame, paths["shap"])
    with atomic_path(paths["importance"]) as tmp:
        family_importance(contributions, features, families).to_csv(tmp, index=False, float_format="%.6f")
    return pop


def main(params_path: Path = Path("params.yaml"), features_dir: Path = Path("data/features"),
         model_dir: Path = Path("data/models"), out_dir: Path = Path("data/explain"),
         labels_path: Path = Path("data/labels/labels.parquet"),
         active_path: Path = Path("data/labels/active_at_score.parquet"),
         drivers_path: Path = Path("data/ground_truth/drivers.parquet"),
         metrics_path: Path = Path("data/metrics/explain_metrics.json")) -> pd.DataFrame:
    """Run the explain stage from params."""
    params = config.Params.load(params_path)
    ep, rp, mp = params.explain, params.report, params.mlflow
    names = params.checked("business.display_names", check_display_names)
    paths = {"population": out_dir / "scoring_population.parquet", "shap": out_dir / "shap_values.parquet",
             "importance": out_dir / "driver_importance.csv", "used": out_dir / "scoring_model.json"}
    remove_outputs(*paths.values(), metrics_path)
    run_booster = lgb.Booster(model_file=str(model_dir / "model.txt"))
    run_meta = read_json(model_dir / "model_meta.json")
    tracking.setup(mp)
    booster, meta, used = registry.scoring_model(model_dir)
    write_json(used, paths["used"])
    rows, score_date = scoring_rows(features_dir, active_path)
    t0 = time.perf_counter()
    kind = params.business_kind
    families = read_json(features_dir / "features_meta.json").get("families")   # by kind of business (featurize)
    reasons, contributions, reference_log_odds, reference = explain_customers(
        booster, meta, rows, rows, ep, rp.language, kind, names, families)
    elapsed = time.perf_counter() - t0
    proba = ChurnModel(booster, meta).predict_proba(rows)  # calibrated; SHAP above stays on the raw score
    pop = _write_explanations(rows, reasons, contributions, reference_log_odds, reference, proba, meta["features"],
                              score_date, paths, families)
    # The ground-truth checks judge this run's model, whichever model scores.
    match = driver_match(features_dir, labels_path, drivers_path, run_booster, run_meta, rp.language, ep, families)
    at_cutoff = truth_at_cutoff(features_dir, labels_path, drivers_path.with_name("drivers_at_cutoff.parquet"),
                                run_booster, run_meta, rp.language, ep, kind, families)
    write_json(explain_metrics(match, at_cutoff), metrics_path)
    with mlflow.start_run(run_id=read_json(model_dir / "mlflow_run.json")["run_id"]):
        mlflow.log_artifact(str(paths["importance"]), artifact_path="explain")
        mlflow.log_metric("n_scored", len(pop))
        if match:
            mlflow.log_metric("driver_match_rate", match["driver_match_rate"])
            mlflow.log_metrics({f"driver_match_rate_{f}": v["match_rate"] for f, v in match["per_family"].items()})
            log.info("churn week: top reason matches the true churn driver for %.1f%% of %d churners at %s",
                     100 * match["driver_match_rate"], match["n_churners"], match["test_cutoff"])
        if at_cutoff:
            for g, v in at_cutoff["groups"].items():
                mlflow.log_metrics({f"truth_match_rate_{g}": v["match_rate"],
                                    f"truth_spearman_{g}": v["spearman_mean"]})
                log.info("at the cutoff: top reason = true driver for %.1f%% of %s (n %d), Spearman %.3f",
                         100 * v["match_rate"], g, v["n"], v["spearman_mean"])
            ceiling = at_cutoff.get("label_weighted_explanation")
            if ceiling:
                log.info("the truth weighted as the labels weigh it (%s) matches %.1f%% of the top decile",
                         ", ".join(f"{f} {w:.2f}" for f, w in ceiling["weights"].items()),
                         100 * ceiling["top_decile"]["match_rate"])
    log.info("explained %d customers at %s in %.1f s (%s, driver by %s; reference log-odds %.3f to %.3f)",
             len(pop), score_date, elapsed, ep.method, ep.driver,
             float(reference_log_odds.min()) if len(pop) else float("nan"),
             float(reference_log_odds.max()) if len(pop) else float("nan"))
    return pop
