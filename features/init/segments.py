"""The evaluation's segments: customer columns with a few values, where one ROC-AUC per value reads well."""

from __future__ import annotations

import pandas as pd

from features.init.choice import Choice

MAX_VALUES = 12
MAX_SEGMENTS = 5


def segments(columns: pd.DataFrame) -> Choice:
    """``evaluate.segments`` from the customer attributes.

    Args:
        columns: one row per text attribute, in the table's order: ``column``, ``n`` (customers with a value)
            and ``distinct`` (values).
    """
    fit = columns[(columns["distinct"] >= 2) & (columns["distinct"] <= MAX_VALUES) & (columns["n"] > 0)]
    chosen = list(fit["column"][:MAX_SEGMENTS])
    if not chosen:
        return Choice("evaluate.segments", [], f"no customer column has 2 to {MAX_VALUES} values")
    detail = ", ".join(f"{r.column} ({r.distinct} values)" for r in fit.head(MAX_SEGMENTS).itertuples())
    return Choice("evaluate.segments", chosen, f"customer columns with 2 to {MAX_VALUES} values: {detail}")
