"""Stage train: LightGBM on earlier cutoffs, early-stopped on a later one, tracked in MLflow.

Reads features, labels and the validated data (for its hash); writes
``data/models/model.txt`` (the booster), ``model_meta.json`` (features,
category levels, split) and ``mlflow_run.json`` (the run the later stages log into).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import mlflow
import pandas as pd

from models.train import fit, lgbm_params, matrix, split_cutoffs
from pipeline import config, tracking
from pipeline.io import atomic_path, read_json, remove_outputs, write_json

log = logging.getLogger(__name__)


def load_training_frame(features_path: Path, labels_path: Path) -> pd.DataFrame:
    """Features joined to labels on (customer_id, cutoff): only labelled rows."""
    labels = pd.read_parquet(labels_path)
    cutoffs = sorted(labels["cutoff"].unique())
    feats = pd.read_parquet(features_path, filters=[("cutoff", "in", cutoffs)])
    frame = feats.merge(labels, on=["customer_id", "cutoff"], how="inner", validate="one_to_one")
    return frame.sort_values(["cutoff", "customer_id"], kind="stable").reset_index(drop=True)


def main(params_path: Path = Path("params.yaml"), features_dir: Path = Path("data/features"),
         labels_path: Path = Path("data/labels/labels.parquet"),
         validated_dir: Path = Path("data/interim/validated"), out_dir: Path = Path("data/models")) -> dict:
    """Run the train stage from params."""
    params = config.load_params(params_path)
    tp = config.section(params, "train", params_path)
    lab = config.section(params, "label", params_path)
    mp = config.section(params, "mlflow", params_path)
    model_path, meta_path, run_path = out_dir / "model.txt", out_dir / "model_meta.json", out_dir / "mlflow_run.json"
    remove_outputs(model_path, meta_path, run_path)
    fmeta = read_json(features_dir / "features_meta.json")
    frame = load_training_frame(features_dir / "features.parquet", labels_path)
    split = split_cutoffs(list(frame["cutoff"].unique()), lab.horizon_days)
    train_rows = frame[frame["cutoff"].isin(split.train)]
    valid_rows = frame[frame["cutoff"] == split.valid]
    X_tr, levels = matrix(train_rows, fmeta["features"], fmeta["categorical"])
    X_va, _ = matrix(valid_rows, fmeta["features"], fmeta["categorical"], levels)
    lgb_params = lgbm_params(tp.seed, tp.learning_rate, tp.num_leaves, tp.min_child_samples, tp.feature_fraction,
                             tp.bagging_fraction, tp.bagging_freq, tp.lambda_l2, tp.num_threads)
    booster, history = fit(X_tr, train_rows["label"].to_numpy(), X_va, valid_rows["label"].to_numpy(),
                           lgb_params, tp.num_boost_round, tp.early_stopping_rounds)
    with atomic_path(model_path) as tmp:
        booster.save_model(str(tmp))
    meta = {
        "features": fmeta["features"],
        "categorical": fmeta["categorical"],
        "levels": levels,
        "best_iteration": booster.current_iteration(),
        "split": {"train": [str(c) for c in split.train], "valid": str(split.valid), "test": str(split.test),
                  "purged": [str(c) for c in split.purged]},
        "rows": {"train": len(train_rows), "valid": len(valid_rows)},
        "horizon_days": lab.horizon_days,
    }
    write_json(meta, meta_path)

    tracking.setup(mp)
    with mlflow.start_run(run_name=f"train-{split.test}") as run:
        mlflow.set_tags(tracking.run_tags(validated_dir))
        mlflow.log_params({f"train.{k}": v for k, v in tp.model_dump().items()})
        mlflow.log_params({"label.horizon_days": lab.horizon_days, "label.mode": lab.mode,
                           "split.train_cutoffs": ",".join(meta["split"]["train"]),
                           "split.valid_cutoff": meta["split"]["valid"], "split.test_cutoff": meta["split"]["test"],
                           "split.purged_cutoffs": ",".join(meta["split"]["purged"]) or "none",
                           "n_features": len(fmeta["features"])})
        valid_auc = history.get("valid", {}).get("auc", [])
        mlflow.log_metrics({"valid_roc_auc": float(valid_auc[booster.current_iteration() - 1]) if valid_auc else float("nan"),
                            "best_iteration": booster.current_iteration(),
                            "n_train": len(train_rows), "n_valid": len(valid_rows)})
        tracking.log_model(model_path, meta_path, valid_rows[fmeta["features"]].head(5))
        run_id = run.info.run_id
    write_json({"run_id": run_id}, run_path)
    log.info("trained %d rounds; MLflow run %s", booster.current_iteration(), run_id)
    return meta
