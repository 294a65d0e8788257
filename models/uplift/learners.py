"""Cross-fitted T- and DR-learners over LightGBM, with the propensity known from the design.

Why these two: every measured campaign is a randomised experiment (the holdout is drawn by a hash within each
stratum), so the probability of being contacted is known exactly (the stratum's contact share) and need not be
estimated. The T-learner fits churn separately on contacted and held-out customers and takes the difference; it is
simple but its two models are fitted on very different amounts of data (the holdout is small). The DR-learner
(Kennedy 2023, "Towards optimal doubly robust estimation of heterogeneous causal effects") regresses a doubly
robust pseudo-outcome built from the T-learner's out-of-fold predictions and the known propensity, which corrects
the T-learner's bias where its outcome models are wrong.

Cross-fitting: rows are split into ``n_folds`` folds by a seeded permutation; each fold's predictions come from
models fitted on the other folds (``oof``), and the final model averages the folds' models.
"""

from __future__ import annotations

import dataclasses

import lightgbm as lgb
import numpy as np
import pandas as pd

LEARNERS: tuple[str, ...] = ("t", "dr")


@dataclasses.dataclass(frozen=True)
class UpliftConfig:
    """LightGBM settings for the base learners: small trees, many rows per leaf (an effect is a small signal)."""

    n_folds: int = 3
    num_boost_round: int = 150
    learning_rate: float = 0.05
    num_leaves: int = 15
    min_data_in_leaf: int = 100
    lambda_l2: float = 1.0
    feature_fraction: float = 0.9
    seed: int = 0
    num_threads: int = 2

    def lgbm(self, objective: str, seed_offset: int) -> dict:
        """Deterministic LightGBM parameters (same inputs, same model) for one base model."""
        return {"objective": objective, "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
                "min_data_in_leaf": self.min_data_in_leaf, "lambda_l2": self.lambda_l2,
                "feature_fraction": self.feature_fraction, "seed": self.seed + seed_offset, "deterministic": True,
                "force_row_wise": True, "num_threads": self.num_threads, "verbosity": -1}


@dataclasses.dataclass
class UpliftModel:
    """The fitted effect model: per fold, ``[churn if held out, churn if contacted]`` (T) or ``[effect]`` (DR)."""

    learner: str
    boosters: list[list[lgb.Booster]]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """``expected_uplift``: the estimated fall in churn probability if contacted (mean of the folds' models)."""
        parts = [_effect(self.learner, fold, X) for fold in self.boosters]
        return np.mean(parts, axis=0)

    def to_dict(self) -> dict:
        """A JSON-able form (the model files as text), for saving under ``data/models/``."""
        return {"learner": self.learner, "boosters": [[b.model_to_string() for b in fold] for fold in self.boosters]}

    @classmethod
    def from_dict(cls, data: dict) -> UpliftModel:
        return cls(data["learner"], [[lgb.Booster(model_str=s) for s in fold] for fold in data["boosters"]])


@dataclasses.dataclass
class Fitted:
    """A fitted learner with its out-of-fold ``expected_uplift`` on the training rows (for honest evaluation)."""

    model: UpliftModel
    oof: np.ndarray


def _effect(learner: str, fold: list[lgb.Booster], X: pd.DataFrame) -> np.ndarray:
    if learner == "t":
        return fold[0].predict(X) - fold[1].predict(X)
    return fold[0].predict(X)


def folds(n: int, n_folds: int, seed: int) -> np.ndarray:
    """A fold number per row from a seeded permutation (the same rows and seed give the same folds)."""
    if n_folds < 2:
        raise ValueError(f"n_folds must be at least 2, got {n_folds}")
    out = np.empty(n, dtype=np.int64)
    out[np.random.default_rng(seed).permutation(n)] = np.arange(n) % n_folds
    return out


def _check(X: pd.DataFrame, treated: np.ndarray, churned: np.ndarray) -> None:
    if not len(X) == len(treated) == len(churned):
        raise ValueError(f"X, treated and churned differ in length: {len(X)}, {len(treated)}, {len(churned)}")
    for name, arm in (("contacted", treated == 1), ("held-out", treated == 0)):
        if arm.sum() < 2:
            raise ValueError(f"an effect needs both groups: only {int(arm.sum())} {name} rows of {len(X)}")


def _fit(X: pd.DataFrame, y: np.ndarray, params: dict, rounds: int) -> lgb.Booster:
    return lgb.train(params, lgb.Dataset(X, label=y, free_raw_data=True), num_boost_round=rounds)


def _t_crossfit(X: pd.DataFrame, treated: np.ndarray, churned: np.ndarray,
                config: UpliftConfig) -> tuple[list[list[lgb.Booster]], np.ndarray, np.ndarray]:
    """Per fold the two churn models fitted off the fold, and their out-of-fold predictions (mu0, mu1)."""
    fold = folds(len(X), config.n_folds, config.seed)
    mu0, mu1 = np.empty(len(X)), np.empty(len(X))
    boosters = []
    for k in range(config.n_folds):
        train, test = fold != k, fold == k
        pair = []
        for arm, out in ((0, mu0), (1, mu1)):
            rows = train & (treated == arm)
            b = _fit(X[rows], churned[rows], config.lgbm("binary", 10 * k + arm), config.num_boost_round)
            out[test] = b.predict(X[test])
            pair.append(b)
        boosters.append(pair)
    return boosters, mu0, mu1


def pseudo_outcome(treated: np.ndarray, churned: np.ndarray, propensity: np.ndarray, mu0: np.ndarray,
                   mu1: np.ndarray) -> np.ndarray:
    """The doubly robust pseudo-outcome of the fall in churn: its mean given X is ``mu0 - mu1`` at the truth.

    ``propensity`` is the probability of being contacted (the stratum's contact share, from the design).
    """
    e = np.asarray(propensity, dtype=float)
    if np.any((e <= 0) | (e >= 1)):
        bad = int(((e <= 0) | (e >= 1)).sum())
        raise ValueError(f"propensity must be strictly between 0 and 1: {bad} rows are not (a stratum with no "
                         "holdout or no contact carries no information on the effect: leave it out)")
    t = np.asarray(treated, dtype=float)
    return mu0 - mu1 + (1 - t) * (churned - mu0) / (1 - e) - t * (churned - mu1) / e


def fit_learners(X: pd.DataFrame, treated: np.ndarray, churned: np.ndarray, propensity: np.ndarray,
                 config: UpliftConfig = UpliftConfig(), learners: tuple[str, ...] = LEARNERS) -> dict[str, Fitted]:
    """Fit the T-learner and (reusing its out-of-fold churn models as nuisances) the DR-learner.

    Args:
        X: the feature matrix (pandas categoricals for text columns).
        treated: 1 if the customer was assigned to be contacted, 0 if held out (intention-to-treat).
        churned: 1 if the customer churned within the horizon after the campaign date.
        propensity: each row's probability of being assigned to contact, known from the design.
        config: base-learner settings and the seed.
        learners: which of ``LEARNERS`` to return.

    Returns:
        ``{learner: Fitted}``.
    """
    treated, churned = np.asarray(treated, dtype=np.int64), np.asarray(churned, dtype=float)
    _check(X, treated, churned)
    boosters, mu0, mu1 = _t_crossfit(X, treated, churned, config)
    out = {"t": Fitted(UpliftModel("t", boosters), mu0 - mu1)}
    if "dr" in learners:
        phi = pseudo_outcome(treated, churned, propensity, mu0, mu1)
        fold = folds(len(X), config.n_folds, config.seed + 1)
        oof, second = np.empty(len(X)), []
        for k in range(config.n_folds):
            b = _fit(X[fold != k], phi[fold != k], config.lgbm("regression", 100 + k), config.num_boost_round)
            oof[fold == k] = b.predict(X[fold == k])
            second.append([b])
        out["dr"] = Fitted(UpliftModel("dr", second), oof)
    return {name: out[name] for name in learners}
