"""Explaining each customer against reference customers of its own segment (e.g. the same contract).

The contributions then add up to the customer's log-odds minus the mean
log-odds of those peers, so they say what sets the customer apart from
customers like it instead of restating the segment.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import lightgbm
import numpy as np
import pandas as pd

from models.explain.blend import blend_contributions
from models.explain.native import aligned
from models.explain.treeshap import ReferenceTables, interventional_contributions, reference_tables
from models.training.linear import LinearPart, blend

_MISSING = "\x00missing"  # group key of customers without a segment value


def _segment_keys(segment: pd.Series | None, n: int) -> np.ndarray:
    """Segment value of every row as text ("" for everybody when there is no segment column)."""
    if segment is None:
        return np.full(n, "", dtype=object)
    return segment.astype("string").fillna(_MISSING).to_numpy(dtype=object)


def reference_groups(
    segment: pd.Series | None,
    risk: np.ndarray,
    quantile: float = 1.0,
    size: int | None = 1000,
) -> dict[str, np.ndarray]:
    """Positional indices of the reference customers of each segment value.

    Args:
        segment: the segment of every candidate reference customer (e.g. contract),
            or None for one group of everybody (key ""). Missing values form their own group.
        risk: the model's raw score of every candidate (ranks "healthy" customers).
        quantile: keep the ``quantile`` lowest-risk share of each segment (1.0: all).
        size: at most this many per segment, evenly spread over the kept rows in
            their given order (deterministic; None: all).

    Returns:
        ``{segment value: indices}``.
    """
    if not 0 < quantile <= 1:
        raise ValueError(f"quantile must be in (0, 1], got {quantile}")
    if size is not None and size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    risk = np.asarray(risk, dtype=float)
    keys = _segment_keys(segment, len(risk))
    out: dict[str, np.ndarray] = {}
    for key in pd.unique(keys):
        idx = np.flatnonzero(keys == key)
        if quantile < 1:
            keep = max(1, int(math.ceil(quantile * idx.size)))
            idx = np.sort(idx[np.argsort(risk[idx], kind="stable")[:keep]])
        if size is not None and idx.size > size:
            idx = idx[np.unique(np.linspace(0, idx.size - 1, size).round().astype(np.int64))]
        out[str(key)] = idx
    return out


@dataclasses.dataclass(frozen=True)
class SegmentReference:
    """The reference customers of every segment value, summarised once for explaining customers in chunks."""

    segments: frozenset[str]             # segment values with reference customers of their own
    tables: dict[str, ReferenceTables]   # per segment value explained ("" = everybody)
    rows: dict[str, pd.DataFrame]        # the reference customers of each (model matrix), for the linear part

    def keys(self, segment: pd.Series | None, n: int) -> np.ndarray:
        """The reference each of ``n`` customers is compared with: its segment value, or "" (everybody)."""
        if segment is None:
            return np.full(n, "", dtype=object)
        keys = _segment_keys(segment, n)
        return np.where(np.isin(keys, sorted(self.segments)), keys, "").astype(object)


def reference_risk(booster: lightgbm.Booster, reference_X: pd.DataFrame, linear: LinearPart | None = None,
                   linear_weight: float = 0.0) -> np.ndarray:
    """Raw (blended) score of candidate reference customers: it ranks the "healthy" ones (row by row)."""
    part = aligned(booster, reference_X)
    risk = booster.predict(part, raw_score=True)
    return blend(risk, linear.raw(part), linear_weight) if linear is not None and linear_weight else risk


def selection(reference_segment: pd.Series | None, risk: np.ndarray, quantile: float = 1.0,
              size: int | None = 1000) -> dict[str, np.ndarray]:
    """The reference customers of each segment value, and of everybody (key ""), as positions among the candidates.

    Customers without a segment value are compared with everybody, so their group is left out.
    """
    groups = {} if reference_segment is None else reference_groups(reference_segment, risk, quantile, size)
    groups.pop(_MISSING, None)
    groups[""] = reference_groups(None, risk, quantile, size)[""]
    return groups


def segment_reference(booster: lightgbm.Booster, risk: np.ndarray, reference_segment: pd.Series | None,
                      rows_of: Callable[[np.ndarray], pd.DataFrame], quantile: float = 1.0,
                      size: int | None = 1000, explained: pd.Series | None = None,
                      chosen: dict[str, np.ndarray] | None = None) -> SegmentReference:
    """Choose each segment's reference customers (:func:`reference_groups`) and summarise them for the booster.

    Args:
        booster: the model.
        risk: :func:`reference_risk` of every candidate reference customer, e.g. the scored population.
        reference_segment: their segment values (None: one group of everybody).
        rows_of: the model matrix of the candidates at some positions (only the chosen ones are built).
        quantile, size: see :func:`reference_groups`.
        explained: the segment values of the customers to be explained, when known: only the references
            they are compared with are summarised (None: every segment's and everybody's).
        chosen: the reference customers already chosen (:func:`selection`), so that a population explained in
            parts (on Spark) is compared with the same customers as when explained whole; None: chosen here.

    Returns:
        The tables and reference rows of the segment values (and of everybody under ``""``).
    """
    if len(risk) == 0:
        raise ValueError("no reference customers")
    groups = dict(selection(reference_segment, risk, quantile, size) if chosen is None else chosen)
    segments = frozenset(k for k in groups if k)
    if explained is not None:
        wanted = set(SegmentReference(segments, {}, {}).keys(explained, len(explained)))
        groups = {k: v for k, v in groups.items() if k in wanted}
    rows = {key: aligned(booster, rows_of(idx)) for key, idx in groups.items()}
    return SegmentReference(segments, {key: reference_tables(booster, r) for key, r in rows.items()}, rows)


def explain_segments(booster: lightgbm.Booster, ref: SegmentReference, X: pd.DataFrame, segment: pd.Series | None,
                     linear: LinearPart | None = None,
                     linear_weight: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interventional TreeSHAP of every customer of X against the reference customers of its own segment.

    Customers whose segment value has no reference customers (or no value) are explained against
    everybody's. Each row's result depends only on that row and ``ref``: explaining X in chunks
    gives the same bits as explaining it at once.

    Returns:
        ``(contributions, reference_value, reference)`` as :func:`segment_contributions`.
    """
    X = aligned(booster, X)
    keys = ref.keys(segment, len(X))
    missing = set(pd.unique(keys)) - set(ref.tables)
    if missing:
        raise ValueError(f"no reference tables for segment values {sorted(missing)[:5]}: pass these customers' "
                         "segments as segment_reference(explained=...)")
    contrib = np.zeros((len(X), X.shape[1]))
    base = np.zeros(len(X))
    for key in pd.unique(keys):
        rows = np.flatnonzero(keys == key)
        c, b = interventional_contributions(booster, X.iloc[rows], ref.tables[key])
        contrib[rows], base[rows] = blend_contributions(c, b, linear, linear_weight, X.iloc[rows], ref.rows[key])
    return contrib, base, keys


def segment_contributions(
    booster: lightgbm.Booster,
    X: pd.DataFrame,
    segment: pd.Series | None,
    reference_X: pd.DataFrame,
    reference_segment: pd.Series | None,
    quantile: float = 1.0,
    size: int | None = 1000,
    linear: LinearPart | None = None,
    linear_weight: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interventional TreeSHAP of every customer against reference customers of its own segment.

    Customers whose segment value has no reference customer (or no value) are
    explained against all reference customers.

    Args:
        booster: the model.
        X: the customers to explain (model matrix).
        segment: their segment values (None: no segments).
        reference_X: the candidate reference customers (model matrix), e.g. the scored population.
        reference_segment: their segment values (None: no segments).
        quantile, size: see :func:`reference_groups`.
        linear, linear_weight: the model's linear part and its blend weight (``train.linear_blend``);
            its exact SHAP values against the same reference customers are blended in.

    Returns:
        ``(contributions, reference_value, reference)``: contributions in log-odds
        (columns in booster order) with ``contributions.sum(1) + reference_value``
        equal to the raw score, and per customer the segment value it was
        compared with ("" when compared with everybody).
    """
    reference_X = aligned(booster, reference_X)
    if len(reference_X) == 0:
        raise ValueError("no reference customers")
    ref = segment_reference(booster, reference_risk(booster, reference_X, linear, linear_weight),
                            None if segment is None else reference_segment, lambda idx: reference_X.iloc[idx],
                            quantile, size, segment if reference_segment is not None else None)
    return explain_segments(booster, ref, X, segment if reference_segment is not None else None, linear,
                            linear_weight)
