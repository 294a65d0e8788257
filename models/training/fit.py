"""Training a churn model from labelled feature rows: out of time, or K-fold on single-snapshot data. No I/O.

Both paths return a :class:`TrainResult`: the booster, the optional linear part,
the calibrator and the rows it was fitted on, the split, and the run's metrics.
Class imbalance is not reweighted: the booster is trained on the natural churn
rate, so its probabilities stay close to honest and the calibrator only has a
small correction to make.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from models.predict import blended_proba
from models.training.booster import cross_validate, fit, fit_rounds, matrix
from models.training.calibration import Calibrator, select
from models.training.linear import LinearPart, choose_blend, fit_linear
from models.training.split import SplitError, refit_cutoffs, split_cutoffs

log = logging.getLogger(__name__)

# (trial number, sampled params, validation ROC-AUC, best iteration) -> None: the stage logs each trial
TrialLogger = Callable[[int, dict[str, Any], float, int], None]


@dataclasses.dataclass
class TrainResult:
    """A trained model and everything the train stage records about it."""

    booster: lgb.Booster
    linear: LinearPart | None
    levels: dict[str, list[str]]
    rounds: int
    mode: str                    # out_of_time | cv
    split: dict[str, Any]        # cutoffs per role, as written to model_meta.json
    rows: dict[str, int]
    calibrator: Calibrator
    # the rows the calibrator was fitted on: customer_id, cutoff, label, fold, probabilities
    calibration: pd.DataFrame
    metrics: dict[str, float]
    tuned: dict[str, Any] | None = None  # Optuna's best params and value, when a search ran
    blend_weight: float = 0.0    # the linear part's weight (train.linear_blend, or the one auto chose)


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")


def _calibration_rows(rows: pd.DataFrame, fold: np.ndarray, raw: np.ndarray, calibrated: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": rows["customer_id"].to_numpy(), "cutoff": rows["cutoff"].to_numpy(),
                         "label": rows["label"].to_numpy(), "fold": fold,
                         "uncalibrated_probability": raw, "churn_probability": calibrated})


def _calibration_metrics(y: np.ndarray, raw: np.ndarray, calibrated: np.ndarray, stats: dict,
                         method: str) -> dict[str, float]:
    if method != "none" and not stats["kept"]:
        log.info("calibration %s rejected: cross-fitted Brier %.5f is not below the raw %.5f; raw probabilities kept",
                 method, stats["brier_cross_fitted"], stats["brier_raw"])
    return {"calibration_brier_uncalibrated": float(brier_score_loss(y, raw)),
            "calibration_brier_calibrated": float(brier_score_loss(y, calibrated)),
            "calibration_brier_cross_fitted": stats["brier_cross_fitted"],
            "calibration_kept": stats["kept"]}


def train_cross_validated(frame: pd.DataFrame, features: Sequence[str], categorical: Sequence[str], tp: Any,
                          lgb_params: dict) -> TrainResult:
    """Single labelled cutoff: stratified K-fold; the out-of-fold scores are the test scores.

    The final model is trained on every row with the folds' median number of
    rounds; the calibrator is fitted on the out-of-fold scores, cross-fitted by fold.
    """
    cutoff = sorted(frame["cutoff"].unique())[0]
    y = frame["label"].to_numpy()
    X, levels = matrix(frame, features, categorical)
    cv = cross_validate(X, y, lgb_params, tp.num_boost_round, tp.early_stopping_rounds, tp.cv_folds, tp.seed,
                        linear_blend=tp.linear_blend, categorical=categorical)
    rounds = int(np.median(cv.best_iterations))
    booster = fit_rounds(X, y, lgb_params, rounds)
    weight = float(np.median(cv.blend_weights)) if tp.linear_blend == "auto" else float(tp.linear_blend)
    linear = fit_linear(X, y, categorical) if weight else None
    raw = cv.oof
    calibrator, calibrated, stats = select(raw, y, tp.calibration, folds=cv.folds, min_gain=tp.calibration_min_gain)
    fold_auc = np.array(cv.fold_auc, dtype=float)
    metrics = {"cv_roc_auc_mean": float(np.nanmean(fold_auc)), "cv_roc_auc_std": float(np.nanstd(fold_auc)),
               "oof_roc_auc": _auc(y, raw), "linear_blend_weight": weight,
               **_calibration_metrics(y, raw, calibrated, stats, tp.calibration)}
    log.info("single labelled cutoff %s: %d-fold CV, OOF ROC-AUC %.4f (folds %.4f +- %.4f), final model %d rounds",
             cutoff, len(fold_auc), metrics["oof_roc_auc"], metrics["cv_roc_auc_mean"], metrics["cv_roc_auc_std"],
             rounds)
    split = {"mode": "cv", "train": [str(cutoff)], "valid": None, "test": str(cutoff), "purged": [], "refit": [],
             "cv_folds": len(cv.fold_auc)}
    return TrainResult(booster, linear, levels, rounds, "cv", split, {"train": len(frame), "valid": 0}, calibrator,
                       _calibration_rows(frame, cv.folds, raw, calibrated), metrics, blend_weight=weight)


MIN_TRAINING_ROWS = 10


def _check_rows(train_rows: pd.DataFrame, valid_rows: pd.DataFrame, split: Any) -> None:
    """Enough labelled rows to learn from: some of each class on the training cutoffs, and a validation cutoff."""
    counts = train_rows["label"].value_counts()
    if len(train_rows) < MIN_TRAINING_ROWS or counts.get(0, 0) == 0 or counts.get(1, 0) == 0:
        raise SplitError(
            f"the training cutoffs ({', '.join(map(str, split.train))}) hold {len(train_rows)} labelled rows, "
            f"{int(counts.get(1, 0))} of them churners: too few to learn from (at least {MIN_TRAINING_ROWS} rows and "
            "one of each class); add history or customers, or shorten label.horizon_days")
    if valid_rows.empty:
        raise SplitError(f"no customer is labelled at the validation cutoff {split.valid}; add history or customers")


def train_out_of_time(frame: pd.DataFrame, features: Sequence[str], categorical: Sequence[str], tp: Any,
                      horizon_days: int, lgb_params: dict, on_trial: TrialLogger | None = None) -> TrainResult:
    """Several labelled cutoffs: train on the earliest, early-stop on the validation cutoff, purge overlaps.

    With ``tp.optuna_trials`` a seeded search on the validation cutoff picks the
    booster's parameters first; with ``tp.refit`` the model is refit, with the
    same number of rounds, on every cutoff whose horizon ends by the test cutoff.
    """
    labelled = sorted(frame["cutoff"].unique())
    split = split_cutoffs(labelled, horizon_days)
    train_rows = frame[frame["cutoff"].isin(split.train)]
    valid_rows = frame[frame["cutoff"] == split.valid]
    _check_rows(train_rows, valid_rows, split)
    X_tr, levels = matrix(train_rows, features, categorical)
    X_va, _ = matrix(valid_rows, features, categorical, levels)
    y_tr, y_va = train_rows["label"].to_numpy(), valid_rows["label"].to_numpy()
    tuned = None
    if tp.optuna_trials > 0:
        lgb_params, tuned = tune(tp, X_tr, y_tr, X_va, y_va, lgb_params, on_trial)
    booster, history = fit(X_tr, y_tr, X_va, y_va, lgb_params, tp.num_boost_round, tp.early_stopping_rounds)
    rounds = booster.current_iteration()
    linear = fit_linear(X_tr, y_tr, categorical) if tp.linear_blend else None
    weight = float(tp.linear_blend) if tp.linear_blend != "auto" else \
        choose_blend(booster.predict(X_va, raw_score=True), linear.raw(X_va), y_va)
    if not weight:
        linear = None
    # The calibrator is fitted on the early-stopped model's validation scores: rows it never trained on.
    raw = blended_proba(booster, linear, weight, X_va)
    calibrator, _, stats = select(raw, y_va, tp.calibration, seed=tp.seed, min_gain=tp.calibration_min_gain)
    calibrated = calibrator.predict(raw)
    refit = refit_cutoffs(labelled, horizon_days, split.test) if tp.refit else ()
    if refit:
        refit_rows = frame[frame["cutoff"].isin(refit)]
        X_rf, levels = matrix(refit_rows, features, categorical)
        booster = fit_rounds(X_rf, refit_rows["label"].to_numpy(), lgb_params, rounds)
        if linear is not None:
            linear = fit_linear(X_rf, refit_rows["label"].to_numpy(), categorical)
        log.info("refit on %d cutoffs (%d rows) for %d rounds; calibrator kept from the validation cutoff",
                 len(refit), len(refit_rows), rounds)
    valid_auc = history.get("valid", {}).get("auc", [])
    metrics = {"valid_roc_auc": float(valid_auc[rounds - 1]) if valid_auc else float("nan"),
               "valid_roc_auc_blended": _auc(y_va, raw), "linear_blend_weight": weight,
               **_calibration_metrics(y_va, raw, calibrated, stats, tp.calibration)}
    split_meta = {"mode": "out_of_time", "train": [str(c) for c in split.train], "valid": str(split.valid),
                  "test": str(split.test), "purged": [str(c) for c in split.purged], "refit": [str(c) for c in refit]}
    rows = {"train": len(train_rows), "valid": len(valid_rows),
            "refit": int(frame["cutoff"].isin(refit).sum()) if refit else 0}
    return TrainResult(booster, linear, levels, rounds, "out_of_time", split_meta, rows, calibrator,
                       _calibration_rows(valid_rows, np.full(len(valid_rows), -1), raw, calibrated), metrics, tuned,
                       weight)


def tune(tp: Any, X_tr: pd.DataFrame, y_tr: np.ndarray, X_va: pd.DataFrame, y_va: np.ndarray, base: dict,
         on_trial: TrialLogger | None = None) -> tuple[dict, dict[str, Any]]:
    """Optuna (TPE, seeded) search on the validation cutoff.

    Returns:
        The booster params with the best trial's values, and ``{"params", "value"}`` of the best trial.
    """
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
        if on_trial is not None:
            on_trial(trial.number, dict(trial.params), auc, booster.current_iteration())
        return auc

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=tp.seed))
    study.optimize(objective, n_trials=tp.optuna_trials)
    best = study.best_params
    params = {**base, "learning_rate": best["learning_rate"], "num_leaves": best["num_leaves"],
              "min_data_in_leaf": best["min_child_samples"], "feature_fraction": best["feature_fraction"],
              "lambda_l2": best["lambda_l2"]}
    return params, {"params": best, "value": float(study.best_value)}
