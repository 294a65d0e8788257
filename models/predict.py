"""The trained model as every later stage uses it: booster, category levels and calibrator.

``predict_proba`` returns the calibrated churn probability, the number every
stage after training reports and ranks by. ``raw_score`` is the booster's
log-odds, which SHAP contributions add up to.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from models.calibration import Calibrator
from models.train import matrix


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

    def matrix(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model matrix for ``frame`` (fixed feature order and category levels)."""
        missing = [f for f in self.meta["features"] if f not in frame.columns]
        if missing:
            raise ValueError(f"frame lacks {len(missing)} model feature(s), e.g. {missing[:5]}; "
                             f"the model expects {len(self.meta['features'])} features")
        X, _ = matrix(frame, self.meta["features"], self.meta["categorical"], self.meta["levels"])
        return X

    def uncalibrated_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """The booster's own probability, before calibration."""
        return self.booster.predict(self.matrix(frame))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated churn probability per row of ``frame``."""
        return self.calibrator.predict(self.uncalibrated_proba(frame))

    def raw_score(self, frame: pd.DataFrame) -> np.ndarray:
        """The booster's log-odds per row (what SHAP contributions sum to)."""
        return self.booster.predict(self.matrix(frame), raw_score=True)


def load_model(model_dir: str | Path) -> ChurnModel:
    """Load ``model.txt`` and ``model_meta.json`` from the train stage's folder."""
    model_dir = Path(model_dir)
    booster = lgb.Booster(model_file=str(model_dir / "model.txt"))
    meta = json.loads((model_dir / "model_meta.json").read_text(encoding="utf-8"))
    return ChurnModel(booster, meta)
