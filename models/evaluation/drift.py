"""Population drift between the training rows and the customers being scored.

The measure is the Population Stability Index,
``PSI = sum((a - e) * ln(a / e))`` over bins, where ``e`` and ``a`` are the
shares of the expected (training) and actual (scored) populations per bin.
Numeric features are binned at the training deciles (missing values get a bin
of their own); text features use their categories. A floor of 1e-4 on every
share keeps empty bins finite. The usual reading: below 0.1 stable, 0.1-0.2
some shift, above 0.2 a shift worth a look.

Features that grow with a customer's age (``features.catalog.grows_with_time``) drift by ageing alone: a closed
cohort scored a year after its training cutoffs has a longer tenure and larger lifetime totals, though nobody
behaves differently. So a lifetime total is compared as a per-day rate (the total over the customer's days of
history, ``days_since_first_activity`` or else ``tenure_days``), and the ages themselves are reported apart as
expected (``compared_as`` ``ageing``), never flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.catalog import grows_with_time

_FLOOR = 1e-4
COMPARED_AS = ("as_is", "per_day", "ageing")


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


def age_column(columns) -> str | None:
    """The days of history a lifetime total is divided by: days since the first activity, else tenure."""
    return next((c for c in ("days_since_first_activity", "tenure_days") if c in set(columns)), None)


def per_day(values: pd.Series, age: pd.Series) -> pd.Series:
    """A lifetime total as a rate per day of history (a day at least, so a first-day customer is not infinite)."""
    return pd.to_numeric(values, errors="coerce").astype(float) / np.maximum(
        pd.to_numeric(age, errors="coerce").astype(float), 1.0)


def drift_table(train: pd.DataFrame, scored: pd.DataFrame, features: list[str], categorical: list[str],
                threshold: float, age: str | None = "auto") -> pd.DataFrame:
    """PSI per feature, the worst first, with a flag for those above ``threshold`` that did not drift by ageing.

    Args:
        train: feature rows the model was trained on.
        scored: feature rows being scored.
        features: feature names.
        categorical: the text features among them.
        threshold: PSI above which a feature is flagged.
        age: the column of days of history for the per-day rates; ``"auto"``: :func:`age_column` of the
            columns both frames have; None: every feature as it is.

    Returns:
        Columns ``feature``, ``psi`` (of the feature as it is), ``drifted``, ``compared_as`` (``as_is``,
        ``per_day``: a lifetime total as a rate, ``ageing``: an age, expected to drift, never flagged) and
        ``psi_compared`` (the PSI of what was compared; empty for an age). Sorted by ``psi_compared``, then
        ``psi``, largest first; the ages last.
    """
    if age == "auto":
        age = age_column(set(train.columns) & set(scored.columns))
    rows = []
    for f in features:
        psi = psi_categorical(train[f], scored[f]) if f in categorical else psi_numeric(train[f], scored[f])
        grows = None if f in categorical else grows_with_time(f)
        if grows == "age":
            rows.append((f, psi, "ageing", np.nan))
        elif grows == "lifetime" and age is not None:
            rate = psi_numeric(per_day(train[f], train[age]), per_day(scored[f], scored[age]))
            rows.append((f, psi, "per_day", rate))
        else:
            rows.append((f, psi, "as_is", psi))
    out = pd.DataFrame(rows, columns=["feature", "psi", "compared_as", "psi_compared"])
    out = out.assign(_age=out["compared_as"].eq("ageing")).sort_values(
        ["_age", "psi_compared", "psi", "feature"], ascending=[True, False, False, True], kind="stable",
        na_position="last").drop(columns="_age")
    out["drifted"] = out["psi_compared"].fillna(0.0) > threshold
    return out[["feature", "psi", "drifted", "compared_as", "psi_compared"]].reset_index(drop=True)
