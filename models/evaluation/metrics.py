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


def recall_top_fraction(y: np.ndarray, p: np.ndarray, fraction: float = 0.1) -> float:
    """Share of all churners found among the ``fraction`` highest-risk rows."""
    y = np.asarray(y, dtype=float)
    if y.sum() == 0:
        return float("nan")
    n_top = max(1, int(np.ceil(len(y) * fraction)))
    order = np.argsort(-np.asarray(p, dtype=float), kind="stable")[:n_top]
    return float(y[order].sum() / y.sum())


def precision_at_k(y: np.ndarray, p: np.ndarray, k: int) -> float:
    """Churn rate among the ``k`` highest-risk rows (all rows when fewer than k)."""
    y = np.asarray(y, dtype=float)
    if len(y) == 0:
        return float("nan")
    order = np.argsort(-np.asarray(p, dtype=float), kind="stable")[:k]
    return float(y[order].mean())


def segment_auc(y: np.ndarray, p: np.ndarray, segment: np.ndarray, min_rows: int = 20) -> dict[str, float]:
    """ROC-AUC per segment value; segments with one class or fewer than ``min_rows`` rows are NaN."""
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    seg = np.asarray(_as_labels(segment))
    out = {}
    for value in sorted(set(seg)):
        mask = seg == value
        ok = mask.sum() >= min_rows and len(np.unique(y[mask])) == 2
        out[str(value)] = float(roc_auc_score(y[mask], p[mask])) if ok else float("nan")
    return out


def _as_labels(values: np.ndarray) -> list[str]:
    """Values as strings, missing ones as ``missing``."""
    import pandas as pd

    return ["missing" if pd.isna(v) else str(v) for v in values]


def profit_curve(y: np.ndarray, p: np.ndarray, value: np.ndarray | float, contact_cost: float,
                 acceptance_rate: float, n_points: int = 101) -> dict[str, np.ndarray]:
    """Expected campaign profit when contacting the top share of customers by risk.

    Follows the expected-profit view of churn campaigns (Verbraken, Verbeke and
    Baesens, 2013): every contact costs ``contact_cost``; a contacted churner
    accepts the offer with probability ``acceptance_rate`` and is then kept,
    worth ``value``. Realised profit uses the labels; expected profit uses the
    predicted probabilities, so a well-calibrated model has the two curves close.

    Args:
        y: 0/1 labels.
        p: churn probabilities.
        value: value of keeping each customer (array) or one number for all.
        contact_cost: cost per contact.
        acceptance_rate: share of contacted churners kept.
        n_points: number of contact shares from 0 to 1.

    Returns:
        ``share``, ``profit`` (realised, total), ``expected_profit`` (from p), ``profit_per_customer``.
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    v = np.broadcast_to(np.asarray(value, dtype=float), y.shape)
    v = np.nan_to_num(v, nan=float(np.nanmean(v)) if np.isfinite(v).any() else 0.0)
    order = np.argsort(-p, kind="stable")
    gain = acceptance_rate * y[order] * v[order] - contact_cost
    exp_gain = acceptance_rate * p[order] * v[order] - contact_cost
    cum = np.concatenate([[0.0], np.cumsum(gain)])
    exp_cum = np.concatenate([[0.0], np.cumsum(exp_gain)])
    share = np.linspace(0.0, 1.0, n_points)
    idx = np.round(share * len(y)).astype(int)
    n = max(len(y), 1)
    return {"share": share, "profit": cum[idx], "expected_profit": exp_cum[idx], "profit_per_customer": cum[idx] / n}


def max_profit(curve: dict[str, np.ndarray]) -> tuple[float, float]:
    """The realised profit curve's maximum and the contact share where it is reached."""
    i = int(np.argmax(curve["profit"]))
    return float(curve["profit"][i]), float(curve["share"][i])


def roc_points(y: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """ROC curve points (fpr, tpr), thinned to at most ~200 for plotting."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, p, drop_intermediate=True)
    keep = _thin(len(fpr))
    return {"fpr": fpr[keep], "tpr": tpr[keep]}


def pr_points(y: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """Precision-recall curve points, thinned to at most ~200 for plotting."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, _ = precision_recall_curve(y, p, drop_intermediate=True)
    keep = _thin(len(recall))
    return {"recall": recall[keep][::-1], "precision": precision[keep][::-1]}


def reliability(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> dict[str, np.ndarray]:
    """Reliability diagram by quantile bins: mean predicted vs observed churn rate and row count."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    bins = [b for b in np.array_split(order, n_bins) if len(b)]
    return {"bin": np.arange(1, len(bins) + 1), "mean_predicted": np.array([p[b].mean() for b in bins]),
            "observed_rate": np.array([y[b].mean() for b in bins]), "rows": np.array([len(b) for b in bins])}


def gains(y: np.ndarray, p: np.ndarray, n_points: int = 101) -> dict[str, np.ndarray]:
    """Cumulative gains (share of churners found) and lift by share contacted."""
    y = np.asarray(y, dtype=float)
    order = np.argsort(-np.asarray(p, dtype=float), kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(y[order])])
    share = np.linspace(0.0, 1.0, n_points)
    idx = np.round(share * len(y)).astype(int)
    total = max(y.sum(), 1e-12)
    gain = cum[idx] / total
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(share > 0, gain / np.where(share > 0, share, 1), np.nan)
    return {"share": share, "gain": gain, "lift": lift}


def _thin(n: int, target: int = 200) -> np.ndarray:
    step = max(1, n // target)
    idx = np.arange(0, n, step)
    return np.unique(np.concatenate([idx, [n - 1]])) if n else idx
