"""Stage explain: SHAP reasons for every customer scored at the scoring date.

Reads the features at the scoring date and the model; writes
``data/explain/scoring_population.parquet`` (customer_id, churn_probability,
reasons, reason codes, driver family, reason_reference and reference_log_odds (who the
reasons compare the customer with), scored_at), ``shap_values.parquet``,
``driver_importance.csv`` and ``scoring_model.json`` (which registry version
scored, and why). On synthetic data it also checks the reasons against the
generator's ground truth: for customers who churned after the test cutoff, how
often the top reason's family is the family that drove their churn
(``data/metrics/explain_metrics.json``).

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
import numpy as np
import pandas as pd

from models.explain.importance import family_importance
from models.predict import ChurnModel
from features.catalog import FAMILIES
from models.retention.drivers import family_contributions
from models.retention.explain_customers import explain_customers
from models.retention.truth import driver_match_report, label_weights, relative_truth, truth_match
from pipeline import config, registry, tracking
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


def driver_match(features_dir: Path, labels_path: Path, drivers_path: Path, booster: lgb.Booster, meta: dict,
                 language: str, ep=None, families: dict[str, str] | None = None) -> dict | None:
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
    top, _, _, _ = explain_customers(booster, meta, rows, population, ep.model_copy(update={"top_k": 1}), language,
                                     families=families)
    report = driver_match_report(top["driver_family"].to_numpy(), rows["dominant_driver"].to_numpy())
    return {"driver_match_rate": report["driver_match_rate"], "n_churners": int(len(rows)), "test_cutoff": test,
            "per_family": report["per_family"],
            "method": {"method": ep.method, "driver": ep.driver, "reference_segment": ep.reference_segment,
                       "reference_quantile": ep.reference_quantile, "reference_size": ep.reference_size}}


def truth_at_cutoff(features_dir: Path, labels_path: Path, truth_path: Path, booster: lgb.Booster, meta: dict,
                    language: str, ep, profile: str | None = None,
                    families: dict[str, str] | None = None) -> dict | None:
    """The explanations at the test cutoff against the generator's truth at that cutoff (synthetic data only).

    Every customer labelled at the test cutoff is explained as the scoring population is (against the
    same-segment customers of that cutoff). The truth is ``drivers_at_cutoff.parquet``: the six family
    contributions of the hazard the oracle uses, made relative to the mean of the customers active at the
    cutoff in the same segment (``explain.reference_segment``, the population explain compares with).
    Groups: (a) the churners, (b) the 10% with the highest predicted risk, (c) everyone.

    Returns:
        ``{"test_cutoff", "groups": {churners, top_decile, everyone}, "exact_explanation": ...}``, or None.
    """
    test = meta.get("split", {}).get("test")
    if not truth_path.exists() or test is None:
        return None
    cutoff = dt.date.fromisoformat(test)
    truth = pd.read_parquet(truth_path, filters=[("cutoff", "==", cutoff)])
    if truth.empty:
        return None
    everyone = pd.read_parquet(features_dir / "features.parquet", filters=[("cutoff", "==", cutoff)])
    column = ep.reference_segment if ep.reference_segment in everyone.columns else None
    truth = truth.merge(everyone[["customer_id", *([column] if column else [])]], on="customer_id", how="inner")
    truth["_relative"] = list(relative_truth(truth, truth[column] if column else None))
    labels = pd.read_parquet(labels_path, filters=[("cutoff", "==", cutoff)])
    population = everyone.merge(labels[["customer_id", "label"]], on="customer_id")
    population = population.merge(truth[["customer_id", "_relative"]], on="customer_id")
    population = population.sort_values("customer_id", kind="stable").reset_index(drop=True)
    if population.empty:
        return None
    reasons, contributions, _, _ = explain_customers(booster, meta, population, population,
                                                    ep.model_copy(update={"top_k": 1}), language, profile,
                                                    families=families)
    tenure = pd.to_numeric(population["tenure_days"], errors="coerce").astype("float64").to_numpy() \
        if "tenure_days" in population.columns else None
    explained = family_contributions(contributions, meta["features"], tenure, families)
    relative = np.stack(population["_relative"].to_numpy())
    risk = ChurnModel(booster, meta).predict_proba(population)
    top = np.zeros(len(population), dtype=bool)
    top[np.argsort(-risk, kind="stable")[: int(np.ceil(0.1 * len(population)))]] = True
    groups = {"churners": population["label"].to_numpy() == 1, "top_decile": top,
              "everyone": np.ones(len(population), dtype=bool)}
    found = truth_match(reasons["driver_family"].to_numpy(), explained, relative, groups)
    true_family = np.array(FAMILIES, dtype=object)[relative.argmax(axis=1)]
    exact = truth_match(true_family, relative, relative, groups)   # the generator's own hazard, explained exactly
    return {"test_cutoff": test, "reference_segment": column, "groups": found,
            "exact_explanation": _summary(exact),
            "label_weighted_explanation": _label_weighted(features_dir, labels_path, truth_path, column, cutoff,
                                                          relative, groups)}


def _label_weighted(features_dir: Path, labels_path: Path, truth_path: Path, column: str | None, test: dt.date,
                    relative: np.ndarray, groups: dict) -> dict | None:
    """The exact truth weighted as the labels of the earlier cutoffs weigh it: what a faithful explanation of a
    perfect model of those labels would match (None without churners and stayers before the test cutoff)."""
    weights = _label_weights(features_dir, labels_path, truth_path, column, test)
    if np.isnan(weights).any():
        return None
    weighted = relative * weights[None, :]
    ceiling = truth_match(np.array(FAMILIES, dtype=object)[weighted.argmax(axis=1)], weighted, relative, groups)
    return {"weights": dict(zip(FAMILIES, map(float, weights))), **_summary(ceiling)}


def _summary(match: dict) -> dict:
    return {g: {"match_rate": v["match_rate"], "spearman_mean": v["spearman_mean"]} for g, v in match.items()}


def _label_weights(features_dir: Path, labels_path: Path, truth_path: Path, column: str | None,
                   test: dt.date) -> np.ndarray:
    """How the labels of the cutoffs before the test cutoff weigh the six true contributions
    (:func:`models.retention.truth.label_weights`, an intercept per reference segment)."""
    keys = ["customer_id", "cutoff"]
    truth = pd.read_parquet(truth_path, filters=[("cutoff", "<", test)])
    labels = pd.read_parquet(labels_path, columns=[*keys, "label"], filters=[("cutoff", "<", test)])
    rows = truth.merge(labels, on=keys)
    if column:
        segments = pd.read_parquet(features_dir / "features.parquet", columns=[*keys, column],
                                   filters=[("cutoff", "<", test)])
        rows = rows.merge(segments, on=keys)
    rows = rows.sort_values(keys, kind="stable").reset_index(drop=True)
    return label_weights(rows, rows["label"].to_numpy(), rows[column] if column else None)


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


def explain_metrics(churn_week: dict | None, at_cutoff: dict | None) -> dict:
    """``explain_metrics.json``: the truth at the cutoff (flat keys per group, then details) and the churn week."""
    if churn_week is None and at_cutoff is None:
        return {"driver_match_rate": None, "note": "no ground truth for this data source"}
    out: dict = {}
    if at_cutoff:
        for g, v in at_cutoff["groups"].items():
            out[f"truth_match_rate_{g}"] = v["match_rate"]
            out[f"truth_spearman_{g}"] = v["spearman_mean"]
            out[f"truth_n_{g}"] = v["n"]
        out["truth_at_cutoff"] = at_cutoff
    if churn_week:   # the earlier measure, kept for continuity: the driver in the churn week, after the cutoff
        out.update({k: churn_week[k] for k in ("driver_match_rate", "n_churners", "test_cutoff")})
        out["churn_week"] = churn_week
    return out


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
    business = config.section(params, "business", params_path)
    kind = config.business_kind(params, params_path)
    families = read_json(features_dir / "features_meta.json").get("families")   # by kind of business (featurize)
    reasons, contributions, reference_log_odds, reference = explain_customers(
        booster, meta, rows, rows, ep, rp.language, kind, business.display_names, families)
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
                mlflow.log_metrics({f"truth_match_rate_{g}": v["match_rate"], f"truth_spearman_{g}": v["spearman_mean"]})
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
