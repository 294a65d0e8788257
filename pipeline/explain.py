"""Stage explain: SHAP reasons for every customer scored at the scoring date.

Reads the features at the scoring date and the model; writes
``data/explain/scoring_population.parquet`` (customer_id, churn_probability,
reasons, reason codes, driver family, scored_at, the segment columns),
``shap_values.parquet`` and ``driver_importance.csv``.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import lightgbm as lgb
import mlflow
import pandas as pd

from models.explain import family_importance, shap_contributions
from models.reasons import top_reasons
from models.train import matrix
from pipeline import config, tracking
from pipeline.io import atomic_path, read_json, remove_outputs, write_parquet

log = logging.getLogger(__name__)


def scoring_rows(features_dir: Path) -> tuple[pd.DataFrame, dt.date]:
    """The feature rows at the scoring date (customers active then)."""
    fmeta = read_json(features_dir / "features_meta.json")
    score_date = dt.date.fromisoformat(fmeta["score_date"])
    rows = pd.read_parquet(features_dir / "features.parquet", filters=[("cutoff", "==", score_date)])
    return rows.sort_values("customer_id", kind="stable").reset_index(drop=True), score_date


def main(params_path: Path = Path("params.yaml"), features_dir: Path = Path("data/features"),
         model_dir: Path = Path("data/models"), out_dir: Path = Path("data/explain")) -> pd.DataFrame:
    """Run the explain stage from params."""
    params = config.load_params(params_path)
    ep = config.section(params, "explain", params_path)
    mp = config.section(params, "mlflow", params_path)
    pop_path, shap_path, imp_path = (out_dir / "scoring_population.parquet", out_dir / "shap_values.parquet",
                                     out_dir / "driver_importance.csv")
    remove_outputs(pop_path, shap_path, imp_path)
    meta = read_json(model_dir / "model_meta.json")
    booster = lgb.Booster(model_file=str(model_dir / "model.txt"))
    rows, score_date = scoring_rows(features_dir)
    X, _ = matrix(rows, meta["features"], meta["categorical"], meta["levels"])
    contributions, base = shap_contributions(booster, X)
    reasons = top_reasons(rows[meta["features"]], contributions, meta["features"], language=ep.language, top_k=ep.top_k)
    pop = pd.concat([rows[["customer_id"]], pd.Series(booster.predict(X), name="churn_probability"), reasons], axis=1)
    pop["scored_at"] = score_date.isoformat()
    write_parquet(pop, pop_path)
    shap_frame = pd.DataFrame(contributions, columns=meta["features"])
    shap_frame.insert(0, "customer_id", rows["customer_id"].to_numpy())
    write_parquet(shap_frame, shap_path)
    importance = family_importance(contributions, meta["features"])
    with atomic_path(imp_path) as tmp:
        importance.to_csv(tmp, index=False, float_format="%.6f")
    tracking.setup(mp)
    with mlflow.start_run(run_id=read_json(model_dir / "mlflow_run.json")["run_id"]):
        mlflow.log_artifact(str(imp_path), artifact_path="explain")
        mlflow.log_metric("n_scored", len(pop))
    log.info("explained %d customers at %s (base log-odds %.3f)", len(pop), score_date, base)
    return pop
