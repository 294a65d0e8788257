"""Simple baselines the model must beat: a rule-based health score and a logistic regression.

The health score has nothing to fit: it averages percentile ranks of a few
risk signals (recency, usage decline, failed payments, open tickets, short
tenure). Columns the data lacks are skipped, so it also runs on data without
events. The logistic regression is a scikit-learn pipeline (impute, scale,
one-hot) fitted on the training rows only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# (column, direction): +1 means a larger value is riskier, -1 a smaller one.
HEALTH_SIGNALS: tuple[tuple[str, int], ...] = (
    ("days_since_last_event", +1),
    ("events_total_change_30d_vs_prev_30d", -1),
    ("events_payment_failed_count_30d", +1),
    ("tickets_open_count", +1),
    ("tenure_days", -1),
)


def health_score(frame: pd.DataFrame, signals: Sequence[tuple[str, int]] = HEALTH_SIGNALS) -> np.ndarray:
    """Churn risk by rule: the mean percentile rank of the risk signals present in ``frame``.

    Args:
        frame: feature rows.
        signals: (column, direction) pairs; missing columns are skipped, missing values rank in the middle.

    Returns:
        A risk score in [0, 1] per row (0.5 for all rows when no signal column is present).
    """
    ranks = []
    for col in health_signals_used(frame, signals):
        direction = dict(signals)[col]
        values = pd.to_numeric(frame[col], errors="coerce") * direction
        ranks.append(values.rank(pct=True, method="average").fillna(0.5).to_numpy())
    if not ranks:
        return np.full(len(frame), 0.5)
    return np.mean(ranks, axis=0)


def _restates_tenure(frame: pd.DataFrame) -> bool:
    """True when recency only restates tenure (the only event is the signup, as in single-snapshot CRM extracts)."""
    if not {"days_since_last_event", "tenure_days"} <= set(frame.columns) or frame.empty:
        return False
    a = pd.to_numeric(frame["days_since_last_event"], errors="coerce")
    b = pd.to_numeric(frame["tenure_days"], errors="coerce")
    both = a.notna() & b.notna()
    return bool(both.any() and ((a[both] - b[both]).abs() <= 1).mean() >= 0.99)


def health_signals_used(frame: pd.DataFrame, signals: Sequence[tuple[str, int]] = HEALTH_SIGNALS) -> list[str]:
    """The signal columns ``health_score`` uses on ``frame``: those present, minus recency when it restates tenure."""
    used = [c for c, _ in signals if c in frame.columns]
    if _restates_tenure(frame):
        used = [c for c in used if c != "days_since_last_event"]
    return used


def logistic_pipeline(numeric: Sequence[str], categorical: Sequence[str], seed: int = 0):
    """An unfitted scikit-learn pipeline: median impute + scale numerics, one-hot categoricals, logistic regression."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    pre = ColumnTransformer([
        ("num", Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                          ("scale", StandardScaler())]), list(numeric)),
        ("cat", Pipeline([("impute", SimpleImputer(strategy="constant", fill_value="missing")),
                          ("onehot", OneHotEncoder(handle_unknown="ignore", min_frequency=10))]), list(categorical)),
    ])
    return Pipeline([("pre", pre), ("model", LogisticRegression(max_iter=2000, C=1.0, random_state=seed))])


def _as_inputs(frame: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]) -> pd.DataFrame:
    X = pd.DataFrame(index=frame.index)
    for col in numeric:
        X[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    for col in categorical:
        X[col] = frame[col].astype("string").astype(object).where(frame[col].notna(), np.nan)
    return X


def fit_logistic(train: pd.DataFrame, y: np.ndarray, features: Sequence[str], categorical: Sequence[str],
                 seed: int = 0):
    """Fit the logistic baseline on training rows.

    Returns:
        The fitted pipeline; score rows with ``predict_logistic``.
    """
    numeric = [f for f in features if f not in set(categorical)]
    pipe = logistic_pipeline(numeric, list(categorical), seed)
    pipe.fit(_as_inputs(train, numeric, categorical), np.asarray(y, dtype=int))
    pipe.numeric_, pipe.categorical_ = numeric, list(categorical)
    return pipe


def predict_logistic(pipe, frame: pd.DataFrame) -> np.ndarray:
    """Churn probability from a fitted logistic baseline."""
    return pipe.predict_proba(_as_inputs(frame, pipe.numeric_, pipe.categorical_))[:, 1]
