"""The trained model as every later stage uses it: booster, category levels and calibrator.

``predict_proba`` returns the calibrated churn probability, the number every
stage after training reports and ranks by. ``raw_score`` is the model's
log-odds, which SHAP contributions add up to: the booster's, or with
``train.linear_blend`` = w, ``(1 - w) * booster + w * linear part`` (``models/training/linear.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from models.explain.blend import blend_contributions
from models.explain.native import shap_contributions
from models.training.booster import matrix
from models.training.calibration import Calibrator
from models.training.linear import LinearPart, blend, sigmoid


def blended_proba(booster: lgb.Booster, linear: LinearPart | None, weight: float, X: pd.DataFrame) -> np.ndarray:
    """Uncalibrated churn probability of a model matrix: the booster's, or its log-odds blend with the linear part."""
    if linear is None or not weight:
        return booster.predict(X)
    return sigmoid(blend(booster.predict(X, raw_score=True), linear.raw(X), weight))


def linear_part(meta: dict[str, Any]) -> tuple[LinearPart | None, float]:
    """The linear part and its blend weight from ``model_meta.json`` (None, 0.0 for a booster alone)."""
    spec = meta.get("linear")
    if not spec:
        return None, 0.0
    return LinearPart.from_dict(spec), float(spec["weight"])


class ChurnModel:
    """LightGBM booster plus the metadata needed to score raw feature rows.

    Args:
        booster: the trained booster.
        meta: ``model_meta.json`` content: features, categorical, levels and ``calibration``.
    """

    def __init__(self, booster: lgb.Booster, meta: dict[str, Any]) -> None:
        self.booster = booster
        self.meta = meta
        self.calibrator = Calibrator.from_dict(meta.get("calibration"))
        self.linear, self.linear_weight = linear_part(meta)

    def matrix(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model matrix for ``frame`` (fixed feature order and category levels)."""
        missing = [f for f in self.meta["features"] if f not in frame.columns]
        if missing:
            raise ValueError(f"frame lacks {len(missing)} model feature(s), e.g. {missing[:5]}; "
                             f"the model expects {len(self.meta['features'])} features")
        X, _ = matrix(frame, self.meta["features"], self.meta["categorical"], self.meta["levels"])
        return X

    def uncalibrated_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """The model's own probability, before calibration."""
        return blended_proba(self.booster, self.linear, self.linear_weight, self.matrix(frame))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated churn probability per row of ``frame``."""
        return self.calibrator.predict(self.uncalibrated_proba(frame))

    def raw_score(self, frame: pd.DataFrame) -> np.ndarray:
        """The model's log-odds per row (what SHAP contributions sum to)."""
        X = self.matrix(frame)
        linear = None if self.linear is None else self.linear.raw(X)
        return blend(self.booster.predict(X, raw_score=True), linear, self.linear_weight)

    def contributions(self, frame: pd.DataFrame) -> tuple[np.ndarray, float]:
        """Path-dependent SHAP values against the training population (model feature order) and the base value."""
        X = self.matrix(frame)
        contrib, base = shap_contributions(self.booster, X)
        return blend_contributions(contrib, base, self.linear, self.linear_weight, X)


def load_model(model_dir: str | Path) -> ChurnModel:
    """Load ``model.txt`` and ``model_meta.json`` from the train stage's folder."""
    model_dir = Path(model_dir)
    booster = lgb.Booster(model_file=str(model_dir / "model.txt"))
    meta = json.loads((model_dir / "model_meta.json").read_text(encoding="utf-8"))
    return ChurnModel(booster, meta)
