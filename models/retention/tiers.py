"""Risk tiers: the high / medium / low bands the retention team works through."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.retention import i18n

TIERS: tuple[str, ...] = ("high", "medium", "low")


def assign_tiers(
    probability: pd.Series | np.ndarray,
    method: str = "threshold",
    high: float = 0.5,
    medium: float = 0.2,
) -> pd.Series:
    """Sort customers into ``"high"``, ``"medium"`` and ``"low"`` risk tiers.

    Args:
        probability: churn probabilities.
        method: ``"threshold"``: ``high``/``medium`` are probability thresholds;
            ``"top_share"``: they are cumulative shares of the base (0.05 and 0.2
            mean the riskiest 5% are high and the next 15% medium). Customers
            tied at a boundary share the higher tier.
        high: threshold or share of the high tier.
        medium: threshold or share of high + medium together.

    Returns:
        A Series of tier codes (index kept if ``probability`` is a Series).
    """
    p = probability if isinstance(probability, pd.Series) else pd.Series(np.asarray(probability, dtype=float))
    p = p.astype(float)
    if p.isna().any():
        raise ValueError(f"{int(p.isna().sum())} probabilities are missing; every customer needs a score")
    if not (0 <= medium <= high <= 1) and method == "threshold":
        raise ValueError(f"thresholds must satisfy 0 <= medium <= high <= 1, got high={high}, medium={medium}")
    if method == "threshold":
        is_high, is_medium = p >= high, p >= medium
    elif method == "top_share":
        if not (0 <= high <= medium <= 1):
            raise ValueError(f"shares must satisfy 0 <= high <= medium <= 1, got high={high}, medium={medium}")
        rank = p.rank(method="min", ascending=False)
        is_high, is_medium = rank <= high * len(p), rank <= medium * len(p)
    else:
        raise ValueError(f"method {method!r} is not supported; expected 'threshold' or 'top_share'")
    tiers = np.where(is_high, "high", np.where(is_medium, "medium", "low"))
    return pd.Series(tiers, index=p.index, dtype=object, name="risk_tier")


def tier_labels(tiers: pd.Series, language: str) -> pd.Series:
    """Translate tier codes into display names ("High" / 「高」).

    Args:
        tiers: tier codes from :func:`assign_tiers`.
        language: ``"en"`` or ``"ja"``.

    Returns:
        The display names, same index.
    """
    names = {t: i18n.t(f"tiers.{t}", language) for t in TIERS}
    return tiers.map(names)
