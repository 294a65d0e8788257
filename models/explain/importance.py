"""Global importance from SHAP contributions: per feature, and per driver family."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.catalog import FAMILIES, family_of


def feature_importance(contributions: np.ndarray, feature_names: list[str],
                       families: dict[str, str] | None = None) -> pd.DataFrame:
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
            "family": [(families or {}).get(f) or family_of(f) for f in feature_names],
            "mean_abs_shap": mean_abs,
            "share": mean_abs / total if total > 0 else np.zeros_like(mean_abs),
        }
    )
    return frame.sort_values(["mean_abs_shap", "feature"], ascending=[False, True], ignore_index=True)


def family_importance(contributions: np.ndarray, feature_names: list[str],
                      families: dict[str, str] | None = None) -> pd.DataFrame:
    """Global importance per driver family: sum of its features' mean |SHAP|.

    Args:
        contributions: ``(n, n_features)`` contributions.
        feature_names: the column of each contribution.
        families: feature -> family for this kind of business (``features.catalog.family_map``); None: by name.

    Returns:
        A frame with ``family``, ``mean_abs_shap`` and ``share`` (sums to 1 when
        any contribution is non-zero), one row per family of ``FAMILIES``,
        most important first.
    """
    per_feature = feature_importance(contributions, feature_names, families)
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
