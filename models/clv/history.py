"""BG/NBD's inputs from the whole-history features: a day with activity counts as a purchase.

Frequency is ``repeat_active_days``, recency ``activity_span_days`` and age ``days_since_first_activity``, in days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BTYD_COLUMNS = ("repeat_active_days", "activity_span_days", "days_since_first_activity")


def btyd_history(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """BG/NBD inputs ``(x, t_x, T)`` in days from the whole-history features, or None without them.

    A customer never active has no first purchase: ``x = t_x = T = 0`` (a brand-new customer).
    """
    if not set(BTYD_COLUMNS) <= set(frame.columns):
        return None
    x, t_x, T = (pd.to_numeric(frame[c], errors="coerce").astype("float64").fillna(0).to_numpy() for c in BTYD_COLUMNS)
    return x, np.minimum(t_x, T), T
