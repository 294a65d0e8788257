"""Stage evaluate: out-of-time quality on the latest fully labelled cutoff.

Reads the model and the labelled features; writes
``data/evaluation/test_predictions.parquet`` (customer_id, cutoff, label,
churn_probability) and ``data/metrics/metrics.json``; logs the metrics into
the training run.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import lightgbm as lgb
import mlflow
import pandas as pd

from models.metrics import classification_metrics
from models.train import matrix
from pipeline import config, tracking
from pipeline.io import read_json, remove_outputs, write_json, write_parquet
from pipeline.train import load_training_frame

log = logging.getLogger(__name__)


def main(params_path: Path = Path("params.yaml"), features_dir: Path = Path("data/features"),
         labels_path: Path = Path("data/labels/labels.parquet"), model_dir: Path = Path("data/models"),
         predictions_path: Path = Path("data/evaluation/test_predictions.parquet"),
         metrics_path: Path = Path("data/metrics/metrics.json")) -> dict:
    """Run the evaluate stage from params."""
    params = config.load_params(params_path)
    mp = config.section(params, "mlflow", params_path)
    remove_outputs(predictions_path, metrics_path)
    meta = read_json(model_dir / "model_meta.json")
    run_id = read_json(model_dir / "mlflow_run.json")["run_id"]
    booster = lgb.Booster(model_file=str(model_dir / "model.txt"))
    frame = load_training_frame(features_dir / "features.parquet", labels_path)
    test_cutoff = dt.date.fromisoformat(meta["split"]["test"])
    test = frame[frame["cutoff"] == test_cutoff]
    X, _ = matrix(test, meta["features"], meta["categorical"], meta["levels"])
    proba = booster.predict(X)
    preds = pd.DataFrame({"customer_id": test["customer_id"].to_numpy(), "cutoff": test["cutoff"].to_numpy(),
                          "label": test["label"].to_numpy(), "churn_probability": proba})
    metrics = classification_metrics(preds["label"].to_numpy(), proba)
    write_parquet(preds, predictions_path)
    tracking.setup(mp)
    with mlflow.start_run(run_id=run_id):
        mlflow.log_metrics({f"test_{k}": v for k, v in metrics.items()})
        mlflow.log_param("test_cutoff", str(test_cutoff))
    write_json({**metrics, "test_cutoff": str(test_cutoff), "mlflow_run_id": run_id}, metrics_path)
    log.info("test %s: ROC-AUC %.4f, top-decile lift %.2f", test_cutoff, metrics["roc_auc"], metrics["top_decile_lift"])
    return metrics
