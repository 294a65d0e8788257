"""Do the scores still hold? The model's ROC-AUC on the latest labelled cutoff against the earlier cutoffs.

Drift says the inputs moved; whether that hurt the ranking shows in the labels. The evaluate stage's test
metrics (``data/metrics/metrics.json``: ``roc_auc`` on ``test_cutoff``) are the latest cutoff whose outcome is
known; the training's validation predictions (``data/models/validation_predictions.parquet``) give the same
metric on the cutoffs before it. The scores hold when the latest ROC-AUC is no more than ``TOLERANCE`` below
the earlier ones' mean.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from sklearn.metrics import roc_auc_score

# How far the latest ROC-AUC may fall below the earlier cutoffs' before the report says the scores may not hold:
# about two standard errors of a ROC-AUC on a few thousand customers with a few per cent of leavers.
TOLERANCE = 0.05


def auc_by_cutoff(predictions: pd.DataFrame) -> dict[str, float]:
    """ROC-AUC per cutoff of predictions with ``cutoff``, ``label``, ``churn_probability`` (cutoffs with both
    outcomes only)."""
    out = {}
    for cutoff, g in predictions.groupby(predictions["cutoff"].astype(str), sort=True):
        if g["label"].nunique() == 2:
            out[str(cutoff)[:10]] = float(roc_auc_score(g["label"].astype(int), g["churn_probability"].astype(float)))
    return out


def score_verdict(metrics: dict[str, Any], earlier: dict[str, float]) -> dict[str, Any] | None:
    """``status`` (``holds`` | ``weaker``), the latest cutoff and ROC-AUC, and the earlier ones' mean and range.

    None when there is nothing to compare: no test ROC-AUC, or no earlier cutoff.
    """
    latest, cutoff = metrics.get("roc_auc"), metrics.get("test_cutoff")
    before = {c: a for c, a in earlier.items() if cutoff is None or c < str(cutoff)}
    if latest is None or not math.isfinite(float(latest)) or not before:
        return None
    mean = sum(before.values()) / len(before)
    return {"status": "holds" if float(latest) >= mean - TOLERANCE else "weaker",
            "latest": float(latest), "latest_cutoff": None if cutoff is None else str(cutoff),
            "earlier": mean, "earlier_first": min(before), "earlier_last": max(before), "n_earlier": len(before)}
