"""Stage train: LightGBM on earlier cutoffs, early-stopped on a later one, calibrated, tracked in MLflow.

Reads features, labels and the validated data (for its hash); writes
``data/models/model.txt`` (the booster), ``model_meta.json`` (features,
category levels, split, calibrator), ``validation_predictions.parquet`` (the
rows the calibrator was fitted on: the validation cutoff, or out-of-fold rows
on single-snapshot data) and ``mlflow_run.json`` (the run the later stages log
into, and the logged model's URI). The training itself is
:mod:`models.training.fit`; this stage reads, writes and logs.

The MLflow run carries every setting that shapes its results as params:
``train.*``, ``label.*``, the split, and ``evaluate.*`` (so evaluate never has
to change a param of an existing run: dvc.yaml makes train depend on them).
"""

from __future__ import annotations

import logging
from pathlib import Path

import mlflow
import pandas as pd

from models.training.booster import params_for
from models.training.fit import TrainResult, train_cross_validated, train_out_of_time
from pipeline.core import config, tracking
from pipeline.core.io import atomic_path, read_json, remove_outputs, write_json, write_parquet
from pipeline.core.labelled import load_training_frame

log = logging.getLogger(__name__)


def _log_trial(number: int, params: dict, auc: float, best_iteration: int) -> None:
    """One Optuna trial as a nested MLflow run."""
    with mlflow.start_run(run_name=f"trial-{number}", nested=True):
        mlflow.log_params({f"trial.{k}": v for k, v in params.items()})
        mlflow.log_metrics({"valid_roc_auc": auc, "best_iteration": best_iteration})


def _meta(result: TrainResult, features: list[str], categorical: list[str], horizon_days: int,
          linear_blend: float, lineage: dict) -> dict:
    return {
        "features": features,
        "categorical": categorical,
        "levels": result.levels,
        "best_iteration": result.rounds,
        "mode": result.mode,
        "split": result.split,
        "rows": result.rows,
        "horizon_days": horizon_days,
        "calibration": result.calibrator.to_dict(),
        "linear": None if result.linear is None else {"weight": linear_blend, **result.linear.to_dict()},
        "cv": {k: v for k, v in result.metrics.items() if k.startswith(("cv_", "oof_"))},
        # what data the model learnt from: a champion scores only customers of the same lineage
        "lineage": lineage,
    }


def _log_run(result: TrainResult, frame: pd.DataFrame, features: list[str], params: dict, validated_dir: Path,
             data_name: str) -> dict[str, str]:
    """Params, tags, metrics and dataset inputs of the training run."""
    tags = tracking.run_tags(validated_dir)
    mlflow.set_tags({**tags, "train_mode": result.mode})
    split = result.split
    mlflow.log_params({**{k: tracking.param_value(v) for k, v in params.items()},
                       "split.mode": result.mode,
                       "split.train_cutoffs": ",".join(split["train"]),
                       "split.valid_cutoff": split["valid"] or "none",
                       "split.test_cutoff": split["test"],
                       "split.purged_cutoffs": ",".join(split["purged"]) or "none",
                       "split.refit_cutoffs": ",".join(split["refit"]) or "none",
                       "n_features": len(features)})
    if result.tuned:
        mlflow.log_params({f"optuna.best.{k}": v for k, v in result.tuned["params"].items()})
        mlflow.log_metric("optuna_best_valid_roc_auc", result.tuned["value"])
    mlflow.log_metrics({**result.metrics, "best_iteration": result.rounds, "n_train": result.rows["train"],
                        "n_valid": result.rows["valid"]})
    columns = ["customer_id", "cutoff", *features, "label"]
    train_cutoffs = set(split["refit"] or split["train"])
    tracking.log_dataset(frame[frame["cutoff"].astype(str).isin(train_cutoffs)][columns], "training",
                         f"{data_name} training", validated_dir, tags["data_hash"])
    if split["valid"]:
        tracking.log_dataset(frame[frame["cutoff"].astype(str) == split["valid"]][columns], "validation",
                             f"{data_name} validation {split['valid']}", validated_dir, tags["data_hash"])
    return tags


def main(params_path: Path = Path("params.yaml"), features_dir: Path = Path("data/features"),
         labels_path: Path = Path("data/labels/labels.parquet"),
         validated_dir: Path = Path("data/interim/validated"), out_dir: Path = Path("data/models")) -> dict:
    """Run the train stage from params."""
    params = config.Params.load(params_path)
    tp = params.train
    lab = params.label
    ev = params.evaluate
    data = params.data
    mp = params.mlflow
    model_path, meta_path, run_path = out_dir / "model.txt", out_dir / "model_meta.json", out_dir / "mlflow_run.json"
    valid_pred_path = out_dir / "validation_predictions.parquet"
    remove_outputs(model_path, meta_path, run_path, valid_pred_path)
    fmeta = read_json(features_dir / "features_meta.json")
    features, categorical = fmeta["features"], fmeta["categorical"]
    frame = load_training_frame(features_dir / "features.parquet", labels_path, tp.sample_customers, tp.seed)
    labelled = sorted(frame["cutoff"].unique())
    lgb_params = params_for(tp, len(frame))
    settings = {**{f"train.{k}": v for k, v in tp.model_dump().items()},
                "train.num_leaves_used": lgb_params["num_leaves"],
                "train.learning_rate_used": lgb_params["learning_rate"],
                **{f"evaluate.{k}": v for k, v in ev.model_dump().items()},
                "label.horizon_days": lab.horizon_days, "label.mode": lab.mode, "data.source": data.source}
    tracking.setup(mp)
    name = tracking.run_name(data.source, data.raw_dir, labelled[-1] if labelled else "none", settings)
    run = mlflow.start_run(run_name=name)
    try:
        if len(labelled) == 1:
            result = train_cross_validated(frame, features, categorical, tp, lgb_params)
        else:
            result = train_out_of_time(frame, features, categorical, tp, lab.horizon_days, lgb_params, _log_trial)
        with atomic_path(model_path) as tmp:
            result.booster.save_model(str(tmp))
        lineage = {"source": data.source, "raw_dir": data.raw_dir, "label_mode": lab.mode,
                   "horizon_days": lab.horizon_days}
        meta = _meta(result, features, categorical, lab.horizon_days, result.blend_weight, lineage)
        write_json(meta, meta_path)
        write_parquet(result.calibration, valid_pred_path)
        _log_run(result, frame, features, settings, validated_dir, name.split(" · ")[1])
        example = frame[frame["cutoff"].astype(str) == result.split["valid"]] if result.split["valid"] else frame
        info = tracking.log_model(model_path, meta_path, example[features].head(5))
        run_id = run.info.run_id
    except BaseException:
        mlflow.end_run(status="FAILED")
        raise
    mlflow.end_run()
    write_json({"run_id": run_id, "model_uri": getattr(info, "model_uri", f"runs:/{run_id}/model")}, run_path)
    log.info("trained %d rounds (%s, calibration %s); MLflow run %s (%s)", result.rounds, result.mode,
             result.calibrator.to_dict()["method_used"], run_id, name)
    return meta
