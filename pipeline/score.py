"""Stage score: the ranked list of customers at risk at the scoring date.

Reads the explained scoring population (reasons, driver family and, with
``explain.method: interventional``, ``reason_reference``: the segment value,
e.g. the contract, whose customers the reasons compare the customer with; empty
when compared with every scored customer), the features at the scoring date and
on the training cutoffs, and the model's registry entry; writes
``data/scored/at_risk_customers.csv`` (spreadsheet-safe) and ``.parquet``, and
``data/scored/drift.csv`` (PSI per feature, scored vs training population).
Drift never stops scoring: drifted features are logged, sent to MLflow and
listed in the report.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import mlflow
import pandas as pd

from models.drift import drift_table
from models.playbook import (assign_tiers, neutralise_formulas, recommend_actions, tier_labels, value_at_risk,
                             write_csv_for_spreadsheet)
from pipeline import config, tracking
from pipeline.io import atomic_path, read_json, remove_outputs, write_parquet

log = logging.getLogger(__name__)

SEGMENTS = ("plan", "region", "contract", "tenure_days")
COLUMNS = ("rank", "customer_id", "churn_probability", "risk_tier", "value_at_risk", "reason_1", "reason_2",
           "reason_3", "reason_codes", "driver_family", "recommended_action", "action_reason", "scored_at",
           "model_version")


def model_version(explain_dir: Path) -> str:
    """The registry version of the model that scored (the champion, see pipeline/explain.py)."""
    return str(read_json(explain_dir / "scoring_model.json")["version"])


def main(params_path: Path = Path("params.yaml"), explain_dir: Path = Path("data/explain"),
         features_dir: Path = Path("data/features"), model_dir: Path = Path("data/models"),
         out_dir: Path = Path("data/scored")) -> pd.DataFrame:
    """Run the score stage from params."""
    params = config.load_params(params_path)
    sp = config.section(params, "score", params_path)
    rp = config.section(params, "report", params_path)
    lab = config.section(params, "label", params_path)
    playbook = config.section(params, "playbook", params_path).model_dump()
    mp = config.section(params, "mlflow", params_path)
    csv_path, parquet_path, drift_path = (out_dir / "at_risk_customers.csv", out_dir / "at_risk_customers.parquet",
                                          out_dir / "drift.csv")
    remove_outputs(csv_path, parquet_path, drift_path)

    pop = pd.read_parquet(explain_dir / "scoring_population.parquet")
    meta = read_json(model_dir / "model_meta.json")
    fmeta = read_json(features_dir / "features_meta.json")
    score_date = dt.date.fromisoformat(fmeta["score_date"])
    rows = pd.read_parquet(features_dir / "features.parquet", filters=[("cutoff", "==", score_date)])
    extra = [c for c in (*SEGMENTS, sp.revenue_column) if c in rows.columns and c not in pop.columns]
    scored = pop.merge(rows[["customer_id", *dict.fromkeys(extra)]], on="customer_id", how="left", validate="one_to_one")

    if sp.revenue_column in scored.columns:
        revenue = pd.to_numeric(scored[sp.revenue_column], errors="coerce")
    else:
        log.warning("score.revenue_column '%s' is not a feature; value_at_risk is left empty", sp.revenue_column)
        revenue = pd.Series(float("nan"), index=scored.index)
    scored["value_at_risk"] = value_at_risk(scored["churn_probability"], revenue, lab.horizon_days)
    tiers = assign_tiers(scored["churn_probability"], sp.tiers.method, sp.tiers.high, sp.tiers.medium)
    scored["risk_tier_code"] = tiers.to_numpy()
    scored["risk_tier"] = tier_labels(tiers, rp.language).to_numpy()
    # Rules may also match the customer's driver family or first reason (e.g. a renewal that is due).
    segments = scored[[c for c in dict.fromkeys((*SEGMENTS, sp.revenue_column, "driver_family", "reason_code_1"))
                       if c in scored.columns]]
    if sp.revenue_column in segments.columns and sp.revenue_column != "monthly_fee":
        segments = segments.assign(monthly_fee=segments[sp.revenue_column])
    actions = recommend_actions(scored["driver_family"].fillna(""), segments, playbook, rp.language)
    scored = pd.concat([scored, actions], axis=1)
    scored["model_version"] = model_version(explain_dir)

    key = sp.rank_by
    scored = scored.sort_values([key, "customer_id"], ascending=[False, True], kind="stable", na_position="last")
    scored.insert(0, "rank", range(1, len(scored) + 1))
    reason_cols = sorted((c for c in scored.columns if c.startswith("reason_") and c[7:].isdigit()),
                         key=lambda c: int(c[7:]))
    columns = [c for c in COLUMNS if c in scored.columns or c in reason_cols]
    columns += [c for c in reason_cols if c not in columns]
    columns += ["action_code", "risk_tier_code", *[c for c in extra if c not in columns]]
    if "reason_reference" in scored.columns:  # who the reasons compare the customer with (explain.reference_segment)
        columns.append("reason_reference")
    out = scored[columns].reset_index(drop=True)
    write_parquet(out, parquet_path)
    write_csv_for_spreadsheet(neutralise_formulas(out), csv_path)

    train_cutoffs = meta.get("split", {}).get("train") or [c for c in fmeta["cutoffs"] if c != fmeta["score_date"]]
    train_rows = pd.read_parquet(features_dir / "features.parquet",
                                 filters=[("cutoff", "in", [dt.date.fromisoformat(c) for c in train_cutoffs])])
    scored_rows = rows[rows["customer_id"].isin(pop["customer_id"])]
    drift = drift_table(train_rows, scored_rows, meta["features"], meta["categorical"], sp.drift_psi_threshold)
    with atomic_path(drift_path) as tmp:
        drift.to_csv(tmp, index=False, float_format="%.6f")
    drifted = drift[drift["drifted"]]
    for f, psi in zip(drifted["feature"], drifted["psi"]):
        log.warning("drift: feature %s has PSI %.3f against the training population (threshold %.2f)",
                    f, psi, sp.drift_psi_threshold)
    tracking.setup(mp)
    with mlflow.start_run(run_id=read_json(model_dir / "mlflow_run.json")["run_id"]):
        mlflow.log_artifact(str(drift_path), artifact_path="score")
        mlflow.log_metrics({"n_drifted_features": len(drifted), "max_feature_psi": float(drift["psi"].max())})
        mlflow.log_metrics({f"psi_{f}": float(p) for f, p in zip(drifted["feature"], drifted["psi"])})
    log.info("scored %d customers at %s; %d high risk; %d drifted features",
             len(out), score_date, int((out["risk_tier_code"] == "high").sum()), len(drifted))
    return out
