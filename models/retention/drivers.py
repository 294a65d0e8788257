"""The driver family of each customer: which family of reasons leads, read from the SHAP contributions.

The driver family is the family whose risk-raising contributions add up to the
most; a usage or engagement window longer than the customer's tenure counts for
tenure (a customer who joined 20 days ago has few events in 90 days because they
are new, not because their use fell).
"""

from __future__ import annotations

import numpy as np

from features.catalog import FAMILIES, family_of, window_days


def history_days(feature: str) -> int | None:
    """Days of history a windowed usage or engagement feature needs to be complete (None: not such a feature).

    ``events_login_count_90d`` needs 90 days, ``events_login_change_30d_vs_prev_30d`` 60,
    ``weeks_active_share_84d`` 84. Other families' features are never censored: a new
    customer's low ticket or payment-failure count is not a risk.
    """
    if family_of(feature) not in ("usage", "engagement"):
        return None
    window = window_days(feature)
    return None if window is None else sum(window)


def _effective(contributions: np.ndarray, feature_names: list[str], tenure_days: np.ndarray | None) -> np.ndarray:
    """Risk-raising contributions, with those of windows longer than the customer's tenure moved to ``tenure_days``.

    A customer who joined 20 days ago has few events in 90 days because they are new, not
    because their use fell: that part of the risk is early life (tenure), so it is counted
    on ``tenure_days`` for the driver family. Without ``tenure_days`` (the argument or the
    feature) nothing moves.
    """
    contrib = np.asarray(contributions, dtype=float)
    positive = np.clip(np.nan_to_num(contrib, nan=0.0), 0.0, None)
    if tenure_days is None or "tenure_days" not in feature_names or positive.size == 0:
        return positive
    tenure = np.asarray(tenure_days, dtype=float)
    if tenure.shape != (len(contrib),):
        raise ValueError(f"tenure_days has shape {tenure.shape}; expected ({len(contrib)},)")
    window = np.array([history_days(f) or 0 for f in feature_names], dtype=float)
    censored = (window[None, :] > 0) & (tenure[:, None] < window[None, :])  # NaN tenure: never
    out = np.where(censored, 0.0, positive)
    out[:, feature_names.index("tenure_days")] += np.where(censored, positive, 0.0).sum(axis=1)
    return out


def family_scores(contributions: np.ndarray, feature_names: list[str],
                  tenure_days: np.ndarray | None = None, families: dict[str, str] | None = None) -> np.ndarray:
    """Per customer and family (``FAMILIES`` order): the sum of the family's risk-raising contributions.

    With ``tenure_days`` (per customer), the risk-raising contributions of usage and engagement
    features whose window is longer than the customer's tenure count for tenure (see :func:`history_days`).
    """
    return _family_sums(_effective(contributions, list(feature_names), tenure_days), feature_names, families)


def _families(feature_names: list[str], families: dict[str, str] | None) -> np.ndarray:
    """Each feature's family: from ``families`` (``features.catalog.family_map``, by kind of business) or its name."""
    return np.array([(families or {}).get(f) or family_of(f) for f in feature_names])


def _family_sums(values: np.ndarray, feature_names: list[str], families: dict[str, str] | None = None) -> np.ndarray:
    """Per row and family (``FAMILIES`` order): the sum of ``values`` over the family's features."""
    fam_of = _families(feature_names, families)
    return np.stack([values[:, fam_of == fam].sum(axis=1) for fam in FAMILIES], axis=1)


def driver_first(contributions: np.ndarray, feature_names: list[str],
                 tenure_days: np.ndarray | None = None, families: dict[str, str] | None = None) -> np.ndarray:
    """Reason ranking that leads with the customer's driver family.

    The driver family is the one whose risk-raising contributions add up to the
    most (a family's signal is often spread over several correlated features,
    e.g. 7-, 30- and 90-day counts, so its single strongest feature can lose to
    a lone feature of another family while the family as a whole weighs more).
    The returned array equals the contributions except that the driver family's
    strongest feature is lifted above every other, so :func:`models.retention.reasons.select.top_reasons`
    puts it first and the remaining reasons follow by contribution.

    With ``tenure_days``, a usage or engagement window longer than the customer's tenure
    counts for ``tenure_days`` (:func:`family_scores`): a customer who joined 20 days ago
    and is at risk mainly for few events in 90 days leads with "joined 20 days ago".

    Args:
        contributions: ``(n, n_features)`` contributions.
        feature_names: the column of each contribution.
        tenure_days: optional tenure of each customer at the cutoff.
        families: feature -> family for this kind of business (``features.catalog.family_map``); None: by name.

    Returns:
        The ranking array to pass to ``top_reasons`` in place of the contributions.
    """
    contrib = np.asarray(contributions, dtype=float)
    ranking = contrib.copy()
    if contrib.size == 0:
        return ranking
    effective = _effective(contrib, list(feature_names), tenure_days)
    fam_of = _families(feature_names, families)
    driver = np.array(FAMILIES)[_family_sums(effective, feature_names, families).argmax(axis=1)]
    in_driver = fam_of[None, :] == driver[:, None]
    # Only a feature that itself raises the risk may lead: one that lowers it is never a reason for it.
    masked = np.where(in_driver & (contrib > 0), effective, -np.inf)
    lead = masked.argmax(axis=1)
    has = np.isfinite(masked.max(axis=1))
    rows = np.flatnonzero(has)
    ranking[rows, lead[rows]] = np.nanmax(np.where(np.isnan(contrib[rows]), -np.inf, contrib[rows]), axis=1) + 1.0
    return ranking


def family_contributions(contributions: np.ndarray, feature_names: list[str],
                         tenure_days: np.ndarray | None = None, families: dict[str, str] | None = None) -> np.ndarray:
    """Per customer and family (``FAMILIES`` order): the family's whole contribution, risk-raising and lowering.

    As for the driver family, a usage or engagement window longer than the customer's tenure counts
    for tenure. This is the explanation's counterpart of an additive truth's family contributions.
    """
    contrib = np.nan_to_num(np.asarray(contributions, dtype=float), nan=0.0)
    names = list(feature_names)
    if tenure_days is not None and "tenure_days" in names and contrib.size:
        tenure = np.asarray(tenure_days, dtype=float)
        window = np.array([history_days(f) or 0 for f in names], dtype=float)
        censored = (window[None, :] > 0) & (tenure[:, None] < window[None, :])
        moved = np.where(censored, contrib, 0.0).sum(axis=1)
        contrib = np.where(censored, 0.0, contrib)
        contrib[:, names.index("tenure_days")] += moved
    return _family_sums(contrib, names, families)
