"""SHAP contributions of a LightGBM churn model against its training population (path-dependent TreeSHAP).

Contributions are in log-odds (the model's raw score): for every customer,
``contributions.sum(1) + base_value == booster.predict(X, raw_score=True)``.
:func:`shap_contributions` is LightGBM's own ``pred_contrib``;
:func:`treeexplainer_contributions` gives the same numbers through shap, for comparison.
"""

from __future__ import annotations

import warnings

import lightgbm
import numpy as np
import pandas as pd


def aligned(booster: lightgbm.Booster, X: pd.DataFrame) -> pd.DataFrame:
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
    X = aligned(booster, X)
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

    X = aligned(booster, X)
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
