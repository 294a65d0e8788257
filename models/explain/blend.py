"""SHAP values of a model blended with its linear part (``train.linear_blend``).

The linear part is additive, so its exact SHAP values against any reference
are its terms minus their mean there; blended with the booster's contributions
in the same proportion as the scores, they still add up to the blended log-odds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.training.linear import LinearPart


def blend_contributions(contrib: np.ndarray, base, linear: LinearPart | None, weight: float, X: pd.DataFrame,
                        reference: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray | float]:
    """The booster's contributions blended with the linear part's, for a model with ``train.linear_blend``.

    Args:
        contrib, base: the booster's contributions (booster feature order) and base value(s).
        linear, weight: the linear part and its weight (None or 0: returned unchanged).
        X: the explained rows (model matrix, booster feature order).
        reference: the rows the booster was explained against (None: its training population).

    Returns:
        ``(contributions, base)`` of the blended log-odds, still adding up to it.
    """
    if linear is None or not weight:
        return contrib, base
    if list(linear.features) != list(X.columns):
        raise ValueError("the linear part's features differ from the booster's")
    lin, lin_base = linear.contributions(X, reference)
    return (1.0 - weight) * np.asarray(contrib) + weight * lin, (1.0 - weight) * np.asarray(base) + weight * lin_base
