"""Probability calibration (isotonic or Platt), stored as plain JSON.

The calibrator maps the booster's probability to a calibrated one. It is fitted
on rows the booster did not train on (the validation cutoff, or out-of-fold
predictions) and stored as numbers, not a pickle, so the model folder stays
readable and byte-for-byte reproducible.
"""

from __future__ import annotations

from typing import Any

import numpy as np

METHODS = ("isotonic", "platt", "none")
_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


class Calibrator:
    """A monotone map from raw probability to calibrated probability.

    Args:
        method: ``isotonic`` (piecewise-linear isotonic regression), ``platt``
            (logistic regression on the raw log-odds) or ``none`` (identity).
    """

    def __init__(self, method: str = "isotonic") -> None:
        self.method = method

    def fit(self, p: np.ndarray, y: np.ndarray) -> Calibrator:
        """Fit on raw probabilities ``p`` and 0/1 labels ``y``; returns self."""
        if self.method not in METHODS:
            raise ValueError(f"calibration method must be one of {METHODS}, got {self.method!r}")
        p = np.asarray(p, dtype=float)
        y = np.asarray(y, dtype=float)
        if len(p) != len(y):
            raise ValueError(f"p has {len(p)} rows but y has {len(y)}")
        if self.method == "isotonic" and len(np.unique(y)) == 2:
            from sklearn.isotonic import IsotonicRegression

            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True).fit(p, y)
            self.x_ = [float(v) for v in iso.X_thresholds_]
            self.y_ = [float(v) for v in iso.y_thresholds_]
        elif self.method == "platt" and len(np.unique(y)) == 2:
            from sklearn.linear_model import LogisticRegression

            lr = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000).fit(_logit(p).reshape(-1, 1), y)
            self.a_, self.b_ = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        else:
            # One class only (or method none): nothing to learn, keep the raw probability.
            self.method_used_ = "none"
            return self
        self.method_used_ = self.method
        return self

    def predict(self, p: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw probabilities ``p``."""
        p = np.asarray(p, dtype=float)
        used = getattr(self, "method_used_", None)
        if used is None:
            raise ValueError("Calibrator is not fitted; call fit() or from_dict() first")
        if used == "isotonic":
            return np.interp(p, self.x_, self.y_)
        if used == "platt":
            return 1.0 / (1.0 + np.exp(-(self.a_ * _logit(p) + self.b_)))
        return p

    def to_dict(self) -> dict[str, Any]:
        """The fitted state as JSON-ready numbers."""
        used = getattr(self, "method_used_", "none")
        out: dict[str, Any] = {"method": self.method, "method_used": used}
        if used == "isotonic":
            out.update(x=self.x_, y=self.y_)
        elif used == "platt":
            out.update(a=self.a_, b=self.b_)
        return out

    @classmethod
    def from_dict(cls, state: dict[str, Any] | None) -> Calibrator:
        """Rebuild a fitted calibrator from ``to_dict`` output (None: identity)."""
        state = state or {"method": "none", "method_used": "none"}
        cal = cls(state.get("method", "none"))
        cal.method_used_ = state.get("method_used", "none")
        if cal.method_used_ == "isotonic":
            cal.x_, cal.y_ = list(state["x"]), list(state["y"])
        elif cal.method_used_ == "platt":
            cal.a_, cal.b_ = float(state["a"]), float(state["b"])
        return cal


def cross_fitted(p: np.ndarray, y: np.ndarray, folds: np.ndarray, method: str) -> np.ndarray:
    """Calibrate out-of-fold predictions honestly: rows of fold k use a calibrator fitted on the other folds.

    Args:
        p: out-of-fold raw probabilities.
        y: 0/1 labels.
        folds: the fold number of each row.
        method: calibration method.

    Returns:
        Calibrated probabilities, none of them calibrated on their own label.
    """
    p, y, folds = np.asarray(p, dtype=float), np.asarray(y), np.asarray(folds)
    out = np.empty_like(p)
    for k in np.unique(folds):
        held = folds == k
        out[held] = Calibrator(method).fit(p[~held], y[~held]).predict(p[held])
    return out


def select(p: np.ndarray, y: np.ndarray, method: str, folds: np.ndarray | None = None, n_folds: int = 5,
           seed: int = 0, min_gain: float = 0.0) -> tuple[Calibrator, np.ndarray, dict[str, float]]:
    """Fit a calibrator, keeping it only if it lowers the cross-fitted Brier score on the calibration rows.

    A calibrator always improves the Brier score on the rows it was fitted on,
    so that comparison says nothing. Cross-fitting (each fold calibrated by the
    other folds) measures it honestly; when that is no better than the raw
    probability, the identity is kept and the reason is returned.

    Args:
        p: raw probabilities on rows the booster did not train on.
        y: 0/1 labels.
        method: isotonic | platt | none.
        folds: fold ids (the CV folds on single-snapshot data); None draws stratified folds.
        n_folds: folds drawn when ``folds`` is None.
        seed: seed of the drawn folds.
        min_gain: the relative Brier reduction the cross-fitted calibrator must reach to be kept
            (0.01 = 1%); a smaller gain is within the noise of the calibration rows and, measured
            on a later cutoff, can turn into a loss.

    Returns:
        The calibrator (fitted on all rows, or the identity), the cross-fitted
        calibrated probabilities (or ``p`` when rejected) and the Brier figures.
    """
    from sklearn.metrics import brier_score_loss
    from sklearn.model_selection import StratifiedKFold

    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=int)
    raw_brier = float(brier_score_loss(y, p)) if len(y) else float("nan")
    stats = {"brier_raw": raw_brier, "brier_cross_fitted": raw_brier, "kept": 0.0}
    if method == "none" or len(np.unique(y)) < 2 or min(np.bincount(y, minlength=2)) < 2:
        return Calibrator("none").fit(p, y), p, stats
    if folds is None:
        k = int(min(n_folds, min(np.bincount(y, minlength=2))))
        folds = np.empty(len(y), dtype=int)
        for i, (_, te) in enumerate(StratifiedKFold(k, shuffle=True, random_state=seed).split(p, y)):
            folds[te] = i
    crossed = cross_fitted(p, y, folds, method)
    stats["brier_cross_fitted"] = float(brier_score_loss(y, crossed))
    if stats["brier_cross_fitted"] <= raw_brier * (1.0 - min_gain):
        stats["kept"] = 1.0
        return Calibrator(method).fit(p, y), crossed, stats
    cal = Calibrator("none").fit(p, y)
    cal.method = method   # asked for, not used: to_dict() shows both
    return cal, p, stats
