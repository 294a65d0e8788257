"""What the scored list says about a contact: its expected effect, its expected saving and why the list is ranked
as it is.

``expected_saving = expected_uplift x customer value - contact cost``: the value a contact is expected to keep, net
of what the contact costs (Lemmens & Gupta 2020; Devriendt et al. 2021: ranking by it beats ranking by risk).
Before any campaign is measured, or when the uplift model did not beat risk ranking, both are missing and the list
is ranked by churn risk x value; ``targeting_basis`` says which and why on every row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DECISION_COLUMNS: tuple[str, ...] = ("expected_uplift", "expected_saving", "targeting_basis")


def decision_columns(expected_uplift: np.ndarray | None, value: pd.Series, contact_cost: float,
                     basis: str) -> pd.DataFrame:
    """The three columns on ``value``'s index (``expected_uplift`` None: no model, both numbers missing)."""
    uplift = (np.full(len(value), np.nan) if expected_uplift is None
              else np.asarray(expected_uplift, dtype=float))
    saving = uplift * pd.to_numeric(value, errors="coerce").to_numpy(dtype=float) - contact_cost
    return pd.DataFrame({"expected_uplift": uplift, "expected_saving": saving, "targeting_basis": basis},
                        index=value.index)
