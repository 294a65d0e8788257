"""Population drift between the training rows and the customers being scored.

The measure is the Population Stability Index,
``PSI = sum((a - e) * ln(a / e))`` over bins, where ``e`` and ``a`` are the
shares of the expected (training) and actual (scored) populations per bin.
Numeric features are binned at the training deciles (missing values get a bin
of their own); text features use their categories. A floor of 1e-4 on every
share keeps empty bins finite. The usual reading: below 0.1 stable, 0.1-0.2
some shift, above 0.2 a shift worth a look.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_FLOOR = 1e-4


def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e = np.maximum(expected, _FLOOR)
    a = np.maximum(actual, _FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_numeric(expected: pd.Series, actual: pd.Series, bins: int = 10) -> float:
    """PSI of a numeric feature, binned at the expected population's quantiles."""
    e = pd.to_numeric(expected, errors="coerce").astype(float)
    a = pd.to_numeric(actual, errors="coerce").astype(float)
    inner = np.linspace(0, 1, bins + 1)[1:-1]
    edges = np.unique(np.nanquantile(e.dropna(), inner)) if e.notna().any() else np.array([])
    def shares(x: pd.Series) -> np.ndarray:
        idx = np.where(x.isna(), len(edges) + 1, np.searchsorted(edges, x.fillna(0).to_numpy(), side="right"))
        counts = np.bincount(idx, minlength=len(edges) + 2).astype(float)
        return counts / max(len(x), 1)
    return _psi(shares(e), shares(a))


def psi_categorical(expected: pd.Series, actual: pd.Series) -> float:
    """PSI of a text feature over its categories (missing is a category)."""
    e = expected.astype("string").fillna("<missing>")
    a = actual.astype("string").fillna("<missing>")
    cats = sorted(set(e.unique()) | set(a.unique()))
    es = e.value_counts(normalize=True).reindex(cats, fill_value=0).to_numpy()
    as_ = a.value_counts(normalize=True).reindex(cats, fill_value=0).to_numpy()
    return _psi(es, as_)


def drift_table(train: pd.DataFrame, scored: pd.DataFrame, features: list[str], categorical: list[str],
                threshold: float) -> pd.DataFrame:
    """PSI per feature, largest first, with a flag for those above ``threshold``.

    Args:
        train: feature rows the model was trained on.
        scored: feature rows being scored.
        features: feature names.
        categorical: the text features among them.
        threshold: PSI above which a feature is flagged.

    Returns:
        Columns ``feature``, ``psi``, ``drifted``.
    """
    rows = []
    for f in features:
        psi = psi_categorical(train[f], scored[f]) if f in categorical else psi_numeric(train[f], scored[f])
        rows.append((f, psi))
    out = pd.DataFrame(rows, columns=["feature", "psi"]).sort_values(["psi", "feature"], ascending=[False, True],
                                                                      kind="stable")
    out["drifted"] = out["psi"] > threshold
    return out.reset_index(drop=True)
