"""Each customer's contributions, driver family and top reasons, as the ``explain:`` params ask.

By default each customer is explained against the customers of the same
``reference_segment`` (the contract) scored on the same date, with exact
interventional TreeSHAP (:func:`models.explain.reference.segment_contributions`);
the contributions then add up to the customer's log-odds minus the mean
log-odds of those peers, so the reasons say what sets the customer apart from
customers on the same contract instead of restating the contract. The driver
family is the family whose risk-raising contributions add up to the most, and
reason 1 is that family's strongest feature (``driver: family``).
``method: tree_path`` and ``driver: feature`` give the earlier behaviour:
LightGBM's path-dependent TreeSHAP against the training population, driver =
family of the single strongest feature.
"""

from __future__ import annotations

import logging
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from models.explain.blend import blend_contributions
from models.explain.native import shap_contributions
from models.explain.reference import SegmentReference, explain_segments, reference_risk, segment_reference
from models.predict import linear_part
from models.retention.drivers import driver_first
from models.retention.reasons.select import top_reasons
from models.training.booster import matrix

log = logging.getLogger(__name__)


CHUNK_ROWS = 100_000  # customers explained at a time: memory stays bounded; the outputs do not depend on it


def _reference(booster: lgb.Booster, meta: dict, rows: pd.DataFrame, reference_rows: pd.DataFrame, ep: Any,
               chunk_rows: int, chosen: dict[str, np.ndarray] | None = None) -> tuple[SegmentReference, str | None]:
    """Each segment's reference customers summarised once, and the segment column used (None: everybody)."""
    column = ep.reference_segment
    if column is not None and (column not in rows.columns or column not in reference_rows.columns):
        log.warning("explain.reference_segment '%s' is not a column of the features: every customer is "
                    "explained against all scored customers", column)
        column = None
    linear, weight = linear_part(meta)

    def rows_of(idx: np.ndarray) -> pd.DataFrame:
        return matrix(reference_rows.iloc[idx], meta["features"], meta["categorical"], meta["levels"])[0]

    # With a quantile below 1 every candidate is scored (to keep the healthy ones), a chunk at a time; with 1
    # the risk is never read (the reference is spread evenly over all of them), so it is not computed.
    n = len(reference_rows)
    risk = np.zeros(n) if ep.reference_quantile >= 1 or chosen is not None else np.concatenate(
        [reference_risk(booster, rows_of(np.arange(s, min(s + chunk_rows, n))), linear, weight)
         for s in range(0, n, chunk_rows)] or [np.zeros(0)])
    ref = segment_reference(booster, risk, reference_rows[column] if column else None, rows_of,
                            ep.reference_quantile, ep.reference_size, rows[column] if column else None, chosen)
    return ref, column


def _explain_chunk(booster: lgb.Booster, meta: dict, rows: pd.DataFrame, ref: SegmentReference | None,
                   column: str | None, ep: Any, language: str, profile: str | None, display_names: dict | None,
                   families: dict[str, str] | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`explain_customers` for one chunk of customers, against references summarised already."""
    X, _ = matrix(rows, meta["features"], meta["categorical"], meta["levels"])
    linear, weight = linear_part(meta)
    if ref is None:
        contributions, base = blend_contributions(*shap_contributions(booster, X), linear, weight, X)
        reference_log_odds, reference = np.full(len(rows), base), np.full(len(rows), "", dtype=object)
    else:
        contributions, reference_log_odds, reference = explain_segments(
            booster, ref, X, rows[column] if column else None, linear, weight)
    tenure = (pd.to_numeric(rows["tenure_days"], errors="coerce").astype("float64").to_numpy()
              if "tenure_days" in rows.columns else None)
    ranking = (driver_first(contributions, meta["features"], tenure, families) if ep.driver == "family"
               else contributions)
    reasons = top_reasons(rows[meta["features"]], ranking, meta["features"], language=language, top_k=ep.top_k,
                          profile=profile, display_names=display_names, families=families)
    return reasons, contributions, reference_log_odds, reference


def explain_customers(booster: lgb.Booster, meta: dict, rows: pd.DataFrame, reference_rows: pd.DataFrame, ep: Any,
                      language: str, profile: str | None = None, display_names: dict | None = None,
                      families: dict[str, str] | None = None, chunk_rows: int = CHUNK_ROWS,
                      reference_groups: dict[str, np.ndarray] | None = None,
                      ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Reasons and contributions for ``rows`` as the ``explain:`` params ask, ``chunk_rows`` customers at a time.

    The reference customers are chosen and summarised once; every chunk is explained against them,
    so the outputs are the same for any ``chunk_rows`` and memory stays bounded by the chunk
    (beyond the outputs themselves).

    Args:
        booster, meta: the model and its metadata.
        rows: the customers to explain (feature rows).
        reference_rows: the customers they are compared with (``method: interventional``),
            normally everybody scored on the same date, ``rows`` included.
        ep: the ``explain`` params (``method``, ``reference_segment``, ``reference_quantile``,
            ``reference_size``, ``driver``, ``top_k``).
        language: language of the reasons.
        profile: the business profile (``business.kind``), whose words the reasons use.
        display_names: ``business.display_names`` (event types, ticket categories, columns and their values).
        families: feature -> family for this kind of business (``features_meta.json``'s ``families``).
        chunk_rows: customers explained at a time.
        reference_groups: the reference customers already chosen among ``reference_rows``
            (:func:`models.explain.reference.selection`), so that a population explained in parts
            (on Spark) is compared with the same customers as when explained whole; None: chosen here.

    Returns:
        ``(reasons, contributions, reference_log_odds, reference)``: the frame of
        :func:`models.retention.reasons.select.top_reasons`, the ``(n, n_features)`` contributions
        (booster feature order), per customer the log-odds its contributions
        start from, and the segment value it was compared with ("" = everybody).
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    ref, column = (None, None) if ep.method == "tree_path" else _reference(booster, meta, rows, reference_rows, ep,
                                                                           chunk_rows, reference_groups)
    contributions = np.zeros((len(rows), len(meta["features"])))
    reference_log_odds = np.zeros(len(rows))
    reference = np.full(len(rows), "", dtype=object)
    reasons = []
    for start in range(0, max(len(rows), 1), chunk_rows):
        part = slice(start, start + chunk_rows)
        r, contributions[part], reference_log_odds[part], reference[part] = _explain_chunk(
            booster, meta, rows.iloc[part], ref, column, ep, language, profile, display_names, families)
        reasons.append(r)
    return pd.concat(reasons), contributions, reference_log_odds, reference
