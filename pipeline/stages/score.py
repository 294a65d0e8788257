"""Stage score: the ranked list of customers at risk at the scoring date.

Reads the labels (which customers of the training cutoffs the model was trained on, for the drift check),
the explained scoring population (reasons, driver family and, with
``explain.method: interventional``, ``reason_reference``: the segment value,
e.g. the contract, whose customers the reasons compare the customer with; empty
when compared with every scored customer), the features at the scoring date and
on the training cutoffs, and the model's registry entry; writes
``data/scored/at_risk_customers.csv`` (spreadsheet-safe) and ``.parquet``, and
``data/scored/drift.csv`` (PSI per feature, scored vs training population; lifetime totals also per day of
history, ages marked as expected to drift: ``models/evaluation/drift.py``).
The list starts a campaign (``campaign:`` params, ``pipeline/scoring/campaign.py``):
``campaign_id`` and ``campaign_group`` (contact | holdout) on the list, a
holdout's action "do not contact", and the assignments in
``data/campaigns/<campaign id>/assignments.parquet``, logged to MLflow.
With the uplift stage's ``data/models/uplift_model.json`` the list also carries
``expected_uplift``, ``expected_saving`` and ``targeting_basis`` (``score.rank_by:
expected_saving`` ranks by the saving once an uplift model beat risk ranking).
Drift never stops scoring: drifted features are logged, sent to MLflow and
listed in the report.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import mlflow
import pandas as pd

from models.evaluation.drift import drift_table
from models.predict import load_model
from models.retention.scored_list import ranked
from pipeline.core import tracking
from pipeline.core.config import Params
from pipeline.core.io import atomic_path, read_json, remove_outputs, write_csv_for_spreadsheet, write_parquet
from pipeline.scoring import campaign
from pipeline.scoring.recipe import FrameBase, Recipe

log = logging.getLogger(__name__)


def model_version(explain_dir: Path) -> str:
    """The registry version of the model that scored (``pipeline/core/registry.py``), loudly when it is not a
    champion."""
    choice = read_json(explain_dir / "scoring_model.json")
    version = str(choice["version"])
    if not choice.get("warning"):
        return version
    if choice.get("champion_version"):
        return (f"{version} (this run's model, which did not pass the gate: champion v{choice['champion_version']} "
                "cannot score this data)")
    return f"{version} (this run's model, which did not pass the gate: no champion yet)"


def _drift(features_dir: Path, meta: dict, fmeta: dict, rows: pd.DataFrame, pop: pd.DataFrame,
           threshold: float, labels_path: Path | None = None) -> pd.DataFrame:
    """Drift of the scored customers against the rows the model was trained on: the labelled (eligible) customers
    of the training cutoffs, not everybody who had signed up by then (a retailer's lapsed customers are in the
    features but neither trained on nor scored, and would make every recent-activity feature look shifted)."""
    train_cutoffs = meta.get("split", {}).get("train") or [c for c in fmeta["cutoffs"] if c != fmeta["score_date"]]
    dates = [dt.date.fromisoformat(c) for c in train_cutoffs]
    train_rows = pd.read_parquet(features_dir / "features.parquet", filters=[("cutoff", "in", dates)])
    if labels_path is not None and labels_path.exists():
        trained = pd.read_parquet(labels_path, columns=["customer_id", "cutoff"], filters=[("cutoff", "in", dates)])
        keys = pd.MultiIndex.from_frame(trained.astype({"customer_id": str, "cutoff": "datetime64[ns]"}))
        at = pd.MultiIndex.from_frame(train_rows[["customer_id", "cutoff"]].astype(
            {"customer_id": str, "cutoff": "datetime64[ns]"}))
        train_rows = train_rows[at.isin(keys)]
    scored_rows = rows[rows["customer_id"].isin(pop["customer_id"])]
    return drift_table(train_rows, scored_rows, meta["features"], meta["categorical"], threshold)


def main(params_path: Path = Path("params.yaml"), explain_dir: Path = Path("data/explain"),
         features_dir: Path = Path("data/features"), model_dir: Path = Path("data/models"),
         out_dir: Path = Path("data/scored"), campaigns_dir: Path = Path("data/campaigns"),
         labels_path: Path = Path("data/labels/labels.parquet")) -> pd.DataFrame:
    """Run the score stage from params."""
    params = Params.load(params_path)
    recipe = Recipe.from_params(params)
    csv_path, parquet_path, drift_path = (out_dir / "at_risk_customers.csv", out_dir / "at_risk_customers.parquet",
                                          out_dir / "drift.csv")
    remove_outputs(csv_path, parquet_path, drift_path)

    pop = pd.read_parquet(explain_dir / "scoring_population.parquet")
    meta = read_json(model_dir / "model_meta.json")
    fmeta = read_json(features_dir / "features_meta.json")
    score_date = dt.date.fromisoformat(fmeta["score_date"])
    rows = pd.read_parquet(features_dir / "features.parquet", filters=[("cutoff", "==", score_date)])
    with params.located():
        recipe.check([*rows.columns, *pop.columns], fmeta)
    uplift_path = model_dir / "uplift_model.json"
    uplift = read_json(uplift_path) if uplift_path.exists() else None
    out, record = scored_list(recipe, pop, rows, fmeta, model_version(explain_dir), uplift, model_dir)
    write_parquet(out, parquet_path)
    write_csv_for_spreadsheet(out, csv_path)
    cid = campaign.campaign_id(recipe.campaign, fmeta["score_date"])
    record_path = campaign.write_record(record, campaigns_dir, cid)

    drift = _drift(features_dir, meta, fmeta, rows, pop, params.score.drift_psi_threshold, labels_path)
    with atomic_path(drift_path) as tmp:
        drift.to_csv(tmp, index=False, float_format="%.6f")
    drifted = drift[drift["drifted"]]
    for f, psi, how in zip(drifted["feature"], drifted["psi_compared"], drifted["compared_as"]):
        log.warning("drift: feature %s has PSI %.3f%s against the training population (threshold %.2f)",
                    f, psi, " per day of history" if how == "per_day" else "", params.score.drift_psi_threshold)
    tracking.setup(params.mlflow)
    with mlflow.start_run(run_id=read_json(model_dir / "mlflow_run.json")["run_id"]):
        mlflow.log_artifact(str(drift_path), artifact_path="score")
        campaign.log_record(record_path, record, cid)
        mlflow.log_metrics({"n_drifted_features": len(drifted), "max_feature_psi": float(drift["psi"].max())})
        mlflow.log_metrics({f"psi_{f}": float(p) for f, p in zip(drifted["feature"], drifted["psi_compared"])})
    log.info("scored %d customers at %s; %d high risk; %d drifted features",
             len(out), score_date, int((out["risk_tier_code"] == "high").sum()), len(drifted))
    return out


def scored_list(recipe: Recipe, pop: pd.DataFrame, rows: pd.DataFrame, fmeta: dict, version: str,
                uplift: dict | None = None, model_dir: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The recipe's steps on one frame: the ranked list with its campaign groups, and the campaign's record.

    ``uplift``: the uplift stage's ``uplift_model.json`` (None: the list has no uplift columns); its model reads
    the churn model's matrix of the scored customers (from ``model_dir``)."""
    extra = recipe.extra_columns(rows.columns, pop.columns)
    scored = pop.merge(rows[["customer_id", *extra]], on="customer_id", how="left", validate="one_to_one")
    basis, source = recipe.value_source(fmeta, rows)
    scored = recipe.with_value(scored, rows, basis, source)
    rank_by = recipe.rank_by(basis, uplift is not None and uplift.get("model") is not None)
    thresholds = recipe.thresholds(FrameBase(scored, basis, source, recipe.playbook), basis, source)
    scored = recipe.with_actions(scored, thresholds, basis, source, version)
    if uplift is not None:
        X = None
        if uplift.get("model") is not None:
            features = rows.set_index("customer_id").reindex(scored["customer_id"]).reset_index()
            X = load_model(model_dir).matrix(features)
        scored = recipe.with_uplift(scored, uplift, X, basis, source, rank_by)
    return campaign.with_campaign(ranked(scored, rank_by, extra), recipe.campaign, fmeta["score_date"],
                                  recipe.language)
