"""Stage explain: SHAP reasons for every customer scored at the scoring date.

Reads the features at the scoring date and the model; writes
``data/explain/scoring_population.parquet`` (customer_id, churn_probability,
reasons, reason codes, driver family, reason_reference and reference_log_odds (who the
reasons compare the customer with), scored_at, the segment columns),
``shap_values.parquet`` and ``driver_importance.csv``. On synthetic data it
also checks the reasons against the generator's ground truth: for customers
who churned after the test cutoff, how often the top reason's family is the
family that drove their churn (``data/metrics/explain_metrics.json``).

How customers are explained (``explain:`` params): by default each customer is
explained against the customers of the same ``reference_segment`` (the
contract) scored on the same date, with exact interventional TreeSHAP
(``models.explain.segment_contributions``); the contributions then add up to
the customer's log-odds minus the mean log-odds of those peers, so the reasons
say what sets the customer apart from customers on the same contract instead
of restating the contract ("renewal in 12 days" for every monthly customer).
The driver family is the family whose risk-raising contributions add up to the
most, and reason 1 is that family's strongest feature (``driver: family``); the
risk from a usage or engagement window longer than the customer's tenure counts
for tenure (who joined 20 days ago has few events in 90 days for being new).
``method: tree_path`` and ``driver: feature`` give the earlier behaviour:
LightGBM's path-dependent TreeSHAP against the training population, driver =
family of the single strongest feature.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import time
from pathlib import Path

import lightgbm as lgb
import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from models.explain import (blend_contributions, driver_first, family_importance, segment_contributions,
                            shap_contributions)
from models.predict import ChurnModel, linear_part
from models.reasons import top_reasons
from models.train import matrix
from pipeline import config, tracking
from pipeline.io import atomic_path, read_json, remove_outputs, write_json, write_parquet

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


def scoring_model(model_dir: Path) -> tuple[lgb.Booster, dict, dict]:
    """The model that scores: the registry's champion, else the newest version (this run's).

    When this run's version did not pass the gate, the champion's booster and
    metadata are downloaded from the MLflow registry, so the retention team is
    never handed a list from a model that failed the gate while a champion exists.

    Returns:
        The booster, its model metadata, and a note (version, alias, why).
    """
    reg = read_json(model_dir / "registry.json")
    name, version = reg["model_name"], str(reg["version"])
    local = (lgb.Booster(model_file=str(model_dir / "model.txt")), read_json(model_dir / "model_meta.json"))
    if reg.get("alias") == "champion":
        return (*local, {"model_name": name, "version": version, "alias": "champion",
                         "note": "this run's model is the champion"})
    client = MlflowClient()
    try:
        champion = client.get_model_version_by_alias(name, "champion")
    except MlflowException:
        log.warning("no champion for model %s yet: scoring with the newest version v%s", name, version)
        return (*local, {"model_name": name, "version": version, "alias": reg.get("alias", ""),
                         "note": "no champion yet; newest version used"})
    with tempfile.TemporaryDirectory(prefix="champion-") as tmp:
        path = Path(mlflow.artifacts.download_artifacts(f"models:/{name}@champion", dst_path=tmp))
        booster_file = next(path.rglob("model.txt"))
        meta_file = next(path.rglob("model_meta.json"))
        booster = lgb.Booster(model_file=str(booster_file))
        meta = read_json(meta_file)
    log.warning("this run's version v%s is a challenger (%s); scoring with champion v%s",
                version, reg.get("reason", ""), champion.version)
    return booster, meta, {"model_name": name, "version": str(champion.version), "alias": "champion",
                           "note": f"this run's v{version} did not pass the gate"}


def explain_rows(booster: lgb.Booster, meta: dict, rows: pd.DataFrame, reference_rows: pd.DataFrame, ep,
                 language: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Reasons and contributions for ``rows`` as the ``explain:`` params ask.

    Args:
        booster, meta: the model and its metadata.
        rows: the customers to explain (feature rows).
        reference_rows: the customers they are compared with (``method: interventional``),
            normally everybody scored on the same date, ``rows`` included.
        ep: the validated ``explain`` params.
        language: language of the reasons.

    Returns:
        ``(reasons, contributions, reference_log_odds, reference)``: the frame of
        :func:`models.reasons.top_reasons`, the ``(n, n_features)`` contributions
        (booster feature order), per customer the log-odds its contributions
        start from, and the segment value it was compared with ("" = everybody).
    """
    X, _ = matrix(rows, meta["features"], meta["categorical"], meta["levels"])
    linear, weight = linear_part(meta)
    if ep.method == "tree_path":
        contributions, base = blend_contributions(*shap_contributions(booster, X), linear, weight, X)
        reference_log_odds, reference = np.full(len(rows), base), np.full(len(rows), "", dtype=object)
    else:
        column = ep.reference_segment
        if column is not None and (column not in rows.columns or column not in reference_rows.columns):
            log.warning("explain.reference_segment '%s' is not a column of the features: every customer is "
                        "explained against all scored customers", column)
            column = None
        ref_X, _ = matrix(reference_rows, meta["features"], meta["categorical"], meta["levels"])
        contributions, reference_log_odds, reference = segment_contributions(
            booster, X, rows[column] if column else None, ref_X, reference_rows[column] if column else None,
            quantile=ep.reference_quantile, size=ep.reference_size, linear=linear, linear_weight=weight)
    tenure = (pd.to_numeric(rows["tenure_days"], errors="coerce").astype("float64").to_numpy()
              if "tenure_days" in rows.columns else None)
    ranking = driver_first(contributions, meta["features"], tenure) if ep.driver == "family" else contributions
    reasons = top_reasons(rows[meta["features"]], ranking, meta["features"], language=language, top_k=ep.top_k)
    return reasons, contributions, reference_log_odds, reference


def driver_match(features_dir: Path, labels_path: Path, drivers_path: Path, booster: lgb.Booster, meta: dict,
                 language: str, ep=None) -> dict | None:
    """Share of test-cutoff churners whose top reason's family is their ground-truth driver family.

    The churners are explained exactly as the scoring population is: against the
    customers labelled at the test cutoff (the population the model was tested on).

    Returns:
        Overall and per-family match rates with counts, the explained family of
        the mismatches per true family, or None without ground truth.
    """
    ep = ep if ep is not None else config.ExplainParams()
    test = meta.get("split", {}).get("test")
    if not drivers_path.exists() or test is None:
        return None
    drivers = pd.read_parquet(drivers_path)
    if drivers.empty:
        return None
    test_cutoff = dt.date.fromisoformat(test)
    labels = pd.read_parquet(labels_path, filters=[("cutoff", "==", test_cutoff)])
    churners = labels.loc[labels["label"] == 1, ["customer_id"]].merge(drivers, on="customer_id")
    if churners.empty:
        return None
    population = pd.read_parquet(features_dir / "features.parquet", filters=[("cutoff", "==", test_cutoff)])
    population = population.merge(labels[["customer_id"]], on="customer_id")
    population = population.sort_values("customer_id", kind="stable").reset_index(drop=True)
    rows = population.merge(churners, on="customer_id").sort_values("customer_id", kind="stable").reset_index(drop=True)
    top, _, _, _ = explain_rows(booster, meta, rows, population, ep.model_copy(update={"top_k": 1}), language)
    explained = top["driver_family"].to_numpy()
    truth = rows["dominant_driver"].to_numpy()
    hit = explained == truth
    per_family = {
        fam: {"n": int((truth == fam).sum()),
              "match_rate": float(hit[truth == fam].mean()),
              "explained_as": {str(k): int(v) for k, v in
                               pd.Series(explained[truth == fam]).replace("", "none").value_counts().sort_index().items()}}
        for fam in sorted(pd.unique(truth))
    }
    return {"driver_match_rate": float(hit.mean()), "n_churners": int(len(rows)), "test_cutoff": test,
            "per_family": per_family,
            "method": {"method": ep.method, "driver": ep.driver, "reference_segment": ep.reference_segment,
                       "reference_quantile": ep.reference_quantile, "reference_size": ep.reference_size}}


def main(params_path: Path = Path("params.yaml"), features_dir: Path = Path("data/features"),
         model_dir: Path = Path("data/models"), out_dir: Path = Path("data/explain"),
         labels_path: Path = Path("data/labels/labels.parquet"),
         active_path: Path = Path("data/labels/active_at_score.parquet"),
         drivers_path: Path = Path("data/ground_truth/drivers.parquet"),
         metrics_path: Path = Path("data/metrics/explain_metrics.json")) -> pd.DataFrame:
    """Run the explain stage from params."""
    params = config.load_params(params_path)
    ep = config.section(params, "explain", params_path)
    rp = config.section(params, "report", params_path)
    mp = config.section(params, "mlflow", params_path)
    pop_path, shap_path, imp_path, used_path = (out_dir / "scoring_population.parquet", out_dir / "shap_values.parquet",
                                                out_dir / "driver_importance.csv", out_dir / "scoring_model.json")
    remove_outputs(pop_path, shap_path, imp_path, metrics_path, used_path)
    run_booster = lgb.Booster(model_file=str(model_dir / "model.txt"))
    run_meta = read_json(model_dir / "model_meta.json")
    tracking.setup(mp)
    booster, meta, used = scoring_model(model_dir)
    write_json(used, used_path)
    rows, score_date = scoring_rows(features_dir, active_path)
    t0 = time.perf_counter()
    reasons, contributions, reference_log_odds, reference = explain_rows(booster, meta, rows, rows, ep, rp.language)
    elapsed = time.perf_counter() - t0
    proba = ChurnModel(booster, meta).predict_proba(rows)  # calibrated; SHAP above stays on the raw score
    pop = pd.concat([rows[["customer_id"]], pd.Series(proba, name="churn_probability"), reasons], axis=1)
    pop["reason_reference"] = reference  # the segment value the reasons compare the customer with ("" = everybody)
    pop["reference_log_odds"] = reference_log_odds  # contributions add up to log-odds minus this
    pop["scored_at"] = score_date.isoformat()
    write_parquet(pop, pop_path)
    shap_frame = pd.DataFrame(contributions, columns=meta["features"])
    shap_frame.insert(0, "customer_id", rows["customer_id"].to_numpy())
    write_parquet(shap_frame, shap_path)
    importance = family_importance(contributions, meta["features"])
    with atomic_path(imp_path) as tmp:
        importance.to_csv(tmp, index=False, float_format="%.6f")
    # The ground-truth check judges this run's model, whichever model scores.
    match = driver_match(features_dir, labels_path, drivers_path, run_booster, run_meta, rp.language, ep)
    write_json(match or {"driver_match_rate": None, "note": "no ground truth for this data source"}, metrics_path)
    with mlflow.start_run(run_id=read_json(model_dir / "mlflow_run.json")["run_id"]):
        mlflow.log_artifact(str(imp_path), artifact_path="explain")
        mlflow.log_metric("n_scored", len(pop))
        if match:
            mlflow.log_metric("driver_match_rate", match["driver_match_rate"])
            mlflow.log_metrics({f"driver_match_rate_{f}": v["match_rate"] for f, v in match["per_family"].items()})
            log.info("top reason matches the true churn driver for %.1f%% of %d churners at %s",
                     100 * match["driver_match_rate"], match["n_churners"], match["test_cutoff"])
    log.info("explained %d customers at %s in %.1f s (%s, driver by %s; reference log-odds %.3f to %.3f)",
             len(pop), score_date, elapsed, ep.method, ep.driver,
             float(reference_log_odds.min()) if len(pop) else float("nan"),
             float(reference_log_odds.max()) if len(pop) else float("nan"))
    return pop
