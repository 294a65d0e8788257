"""SHAP contributions of a LightGBM churn model, and global driver importance.

Contributions are in log-odds (the model's raw score): for every customer,
``contributions.sum(1) + base_value == booster.predict(X, raw_score=True)``.
"""

from __future__ import annotations

import logging
import warnings

import lightgbm
import numpy as np
import pandas as pd

from features.catalog import FAMILIES, family_of

LOGGER = logging.getLogger(__name__)


def _aligned(booster: lightgbm.Booster, X: pd.DataFrame) -> pd.DataFrame:
    """Return X with the booster's feature columns in the booster's order."""
    expected = booster.feature_name()
    missing = [c for c in expected if c not in X.columns]
    if missing:
        raise ValueError(
            f"X has {X.shape[1]} columns but the model expects {len(expected)} features; "
            f"{len(missing)} are missing, e.g. {missing[:5]}"
        )
    if booster.num_model_per_iteration() != 1:
        raise ValueError(
            f"the model has {booster.num_model_per_iteration()} outputs per iteration; "
            "only binary or regression models (one output) are supported"
        )
    return X if list(X.columns) == expected else X[expected]


def _base_value(booster: lightgbm.Booster, X: pd.DataFrame) -> float:
    """Base value (the same for every row) from a single all-missing row."""
    one = X.iloc[:0].reindex(index=[0])
    return float(booster.predict(one, pred_contrib=True)[0, -1])


def shap_contributions(booster: lightgbm.Booster, X: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Exact TreeSHAP contributions with LightGBM's native implementation.

    Args:
        booster: a trained binary LightGBM booster.
        X: features, one row per customer; pandas categorical columns are fine.
            Columns are reordered to the booster's feature order.

    Returns:
        ``(contributions, base_value)``: an ``(n, n_features)`` array in log-odds,
        columns in ``booster.feature_name()`` order, and the base value.
    """
    X = _aligned(booster, X)
    if len(X) == 0:
        return np.zeros((0, X.shape[1])), _base_value(booster, X)
    out = np.asarray(booster.predict(X, pred_contrib=True))
    return out[:, :-1], float(out[0, -1])


def treeexplainer_contributions(
    booster: lightgbm.Booster, X: pd.DataFrame, algorithm: str = "auto"
) -> tuple[np.ndarray, float]:
    """The same contributions through ``shap.TreeExplainer``, for comparison.

    Args:
        booster: a trained binary LightGBM booster.
        X: features as for :func:`shap_contributions`.
        algorithm: ``"auto"`` is shap's default, which for a LightGBM booster
            hands the work to LightGBM's own ``pred_contrib``; ``"shap_internal"``
            forces shap's own C++ TreeSHAP on the parsed trees, an independent
            implementation (numeric features only: shap mis-parses LightGBM
            categorical splits).

    Returns:
        ``(contributions, base_value)`` as :func:`shap_contributions`.
    """
    import shap

    X = _aligned(booster, X)
    explainer = shap.TreeExplainer(booster)
    if algorithm == "shap_internal":
        categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if categorical:
            raise ValueError(
                f"algorithm='shap_internal' needs numeric features; categorical columns: {categorical[:5]}"
            )
        # Skips shap's shortcut to LightGBM's pred_contrib (used when model_type != "internal").
        explainer.model.model_type = "internal"
        data: pd.DataFrame | np.ndarray = X.to_numpy(dtype=float)
    elif algorithm == "auto":
        data = X
    else:
        raise ValueError(f"algorithm {algorithm!r} is not supported; expected 'auto' or 'shap_internal'")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="LightGBM binary classifier")
        values = explainer.shap_values(data)
    values = np.asarray(values)
    if values.ndim == 3:  # older shap: one array per class
        values = values[..., -1]
    base = np.ravel(explainer.expected_value)[-1]
    return values, float(base)


def feature_importance(contributions: np.ndarray, feature_names: list[str]) -> pd.DataFrame:
    """Global importance: mean |SHAP| per feature.

    Args:
        contributions: ``(n, n_features)`` contributions.
        feature_names: the column of each contribution.

    Returns:
        A frame with ``feature``, ``family``, ``mean_abs_shap`` and ``share``
        (of the total, sums to 1), most important first.
    """
    contrib = np.asarray(contributions, dtype=float)
    if contrib.ndim != 2 or contrib.shape[1] != len(feature_names):
        raise ValueError(f"contributions have shape {contrib.shape}; expected (n, {len(feature_names)})")
    mean_abs = np.nanmean(np.abs(contrib), axis=0) if len(contrib) else np.zeros(len(feature_names))
    total = mean_abs.sum()
    frame = pd.DataFrame(
        {
            "feature": list(feature_names),
            "family": [family_of(f) for f in feature_names],
            "mean_abs_shap": mean_abs,
            "share": mean_abs / total if total > 0 else np.zeros_like(mean_abs),
        }
    )
    return frame.sort_values(["mean_abs_shap", "feature"], ascending=[False, True], ignore_index=True)


def family_importance(contributions: np.ndarray, feature_names: list[str]) -> pd.DataFrame:
    """Global importance per driver family: sum of its features' mean |SHAP|.

    Args:
        contributions: ``(n, n_features)`` contributions.
        feature_names: the column of each contribution.

    Returns:
        A frame with ``family``, ``mean_abs_shap`` and ``share`` (sums to 1 when
        any contribution is non-zero), one row per family of ``FAMILIES``,
        most important first.
    """
    per_feature = feature_importance(contributions, feature_names)
    grouped = per_feature.groupby("family")["mean_abs_shap"].sum().reindex(list(FAMILIES), fill_value=0.0)
    total = grouped.sum()
    frame = pd.DataFrame(
        {
            "family": grouped.index,
            "mean_abs_shap": grouped.to_numpy(),
            "share": grouped.to_numpy() / total if total > 0 else np.zeros(len(grouped)),
        }
    )
    return frame.sort_values(["mean_abs_shap", "family"], ascending=[False, True], ignore_index=True)
