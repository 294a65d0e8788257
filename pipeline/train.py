"""Stage train: LightGBM on earlier cutoffs, early-stopped on a later one, calibrated, tracked in MLflow.

Reads features, labels and the validated data (for its hash); writes
``data/models/model.txt`` (the booster), ``model_meta.json`` (features,
category levels, split, calibrator), ``validation_predictions.parquet`` (the
rows the calibrator was fitted on: the validation cutoff, or out-of-fold rows
on single-snapshot data) and ``mlflow_run.json`` (the run the later stages log
into, and the logged model's URI).

Class imbalance is not reweighted: the booster is trained on the natural churn
rate, so its probabilities stay close to honest and the calibrator only has a
small correction to make.
"""

from __future__ import annotations

import logging
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from models.predict import blended_proba
from models.training.booster import cross_validate, fit, fit_rounds, lgbm_params, matrix
from models.training.calibration import select
from models.training.linear import fit_linear
from models.training.split import refit_cutoffs, split_cutoffs
from pipeline import config, tracking
from pipeline.io import atomic_path, read_json, remove_outputs, write_json, write_parquet

log = logging.getLogger(__name__)


def load_training_frame(features_path: Path, labels_path: Path) -> pd.DataFrame:
    """Features joined to labels on (customer_id, cutoff): only labelled rows."""
    labels = pd.read_parquet(labels_path)
    cutoffs = sorted(labels["cutoff"].unique())
    feats = pd.read_parquet(features_path, filters=[("cutoff", "in", cutoffs)])
    frame = feats.merge(labels, on=["customer_id", "cutoff"], how="inner", validate="one_to_one")
    return frame.sort_values(["cutoff", "customer_id"], kind="stable").reset_index(drop=True)


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")


def _tune(tp, X_tr, y_tr, X_va, y_va, base: dict) -> dict:
    """Optuna search on the validation cutoff; each trial is a nested MLflow run. Returns the best params."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        params = {**base,
                  "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
                  "num_leaves": trial.suggest_int("num_leaves", 7, 127, log=True),
                  "min_data_in_leaf": trial.suggest_int("min_child_samples", 10, 300, log=True),
                  "feature_fraction": trial.suggest_float("feature_fraction", 0.5, 1.0),
                  "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 10.0, log=True)}
        booster, _ = fit(X_tr, y_tr, X_va, y_va, params, tp.num_boost_round, tp.early_stopping_rounds)
        auc = _auc(y_va, booster.predict(X_va))
        with mlflow.start_run(run_name=f"trial-{trial.number}", nested=True):
            mlflow.log_params({f"trial.{k}": v for k, v in trial.params.items()})
            mlflow.log_metrics({"valid_roc_auc": auc, "best_iteration": booster.current_iteration()})
        return auc

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=tp.seed))
    study.optimize(objective, n_trials=tp.optuna_trials)
    best = study.best_params
    mlflow.log_params({f"optuna.best.{k}": v for k, v in best.items()})
    mlflow.log_metric("optuna_best_valid_roc_auc", study.best_value)
    return {**base, "learning_rate": best["learning_rate"], "num_leaves": best["num_leaves"],
            "min_data_in_leaf": best["min_child_samples"], "feature_fraction": best["feature_fraction"],
            "lambda_l2": best["lambda_l2"]}


def main(params_path: Path = Path("params.yaml"), features_dir: Path = Path("data/features"),
         labels_path: Path = Path("data/labels/labels.parquet"),
         validated_dir: Path = Path("data/interim/validated"), out_dir: Path = Path("data/models")) -> dict:
    """Run the train stage from params."""
    params = config.load_params(params_path)
    tp = config.section(params, "train", params_path)
    lab = config.section(params, "label", params_path)
    mp = config.section(params, "mlflow", params_path)
    model_path, meta_path, run_path = out_dir / "model.txt", out_dir / "model_meta.json", out_dir / "mlflow_run.json"
    valid_pred_path = out_dir / "validation_predictions.parquet"
    remove_outputs(model_path, meta_path, run_path, valid_pred_path)
    fmeta = read_json(features_dir / "features_meta.json")
    features, categorical = fmeta["features"], fmeta["categorical"]
    frame = load_training_frame(features_dir / "features.parquet", labels_path)
    labelled = sorted(frame["cutoff"].unique())
    lgb_params = lgbm_params(tp.seed, tp.learning_rate, tp.num_leaves, tp.min_child_samples, tp.feature_fraction,
                             tp.bagging_fraction, tp.bagging_freq, tp.lambda_l2, tp.num_threads)
    tracking.setup(mp)
    run = mlflow.start_run(run_name=f"train-{labelled[-1] if labelled else 'none'}")
    try:
        run_metrics: dict[str, float] = {}
        if len(labelled) == 1:
            mode = "cv"
            cutoff = labelled[0]
            y = frame["label"].to_numpy()
            X, levels = matrix(frame, features, categorical)
            cv = cross_validate(X, y, lgb_params, tp.num_boost_round, tp.early_stopping_rounds, tp.cv_folds, tp.seed,
                                linear_blend=tp.linear_blend, categorical=categorical)
            rounds = int(np.median(cv.best_iterations))
            booster = fit_rounds(X, y, lgb_params, rounds)
            linear = fit_linear(X, y, categorical) if tp.linear_blend else None
            raw = cv.oof
            calibrator, calibrated, cal_stats = select(raw, y, tp.calibration, folds=cv.folds, min_gain=tp.calibration_min_gain)
            cal_rows = frame
            fold = cv.folds
            split_meta = {"mode": "cv", "train": [str(cutoff)], "valid": None, "test": str(cutoff), "purged": [],
                          "refit": [], "cv_folds": len(cv.fold_auc)}
            rows = {"train": len(frame), "valid": 0}
            fold_auc = np.array(cv.fold_auc, dtype=float)
            run_metrics.update({"cv_roc_auc_mean": float(np.nanmean(fold_auc)),
                                "cv_roc_auc_std": float(np.nanstd(fold_auc)), "oof_roc_auc": _auc(y, raw)})
            log.info("single labelled cutoff %s: %d-fold CV, OOF ROC-AUC %.4f (folds %.4f +- %.4f), final model %d rounds",
                     cutoff, len(fold_auc), run_metrics["oof_roc_auc"], run_metrics["cv_roc_auc_mean"],
                     run_metrics["cv_roc_auc_std"], rounds)
        else:
            mode = "out_of_time"
            split = split_cutoffs(labelled, lab.horizon_days)
            train_rows = frame[frame["cutoff"].isin(split.train)]
            valid_rows = frame[frame["cutoff"] == split.valid]
            X_tr, levels = matrix(train_rows, features, categorical)
            X_va, _ = matrix(valid_rows, features, categorical, levels)
            y_tr, y_va = train_rows["label"].to_numpy(), valid_rows["label"].to_numpy()
            if tp.optuna_trials > 0:
                lgb_params = _tune(tp, X_tr, y_tr, X_va, y_va, lgb_params)
            booster, history = fit(X_tr, y_tr, X_va, y_va, lgb_params, tp.num_boost_round, tp.early_stopping_rounds)
            rounds = booster.current_iteration()
            linear = fit_linear(X_tr, y_tr, categorical) if tp.linear_blend else None
            # The calibrator is fitted on the early-stopped model's validation scores: rows it never trained on.
            raw = blended_proba(booster, linear, tp.linear_blend, X_va)
            calibrator, _, cal_stats = select(raw, y_va, tp.calibration, seed=tp.seed, min_gain=tp.calibration_min_gain)
            calibrated = calibrator.predict(raw)
            cal_rows, fold, y = valid_rows, np.full(len(valid_rows), -1), y_va
            refit = refit_cutoffs(labelled, lab.horizon_days, split.test) if tp.refit else ()
            if refit:
                refit_rows = frame[frame["cutoff"].isin(refit)]
                X_rf, levels = matrix(refit_rows, features, categorical)
                booster = fit_rounds(X_rf, refit_rows["label"].to_numpy(), lgb_params, rounds)
                if linear is not None:
                    linear = fit_linear(X_rf, refit_rows["label"].to_numpy(), categorical)
                log.info("refit on %d cutoffs (%d rows) for %d rounds; calibrator kept from the validation cutoff",
                         len(refit), len(refit_rows), rounds)
            split_meta = {"mode": "out_of_time", "train": [str(c) for c in split.train], "valid": str(split.valid),
                          "test": str(split.test), "purged": [str(c) for c in split.purged],
                          "refit": [str(c) for c in refit]}
            rows = {"train": len(train_rows), "valid": len(valid_rows),
                    "refit": int(frame["cutoff"].isin(refit).sum()) if refit else 0}
            valid_auc = history.get("valid", {}).get("auc", [])
            run_metrics["valid_roc_auc"] = float(valid_auc[rounds - 1]) if valid_auc else float("nan")

        with atomic_path(model_path) as tmp:
            booster.save_model(str(tmp))
        meta = {
            "features": features,
            "categorical": categorical,
            "levels": levels,
            "best_iteration": rounds,
            "mode": mode,
            "split": split_meta,
            "rows": rows,
            "horizon_days": lab.horizon_days,
            "calibration": calibrator.to_dict(),
            "linear": None if linear is None else {"weight": tp.linear_blend, **linear.to_dict()},
            "cv": {k: v for k, v in run_metrics.items() if k.startswith(("cv_", "oof_"))},
        }
        write_json(meta, meta_path)
        preds = pd.DataFrame({"customer_id": cal_rows["customer_id"].to_numpy(), "cutoff": cal_rows["cutoff"].to_numpy(),
                              "label": cal_rows["label"].to_numpy(), "fold": fold,
                              "uncalibrated_probability": raw, "churn_probability": calibrated})
        write_parquet(preds, valid_pred_path)
        run_metrics.update({"calibration_brier_uncalibrated": float(brier_score_loss(y, raw)),
                            "calibration_brier_calibrated": float(brier_score_loss(y, calibrated)),
                            "calibration_brier_cross_fitted": cal_stats["brier_cross_fitted"],
                            "calibration_kept": cal_stats["kept"]})
        if tp.calibration != "none" and not cal_stats["kept"]:
            log.info("calibration %s rejected: cross-fitted Brier %.5f is not below the raw %.5f; raw probabilities kept",
                     tp.calibration, cal_stats["brier_cross_fitted"], cal_stats["brier_raw"])

        mlflow.set_tags(tracking.run_tags(validated_dir))
        mlflow.set_tag("train_mode", mode)
        mlflow.log_params({f"train.{k}": v for k, v in tp.model_dump().items()})
        mlflow.log_params({"label.horizon_days": lab.horizon_days, "label.mode": lab.mode,
                           "split.mode": mode,
                           "split.train_cutoffs": ",".join(split_meta["train"]),
                           "split.valid_cutoff": split_meta["valid"] or "none",
                           "split.test_cutoff": split_meta["test"],
                           "split.purged_cutoffs": ",".join(split_meta["purged"]) or "none",
                           "split.refit_cutoffs": ",".join(split_meta["refit"]) or "none",
                           "n_features": len(features)})
        mlflow.log_metrics({**run_metrics, "best_iteration": rounds, "n_train": rows["train"], "n_valid": rows["valid"]})
        info = tracking.log_model(model_path, meta_path, cal_rows[features].head(5))
        run_id = run.info.run_id
    except BaseException:
        mlflow.end_run(status="FAILED")
        raise
    mlflow.end_run()
    write_json({"run_id": run_id, "model_uri": getattr(info, "model_uri", f"runs:/{run_id}/model")}, run_path)
    log.info("trained %d rounds (%s, calibration %s); MLflow run %s", rounds, mode, calibrator.to_dict()["method_used"],
             run_id)
    return meta
