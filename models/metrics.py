"""Model quality measures, computed from labels and probabilities only."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score


def top_fraction_lift(y: np.ndarray, p: np.ndarray, fraction: float = 0.1) -> float:
    """Churn rate among the ``fraction`` highest-risk rows divided by the overall churn rate.

    Ties at the boundary are broken by row order after a stable sort, so the
    figure is reproducible.
    """
    y = np.asarray(y, dtype=float)
    n_top = max(1, int(np.ceil(len(y) * fraction)))
    order = np.argsort(-np.asarray(p, dtype=float), kind="stable")[:n_top]
    base = y.mean()
    return float(y[order].mean() / base) if base > 0 else float("nan")


def classification_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """ROC-AUC, PR-AUC, log-loss, Brier score, top-decile lift, size and positive rate.

    Args:
        y: 0/1 labels.
        p: predicted churn probabilities.

    Returns:
        Metric name to value; AUCs are NaN when only one class is present.
    """
    y = np.asarray(y, dtype=int)
    p = np.clip(np.asarray(p, dtype=float), 1e-15, 1 - 1e-15)
    both = len(np.unique(y)) == 2
    return {
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "top_decile_lift": top_fraction_lift(y, p, 0.1),
        "n_test": int(len(y)),
        "positive_rate": float(y.mean()) if len(y) else float("nan"),
    }
