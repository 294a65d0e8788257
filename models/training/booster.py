"""LightGBM on the model matrix: the matrix itself, parameters, early-stopped and fixed-round fits, and K-fold CV."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import lightgbm as lgb
import numpy as np
import pandas as pd

from models.training.linear import blend, choose_blend, fit_linear, sigmoid
from models.training.split import SplitError


def matrix(frame: pd.DataFrame, features: Sequence[str], categorical: Sequence[str],
           levels: dict[str, list[str]] | None = None) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The model matrix: features in a fixed order, text columns as categories with fixed levels.

    Args:
        frame: rows with the feature columns.
        features: feature names in model order.
        categorical: the text features.
        levels: category levels learnt on the training rows; None learns them from ``frame``.

    Returns:
        The matrix and the levels used (unseen values become missing).
    """
    X = frame.loc[:, list(features)].copy()
    learnt = {} if levels is None else dict(levels)
    for col in categorical:
        if levels is None:
            learnt[col] = sorted(str(v) for v in X[col].dropna().unique())
        X[col] = pd.Categorical(X[col].astype("string").astype(object), categories=learnt[col])
    for col in X.columns:
        if col not in categorical:
            X[col] = X[col].astype("float64")
    return X, learnt


# train.num_leaves / learning_rate "auto": (labelled rows below which it applies, num_leaves, learning_rate).
# Measured (bench/quality.py and a 200,000-customer world): 7 leaves at 0.02 gained 0.003-0.007 ROC-AUC over
# 31 at 0.05 on Telco (7,043 rows), the retailer (34,000) and the subscription world (125,000); on 1.26 million
# training rows both reach the same AUC and 31 at 0.05 needs a fifth of the time.
AUTO_CAPACITY: tuple[tuple[int, int, float], ...] = ((500_000, 7, 0.02),)
LARGE_CAPACITY: tuple[int, float] = (31, 0.05)


def auto_capacity(n_rows: int, num_leaves: int | str = "auto",
                  learning_rate: float | str = "auto") -> tuple[int, float]:
    """``(num_leaves, learning_rate)``: the given values, or for ``"auto"`` the ones for this many labelled rows."""
    leaves, rate = next(((nl, lr) for limit, nl, lr in AUTO_CAPACITY if n_rows < limit), LARGE_CAPACITY)
    return (leaves if num_leaves == "auto" else int(num_leaves),
            rate if learning_rate == "auto" else float(learning_rate))


def lgbm_params(seed: int, learning_rate: float, num_leaves: int, min_child_samples: int,
                feature_fraction: float, bagging_fraction: float, bagging_freq: int,
                lambda_l2: float, num_threads: int) -> dict:
    """LightGBM parameters that give the same model file for the same inputs."""
    return {
        "objective": "binary",
        "metric": ["binary_logloss", "auc"],
        "learning_rate": learning_rate,
        "num_leaves": num_leaves,
        "min_data_in_leaf": min_child_samples,
        "feature_fraction": feature_fraction,
        "bagging_fraction": bagging_fraction,
        "bagging_freq": bagging_freq,
        "lambda_l2": lambda_l2,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": num_threads,
        "verbosity": -1,
    }


def params_for(tp, n_rows: int) -> dict:
    """LightGBM parameters from the ``train`` params section, ``auto`` capacity resolved for ``n_rows`` labelled
    rows."""
    num_leaves, learning_rate = auto_capacity(n_rows, tp.num_leaves, tp.learning_rate)
    return lgbm_params(tp.seed, learning_rate, num_leaves, tp.min_child_samples, tp.feature_fraction,
                       tp.bagging_fraction, tp.bagging_freq, tp.lambda_l2, tp.num_threads)


def fit(X_train: pd.DataFrame, y_train: np.ndarray, X_valid: pd.DataFrame, y_valid: np.ndarray,
        params: dict, num_boost_round: int, early_stopping_rounds: int) -> tuple[lgb.Booster, dict]:
    """Train with early stopping on the validation cutoff.

    Returns:
        The booster (trimmed to its best iteration) and the per-round validation history.
    """
    history: dict = {}
    train_set = lgb.Dataset(X_train, label=y_train, categorical_feature="auto", free_raw_data=False)
    valid_set = lgb.Dataset(X_valid, label=y_valid, reference=train_set, free_raw_data=False)
    booster = lgb.train(
        params, train_set, num_boost_round=num_boost_round, valid_sets=[valid_set], valid_names=["valid"],
        callbacks=[lgb.early_stopping(early_stopping_rounds, first_metric_only=True, verbose=False),
                   lgb.record_evaluation(history)],
    )
    best = booster.best_iteration or num_boost_round
    trimmed = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
    return trimmed, history


def fit_rounds(X: pd.DataFrame, y: np.ndarray, params: dict, num_rounds: int) -> lgb.Booster:
    """Train a fixed number of rounds without a validation set (refit and the final CV model)."""
    train_set = lgb.Dataset(X, label=y, categorical_feature="auto", free_raw_data=False)
    booster = lgb.train(params, train_set, num_boost_round=max(1, int(num_rounds)))
    return lgb.Booster(model_str=booster.model_to_string())


@dataclasses.dataclass(frozen=True)
class CVResult:
    """Stratified K-fold results on single-snapshot data."""

    oof: np.ndarray            # out-of-fold raw probability per row
    folds: np.ndarray          # fold number per row
    fold_auc: tuple[float, ...]
    best_iterations: tuple[int, ...]
    blend_weights: tuple[float, ...] = ()   # the linear part's weight in each fold


def cross_validate(X: pd.DataFrame, y: np.ndarray, params: dict, num_boost_round: int,
                   early_stopping_rounds: int, n_folds: int, seed: int, linear_blend: float | str = 0.0,
                   categorical: Sequence[str] = ()) -> CVResult:
    """Stratified K-fold with out-of-fold predictions, for data with a single labelled cutoff.

    Early stopping in each fold uses a stratified slice of that fold's training
    rows, never the held-out fold, so the out-of-fold scores stay honest.

    Args:
        X: model matrix.
        y: 0/1 labels.
        params: LightGBM parameters.
        num_boost_round: the round cap.
        early_stopping_rounds: patience on the inner validation slice.
        n_folds: number of folds (reduced to the minority class count when smaller).
        seed: fold shuffling seed.
        linear_blend: weight w of the linear part (:mod:`models.linear`), fitted on each
            fold's training rows; the out-of-fold score is ``(1 - w) * booster + w * linear``
            in log-odds. 0 scores with the booster alone; ``"auto"`` chooses w in each fold on
            the fold's early-stopping slice (a linear part fitted without it), never on the held-out fold.
        categorical: the text features (for the linear part).

    Returns:
        Out-of-fold probabilities, fold ids, per-fold AUC and best iterations.
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, train_test_split

    y = np.asarray(y, dtype=int)
    minority = int(min(np.bincount(y, minlength=2)))
    k = min(n_folds, minority)
    if k < 2:
        raise SplitError(f"single-snapshot data needs at least 2 rows of each class for {n_folds}-fold CV, "
                         f"got {minority} in the minority class")
    oof = np.zeros(len(y), dtype=float)
    folds = np.full(len(y), -1, dtype=int)
    aucs, iters, weights = [], [], []
    for fold, (tr, te) in enumerate(StratifiedKFold(k, shuffle=True, random_state=seed).split(X, y)):
        y_tr = y[tr]
        strat = y_tr if min(np.bincount(y_tr, minlength=2)) >= 2 else None
        inner_tr, inner_va = train_test_split(np.arange(len(tr)), test_size=0.2, random_state=seed, stratify=strat)
        booster, _ = fit(X.iloc[tr[inner_tr]], y_tr[inner_tr], X.iloc[tr[inner_va]], y_tr[inner_va],
                         params, num_boost_round, early_stopping_rounds)
        w = linear_blend
        if w == "auto":
            inner = fit_linear(X.iloc[tr[inner_tr]], y_tr[inner_tr], categorical)
            va = X.iloc[tr[inner_va]]
            w = choose_blend(booster.predict(va, raw_score=True), inner.raw(va), y_tr[inner_va])
        weights.append(float(w))
        if w:
            part = fit_linear(X.iloc[tr], y_tr, categorical)
            oof[te] = sigmoid(blend(booster.predict(X.iloc[te], raw_score=True), part.raw(X.iloc[te]), w))
        else:
            oof[te] = booster.predict(X.iloc[te])
        folds[te] = fold
        iters.append(booster.current_iteration())
        aucs.append(float(roc_auc_score(y[te], oof[te])) if len(np.unique(y[te])) == 2 else float("nan"))
    return CVResult(oof, folds, tuple(aucs), tuple(iters), tuple(weights))
