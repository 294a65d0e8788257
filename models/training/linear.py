"""An additive logistic part that can be blended with the booster in log-odds.

Small single-snapshot extracts (a few thousand customers, mostly categorical
attributes, such as IBM's Telco sample) are close to additive in log-odds: a
regularised logistic regression is as good as the trees there, and the two
err differently. ``train.linear_blend`` = w mixes them:

    raw(x) = (1 - w) * booster_raw(x) + w * linear_raw(x)

The linear part is kept as plain numbers (medians, means, scales, one
coefficient per numeric feature and per frequent category level), so it lives
in ``model_meta.json`` beside the calibrator and needs no pickle. Being
additive, its exact SHAP values against any reference set are its per-feature
terms minus their mean over the reference set; so a blended model's
contributions still add up to its raw score.

It reads the model matrix of :func:`models.training.booster.matrix` (numeric columns as
floats, text columns as categories with fixed levels), the same input the
booster reads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

_MISSING = "__missing__"


@dataclasses.dataclass(frozen=True)
class LinearPart:
    """A fitted additive logistic model over the model matrix's columns.

    Attributes:
        features: the model features, in model order (every one has a term, maybe always 0).
        intercept: the log-odds intercept.
        numeric: per numeric feature, ``{"median", "mean", "scale", "coef", "low", "high"}``: the term is
            ``coef * (x - mean) / scale`` with missing ``x`` imputed by ``median`` and ``x`` held to the
            training range ``[low, high]`` (a value never seen in training cannot run the log-odds away).
        categorical: per text feature, ``{level: coef}``; missing values use the level
            ``"__missing__"``; infrequent and unseen levels have no coefficient (term 0).
        train_mean: per feature, the mean of its term over the training rows (the
            expectation a path-dependent explanation starts from).
    """

    features: tuple[str, ...]
    intercept: float
    numeric: dict[str, dict[str, float]]
    categorical: dict[str, dict[str, float]]
    train_mean: tuple[float, ...]

    def terms(self, X: pd.DataFrame) -> np.ndarray:
        """Per row and feature (model order), the feature's log-odds term."""
        out = np.zeros((len(X), len(self.features)))
        for j, name in enumerate(self.features):
            if name in self.numeric:
                s = self.numeric[name]
                x = pd.to_numeric(X[name], errors="coerce").to_numpy(dtype=float)
                x = np.where(np.isnan(x), s["median"], x)
                if "low" in s:
                    x = np.clip(x, s["low"], s["high"])
                out[:, j] = s["coef"] * (x - s["mean"]) / s["scale"]
            elif name in self.categorical:
                coefs = self.categorical[name]
                levels = _levels(X[name])
                out[:, j] = levels.map(coefs).fillna(0.0).to_numpy(dtype=float)
        return out

    def raw(self, X: pd.DataFrame) -> np.ndarray:
        """The linear log-odds per row."""
        return self.intercept + self.terms(X).sum(axis=1)

    def contributions(self, X: pd.DataFrame, reference: pd.DataFrame | None = None) -> tuple[np.ndarray, float]:
        """Exact SHAP values of the additive model.

        Args:
            X: rows to explain (model matrix).
            reference: the rows they are compared with; None compares with the training rows.

        Returns:
            ``(contributions, base)`` with ``contributions.sum(1) + base == raw(X)``.
        """
        mean = np.asarray(self.train_mean) if reference is None else self.terms(reference).mean(axis=0)
        return self.terms(X) - mean, float(self.intercept + mean.sum())

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "intercept": self.intercept, "numeric": self.numeric,
                "categorical": self.categorical, "train_mean": list(self.train_mean)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LinearPart:
        return cls(tuple(d["features"]), float(d["intercept"]), d["numeric"], d["categorical"],
                   tuple(float(v) for v in d["train_mean"]))


def _levels(column: pd.Series) -> pd.Series:
    """Text levels of a column, missing values as ``"__missing__"``."""
    values = column.astype(object)
    return values.where(values.notna(), _MISSING).astype(str)


def fit_linear(X: pd.DataFrame, y: np.ndarray, categorical: Sequence[str], C: float = 1.0,
               min_frequency: int = 10) -> LinearPart:
    """Fit the linear part: median-impute and standardise numerics, one-hot frequent levels, L2 logistic.

    Args:
        X: the training model matrix (every column is a feature).
        y: 0/1 labels.
        categorical: the text features.
        C: inverse L2 strength of scikit-learn's ``LogisticRegression``.
        min_frequency: levels seen on fewer training rows get no coefficient of their own.

    Returns:
        The fitted part. Deterministic: lbfgs on the same rows gives the same numbers.
    """
    from sklearn.linear_model import LogisticRegression

    features = list(X.columns)
    cats = set(categorical)
    blocks, slots = [], []  # slots: (feature, level or None) per design column
    numeric_stats: dict[str, dict[str, float]] = {}
    for name in features:
        if name in cats:
            levels = _levels(X[name])
            counts = levels.value_counts()
            for level in sorted(counts.index[counts >= min_frequency]):
                blocks.append((levels == level).to_numpy(dtype=float))
                slots.append((name, level))
        else:
            x = pd.to_numeric(X[name], errors="coerce").to_numpy(dtype=float)
            median = float(np.nanmedian(x)) if np.isfinite(x).any() else 0.0
            x = np.where(np.isnan(x), median, x)
            mean, std = float(x.mean()) if len(x) else 0.0, float(x.std()) if len(x) else 0.0
            # A constant column's std is rounding noise (1e-16): dividing by it would blow up any other value.
            scale = std if std > 1e-9 * max(1.0, abs(mean)) else 1.0
            low, high = (float(x.min()), float(x.max())) if len(x) else (0.0, 0.0)
            numeric_stats[name] = {"median": median, "mean": mean, "scale": scale, "low": low, "high": high}
            blocks.append((x - mean) / scale)
            slots.append((name, None))
    design = np.column_stack(blocks) if blocks else np.zeros((len(X), 0))
    model = LogisticRegression(C=C, max_iter=5000)
    model.fit(design, np.asarray(y, dtype=int))
    coef = model.coef_[0]
    categorical_coefs: dict[str, dict[str, float]] = {name: {} for name in features if name in cats}
    for (name, level), c in zip(slots, coef):
        if level is None:
            numeric_stats[name]["coef"] = float(c)
        else:
            categorical_coefs[name][level] = float(c)
    part = LinearPart(tuple(features), float(model.intercept_[0]), numeric_stats, categorical_coefs,
                      tuple([0.0] * len(features)))
    return dataclasses.replace(part, train_mean=tuple(float(v) for v in part.terms(X).mean(axis=0)))


def blend(booster_raw: np.ndarray, linear_raw: np.ndarray | None, weight: float) -> np.ndarray:
    """``(1 - w) * booster_raw + w * linear_raw``; the booster's raw score alone when w is 0."""
    if not weight or linear_raw is None:
        return np.asarray(booster_raw, dtype=float)
    return (1.0 - weight) * np.asarray(booster_raw, dtype=float) + weight * np.asarray(linear_raw, dtype=float)


BLEND_CANDIDATES: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75)


def choose_blend(booster_raw: np.ndarray, linear_raw: np.ndarray, y: np.ndarray,
                 candidates: Sequence[float] = BLEND_CANDIDATES) -> float:
    """The blend weight with the best ROC-AUC on held-out rows (``train.linear_blend: auto``).

    Args:
        booster_raw: the booster's log-odds on rows neither part was fitted on.
        linear_raw: the linear part's log-odds on the same rows.
        y: their 0/1 labels.
        candidates: weights to try; ties go to the smaller weight (the booster alone first).

    Returns:
        The chosen weight (0 when the rows hold one class only).
    """
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y, dtype=int)
    if len(np.unique(y)) < 2:
        return 0.0
    scores = [(float(roc_auc_score(y, blend(booster_raw, linear_raw, w))), -w) for w in sorted(candidates)]
    return -max(scores)[1]


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
