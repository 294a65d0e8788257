"""Risk tiers: the high / medium / low bands the retention team works through."""

from __future__ import annotations

import math

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
    if method == "top_share":
        # rank (1 = riskiest, ties share the best rank) <= share x n  <=>  p >= the k-th largest p, k = floor(share x n)
        ordered = np.sort(p.to_numpy())[::-1]
        high, medium = (kth_largest(ordered, k) for k in share_counts(len(p), high, medium))
    return tiers_at(p, *tier_thresholds(method, high, medium))


def share_counts(n: int, high: float, medium: float) -> tuple[int, int]:
    """``top_share``: how many of ``n`` customers the high tier and the high + medium tiers take at most
    (``floor(share x n)``; customers tied with the last one come too)."""
    if not (0 <= high <= medium <= 1):
        raise ValueError(f"shares must satisfy 0 <= high <= medium <= 1, got high={high}, medium={medium}")
    return math.floor(high * n), math.floor(medium * n)


def kth_largest(descending: np.ndarray, k: int) -> float:
    """The k-th largest of values sorted in descending order (k >= 1); +inf for k = 0 (nobody reaches it)."""
    return float(descending[k - 1]) if k > 0 else math.inf


def tier_thresholds(method: str, high: float, medium: float) -> tuple[float, float]:
    """The probability thresholds of the high and medium tiers: ``threshold``'s own, checked; for ``top_share``
    the caller passes the k-th largest probabilities of :func:`share_counts` (+inf: an empty tier)."""
    if method == "threshold":
        if not (0 <= medium <= high <= 1):
            raise ValueError(f"thresholds must satisfy 0 <= medium <= high <= 1, got high={high}, medium={medium}")
    elif method != "top_share":
        raise ValueError(f"method {method!r} is not supported; expected 'threshold' or 'top_share'")
    return high, medium


def tiers_at(probability: pd.Series, high: float, medium: float) -> pd.Series:
    """Tier codes by probability thresholds: ``>= high`` high, ``>= medium`` medium, else low (row by row: the
    tiers of the whole base, given its thresholds, on any part of it)."""
    tiers = np.where(probability >= high, "high", np.where(probability >= medium, "medium", "low"))
    return pd.Series(tiers, index=probability.index, dtype=object, name="risk_tier")


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
