"""The baselines the model must beat: the ones the field would pick instead of it.

* The health score has nothing to fit: it averages percentile ranks of a few
  risk signals (recency, usage decline, failed payments, open tickets, short
  tenure). Columns the data lacks are skipped, so it also runs on data without
  events.
* The logistic regression is a scikit-learn pipeline (impute, scale, one-hot)
  fitted on the training rows only.
* Recency and frequency alone, each one feature in its known direction (longer
  since the last activity, fewer repeat active days: riskier); nothing is fitted.
* BG/NBD (``models/clv/``), the buy-till-you-die model of
  non-contract churn, on the customer's active days: frequency
  ``repeat_active_days``, recency ``activity_span_days``, age
  ``days_since_first_activity``. It is fitted on the last training cutoff's
  rows and ranks the test rows by expected active days in the horizon (fewer:
  riskier); ``1 - P(alive)`` is logged beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from models.clv.fit import bgnbd_penalizer, fit_bgnbd
from models.clv.history import btyd_history

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


def recency_frequency_scores(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """One-feature baselines in [0, 1]: recency (days since the last activity) and frequency (repeat active days).

    Each is the percentile rank of the feature in its risky direction. Never
    active ranks riskiest on both. Recency is left out when it only restates
    tenure, and either when it is the same for every row (it ranks nothing).
    """
    out: dict[str, np.ndarray] = {}
    if "days_since_last_event" in frame.columns and not _restates_tenure(frame):
        since = pd.to_numeric(frame["days_since_last_event"], errors="coerce").astype("float64")
        out["recency"] = since.fillna(np.inf)
    if "repeat_active_days" in frame.columns:
        out["frequency"] = -pd.to_numeric(frame["repeat_active_days"], errors="coerce").astype("float64").fillna(-1)
    return {name: s.rank(pct=True, method="average").to_numpy() for name, s in out.items() if s.nunique() > 1}


def bgnbd_scores(train: pd.DataFrame, test: pd.DataFrame, horizon_days: int) -> tuple[dict[str, np.ndarray], dict]:
    """BG/NBD fitted on ``train``, scored on ``test``: ``(scores in [0, 1], fitted parameters)``.

    ``bgnbd`` is ``exp(-expected active days in the horizon)`` (the ranking of
    expected purchases, as a number in [0, 1]); ``bgnbd_p_alive`` is ``1 - P(alive)``.
    Empty when the frames lack the whole-history features or ``train`` has no repeat activity.
    """
    fit_on, score_on = btyd_history(train), btyd_history(test)
    if fit_on is None or score_on is None or not np.any(fit_on[0] > 0):
        return {}, {}
    model = fit_bgnbd(*fit_on, penalizer=bgnbd_penalizer(len(fit_on[0])))
    expected = model.expected_purchases(float(horizon_days), *score_on)
    return ({"bgnbd": np.exp(-expected), "bgnbd_p_alive": 1.0 - model.p_alive(*score_on)},
            model.to_dict())
