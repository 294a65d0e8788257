"""Each customer's top reasons: pick the features that raise the risk most, word them, drop repeats.

A repeat is a reason with the code of a stronger one, or one stating the same fact
(``features.catalog.fact_of``: active days and the share of weeks active, days since the last
purchase and the overdue ratio, one count in several windows): the next reason comes from
another fact, or the list stops short.

Everything is vectorised over customers: the Python loops run over candidate
slots and features, never over customers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from features.catalog import fact_map, family_of
from models.retention import i18n
from models.retention.reasons.sentences import render_feature

# Candidates beyond top_k, so that a reason dropped as a repeat (a 30-day and a 90-day
# login decline give the same code) still leaves top_k distinct reasons.
_EXTRA_CANDIDATES = 3
# Candidates read beyond those, by name only: the active days in 30, 90 and 365 days and the purchases in them
# state one fact, so one fact often fills many of the strongest places.
_EXTRA_FACTS = 12


def _candidates(contributions: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``m`` strongest features of every customer, strongest first.

    Args:
        contributions: ``(n, p)`` ranking scores (SHAP contributions, NaN as no reason).
        m: how many candidates per customer (``m <= p``).

    Returns:
        ``(features, raises)``: ``(n, m)`` feature indices ordered by falling score
        (ties by feature index, so the order is deterministic), and whether each
        candidate raises the risk (score > 0); only those may become reasons.
    """
    n, p = contributions.shape
    score = np.where(np.isnan(contributions), -np.inf, contributions)
    # argpartition finds the m largest per row without sorting all p; they are sorted next.
    part = np.argpartition(-score, m - 1, axis=1)[:, :m] if m < p else np.tile(np.arange(p), (n, 1))
    part_scores = np.take_along_axis(score, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)  # by score, descending; ties by feature index
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_scores, order, axis=1) > 0


def _word_candidates(features: pd.DataFrame, candidates: np.ndarray, valid: np.ndarray, feature_names: list[str],
                     language: str, currency: str | None, profile: str | None = None,
                     display_names: dict | None = None,
                     family_by_feature: dict[str, str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sentence, code and family of every valid candidate slot (``""`` elsewhere), each ``(n, m)``.

    The slots are grouped by feature, so each feature's template is filled once
    for all the customers it is a candidate for.
    """
    n, m = candidates.shape
    sentences, codes, families = (np.full(n * m, "", dtype=object) for _ in range(3))
    slots = np.flatnonzero(valid)                 # flat (customer * m + rank) positions of valid candidates
    slot_feature = candidates.ravel()[slots]
    by_feature = np.argsort(slot_feature, kind="stable")
    slots, slot_feature = slots[by_feature], slot_feature[by_feature]
    starts = np.flatnonzero(np.r_[True, slot_feature[1:] != slot_feature[:-1]]) if slot_feature.size else []
    ends = np.r_[starts[1:], slot_feature.size] if slot_feature.size else []
    cache: dict[str, np.ndarray] = {}
    for a, b in zip(starts, ends):
        feature = feature_names[slot_feature[a]]
        pos = slots[a:b]
        family = (family_by_feature or {}).get(feature) or family_of(feature)
        s, c = render_feature(features, feature, pos // m, language, currency, cache, profile, display_names, family)
        sentences[pos], codes[pos], families[pos] = s, c, family
    return sentences.reshape(n, m), codes.reshape(n, m), families.reshape(n, m)


def _drop_repeats(keys: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``valid`` with every candidate removed whose key (code or fact) a stronger valid candidate already has."""
    valid = valid.copy()
    for r in range(1, keys.shape[1]):
        repeat = np.zeros(len(keys), dtype=bool)
        for s in range(r):
            repeat |= valid[:, s] & (keys[:, s] == keys[:, r])
        valid[:, r] &= ~repeat
    return valid


def _to_front(valid: np.ndarray, width: int, *arrays: np.ndarray) -> list[np.ndarray]:
    """The surviving candidates moved to the front in their order (strongest first), ``width`` columns kept."""
    keep = np.argsort(~valid, axis=1, kind="stable")[:, :width]
    return [np.take_along_axis(a, keep, axis=1) for a in (valid, *arrays)]


def _reason_frame(sentences: np.ndarray, codes: np.ndarray, families: np.ndarray, facts: np.ndarray,
                  valid: np.ndarray, top_k: int, index: pd.Index) -> pd.DataFrame:
    """The output columns: ``reason_1..k``, ``reason_code_1..k``, ``reason_family_1..k``, ``reason_fact_1..k``,
    the codes joined and the driver family."""
    n, m = valid.shape
    k_avail = min(top_k, m)
    parts = (("reason_", sentences), ("reason_code_", codes), ("reason_family_", families), ("reason_fact_", facts))
    cols: dict[str, dict[str, Any]] = {prefix: {} for prefix, _ in parts}
    for r in range(top_k):
        for prefix, values in parts:
            cols[prefix][f"{prefix}{r + 1}"] = (np.where(valid[:, r], values[:, r], "") if r < k_avail
                                                else np.full(n, "", dtype=object))
    frame = pd.DataFrame({k: v for prefix, _ in parts for k, v in cols[prefix].items()}, index=index)
    frame = frame.astype(object)
    code_cols = list(cols["reason_code_"])
    joined = frame[code_cols[0]].astype(str)
    for col in code_cols[1:]:
        nxt = frame[col].astype(str)
        joined = joined.where(nxt == "", joined + "|" + nxt)
    frame["reason_codes"] = joined
    frame["driver_family"] = frame["reason_family_1"]
    return frame


def _check_inputs(features: pd.DataFrame, contrib: np.ndarray, feature_names: list[str]) -> None:
    n, p = len(features), len(feature_names)
    if contrib.ndim != 2 or contrib.shape != (n, p):
        hint = " (drop the last column of pred_contrib: it is the base value)" if contrib.shape[-1] == p + 1 else ""
        raise ValueError(
            f"contributions have shape {contrib.shape}, but features has {n} rows and "
            f"{p} feature names were given: expected ({n}, {p}){hint}"
        )
    missing_cols = [f for f in feature_names if f not in features.columns]
    if missing_cols:
        raise ValueError(f"{len(missing_cols)} feature names are not columns of features, e.g. {missing_cols[:5]}")


def top_reasons(
    features: pd.DataFrame,
    contributions: np.ndarray,
    feature_names: list[str],
    language: str = "en",
    top_k: int = 3,
    currency: str | None = None,
    profile: str | None = None,
    display_names: dict | None = None,
    families: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Return each customer's top reasons for being at risk, as sentences and codes.

    Only features with a positive contribution (pushing risk up) become reasons;
    when two candidate features give the same code (a 30-day and a 90-day login
    decline) or state the same fact (``features.catalog.fact_of``: active days and the
    share of weeks active) only the stronger is kept; when fewer than ``top_k`` facts
    raise the risk, the list stops short.

    Args:
        features: feature values, one row per customer (must contain ``feature_names``).
        contributions: ``(n_customers, n_features)`` SHAP contributions aligned with
            ``features`` rows and ``feature_names`` (or a ranking derived from them,
            such as :func:`models.retention.drivers.driver_first`).
        feature_names: the column of each contribution.
        language: ``"en"`` or ``"ja"``.
        top_k: number of reasons per customer.
        currency: ISO code for money amounts in sentences (plain numbers if None).
        profile: the business profile (``business.kind``); a non-contract business has its own words.
        display_names: ``business.display_names``: names of event types, ticket categories, columns and their values.
        families: feature -> family for this kind of business (``features.catalog.family_map``); None: by name.

    Returns:
        A frame with the index of ``features`` and columns ``reason_1..k``,
        ``reason_code_1..k``, ``reason_family_1..k``, ``reason_fact_1..k`` (empty
        strings when fewer than k facts push risk up), ``reason_codes`` ("|"-joined) and
        ``driver_family`` (family of reason 1, empty if none).
    """
    i18n.check_language(language)
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    contrib = np.asarray(contributions, dtype=float)
    _check_inputs(features, contrib, feature_names)
    n, p = len(features), len(feature_names)
    m = min(p, top_k + _EXTRA_CANDIDATES)
    sentences, codes, reason_families, facts = (np.full((n, m), "", dtype=object) for _ in range(4))
    valid = np.zeros((n, m), dtype=bool)
    if n and p:
        candidates, valid = _candidates(contrib, min(p, top_k + _EXTRA_CANDIDATES + _EXTRA_FACTS))
        fact_of_feature = fact_map(feature_names, families)
        facts = np.array([fact_of_feature[f] for f in feature_names], dtype=object)[candidates]
        # One candidate per fact (by name, before any wording), then one per code among those worded.
        valid, candidates, facts = _to_front(_drop_repeats(facts, valid), m, candidates, facts)
        sentences, codes, reason_families = _word_candidates(features, candidates, valid, feature_names, language,
                                                             currency, profile, display_names, families)
        valid, sentences, codes, reason_families, facts = _to_front(_drop_repeats(codes, valid), m, sentences,
                                                                    codes, reason_families, facts)
    return _reason_frame(sentences, codes, reason_families, facts, valid, top_k, features.index)
