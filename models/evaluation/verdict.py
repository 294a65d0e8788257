"""Do the scores still hold? The model's ROC-AUC on the latest labelled cutoff against the earlier cutoffs.

Drift says the inputs moved; whether that hurt the ranking shows in the labels. The evaluate stage's test
metrics (``data/metrics/metrics.json``: ``roc_auc`` on ``test_cutoff``) are the latest cutoff whose outcome is
known; the training's validation predictions (``data/models/validation_predictions.parquet``) give the same
metric on the cutoffs before it. The scores hold when the latest ROC-AUC is no further below the earlier ones'
mean than chance explains: two standard errors of the latest ROC-AUC (Hanley and McNeil, 1982, from the test's
leavers and stayers), and at least ``TOLERANCE``. A test cutoff of 50 leavers has a standard error near 0.04, so
a drop of 0.05 there is noise; with 400 leavers it is near 0.015.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from sklearn.metrics import roc_auc_score

# The smallest fall of the latest ROC-AUC below the earlier cutoffs' that the report calls weaker (a large test
# set's standard error alone would call a fall of 0.01 real, which nobody would retrain for).
TOLERANCE = 0.02


def auc_standard_error(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley and McNeil's standard error of a ROC-AUC from ``n_pos`` positives and ``n_neg`` negatives."""
    if n_pos < 1 or n_neg < 1:
        return math.inf
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    return math.sqrt(max(var, 0.0))


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
    n, rate = metrics.get("n_test"), metrics.get("positive_rate")
    se = auc_standard_error(float(latest), round(n * rate), n - round(n * rate)) if n and rate is not None else 0.0
    allowed = max(TOLERANCE, 2 * se) if math.isfinite(se) else math.inf
    return {"status": "holds" if float(latest) >= mean - allowed else "weaker", "allowed_fall": allowed,
            "latest": float(latest), "latest_cutoff": None if cutoff is None else str(cutoff),
            "earlier": mean, "earlier_first": min(before), "earlier_last": max(before), "n_earlier": len(before)}
