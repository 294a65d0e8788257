"""The explanations checked against a synthetic world's ground truth (the generator's family contributions).

The subscription generator's weekly hazard logit is additive by family, so the
exact interventional explanation of a customer against a reference population
is each family's contribution minus its mean over that population
(:func:`relative_truth`). :func:`truth_match` scores explanations against it;
:func:`label_weights` measures how strongly the horizon's labels themselves
weigh each true contribution, which bounds what a faithful explanation of any
model fitted to those labels can match.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from features.catalog import FAMILIES


def driver_match_report(explained: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    """How often the explained driver family is the true one: overall, and per true family with its confusions.

    Args:
        explained: each customer's explained driver family ("" when no reason).
        truth: each customer's true driver family.

    Returns:
        ``{"driver_match_rate", "per_family": {family: {"n", "match_rate", "explained_as"}}}``.
    """
    explained, truth = np.asarray(explained, dtype=object), np.asarray(truth, dtype=object)
    hit = explained == truth
    per_family = {
        fam: {"n": int((truth == fam).sum()),
              "match_rate": float(hit[truth == fam].mean()),
              "explained_as": _counts(explained[truth == fam])}
        for fam in sorted(pd.unique(truth))
    }
    return {"driver_match_rate": float(hit.mean()), "per_family": per_family}


def _counts(explained: np.ndarray) -> dict[str, int]:
    """How many customers were explained as each family ("none": no reason), in the families' order."""
    counts = pd.Series(explained).replace("", "none").value_counts().sort_index()
    return {str(k): int(v) for k, v in counts.items()}


def relative_truth(truth: pd.DataFrame, segment: pd.Series | None) -> np.ndarray:
    """The true family contributions minus their mean over the customer's reference (same segment, or everyone).

    Args:
        truth: one row per customer with a column per family (``FAMILIES``), e.g. ``drivers_at_cutoff.parquet``.
        segment: the reference segment of each row (``explain.reference_segment``), or None for everyone.

    Returns:
        ``(n, 6)`` relative contributions; their argmax is the true driver against that reference.
    """
    values = truth[list(FAMILIES)].to_numpy(dtype=float)
    if segment is None:
        return values - values.mean(axis=0)
    keys = pd.Series(segment).astype(object).where(pd.Series(segment).notna(), "").to_numpy()
    means = pd.DataFrame(values, columns=list(FAMILIES)).groupby(keys).transform("mean").to_numpy()
    return values - means


def _row_spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``a`` with the same row of ``b`` (NaN where either is constant)."""
    ra = pd.DataFrame(a).rank(axis=1).to_numpy()
    rb = pd.DataFrame(b).rank(axis=1).to_numpy()
    ra, rb = ra - ra.mean(axis=1, keepdims=True), rb - rb.mean(axis=1, keepdims=True)
    den = np.sqrt((ra ** 2).sum(axis=1) * (rb ** 2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (ra * rb).sum(axis=1) / den, np.nan)


def truth_match(explained_family: np.ndarray, explained: np.ndarray, true_relative: np.ndarray,
                groups: dict[str, np.ndarray]) -> dict[str, Any]:
    """How well the explanations match an additive truth at the cutoff, per group of customers.

    Args:
        explained_family: each customer's explained driver family ("" when no reason).
        explained: ``(n, 6)`` explained family contributions (:func:`models.retention.drivers.family_contributions`).
        true_relative: ``(n, 6)`` true relative contributions (:func:`relative_truth`).
        groups: name -> boolean mask of the customers in the group.

    Returns:
        Per group: ``n``, ``match_rate`` (first reason's family = true driver), ``spearman_mean`` (per customer,
        between the six explained and the six true contributions), and ``per_family`` with the confusion
        (true driver -> explained family counts).
    """
    truth = np.array(FAMILIES, dtype=object)[np.argmax(true_relative, axis=1)] if len(true_relative) else \
        np.array([], dtype=object)
    rho = _row_spearman(explained, true_relative)
    out = {}
    for name, mask in groups.items():
        mask = np.asarray(mask, dtype=bool)
        report = driver_match_report(np.asarray(explained_family, dtype=object)[mask], truth[mask]) if mask.any() \
            else {"driver_match_rate": float("nan"), "per_family": {}}
        out[name] = {"n": int(mask.sum()), "match_rate": report["driver_match_rate"],
                     "spearman_mean": float(np.nanmean(rho[mask])) if mask.any() else float("nan"),
                     "per_family": report["per_family"]}
    return out



def label_weights(truth: pd.DataFrame, labels: np.ndarray, segment: pd.Series | None = None,
                  max_rows: int = 500_000, seed: int = 0) -> np.ndarray:
    """How much the horizon's labels weigh each true family contribution: the logistic regression's coefficients.

    The truth is the hazard at the cutoff; the label is churn within the horizon, weeks of hazards later. A
    contribution that fades within the horizon (a usage decline ages out of its four-week window while the
    inactivity it leaves keeps growing) predicts the label more weakly than its share of the hazard at the
    cutoff. A model fitted to the labels learns those weights, and a faithful explanation of it reports them.

    Args:
        truth: one row per labelled (customer, cutoff) with a column per family (``FAMILIES``).
        labels: the 0/1 label of each row.
        segment: each row's reference segment (an intercept per value: contracts differ in base risk), or None.
        max_rows: fit on at most this many rows (a seeded sample above).
        seed: the sample's seed.

    Returns:
        ``(6,)`` coefficients in ``FAMILIES`` order (1.0 each if the labels weighed every family as the hazard does).
    """
    x = truth[list(FAMILIES)].to_numpy(dtype=float)
    y = np.asarray(labels, dtype=int)
    if segment is not None:
        keys = pd.Series(segment).astype(object).where(pd.Series(segment).notna(), "")
        x = np.column_stack([x, pd.get_dummies(keys, drop_first=True, dtype=float).to_numpy()])
    if len(y) > max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(len(y), max_rows, replace=False))
        x, y = x[keep], y[keep]
    if len(np.unique(y)) < 2:
        return np.full(len(FAMILIES), np.nan)
    fit = LogisticRegression(C=np.inf, max_iter=5000).fit(x, y)   # unpenalised: the weights themselves
    return fit.coef_[0][: len(FAMILIES)].copy()


def weighted_ceiling(true_relative: np.ndarray, weights: np.ndarray, groups: dict[str, np.ndarray]) -> dict[str, Any]:
    """What the exact explanation of a perfect model of the labels matches: the truth weighted as the labels weigh it.

    Each customer's six relative contributions times ``weights`` (:func:`label_weights`) are that model's exact
    explanation; its driver is their largest. Returns :func:`truth_match` of it against the unweighted truth.
    """
    weighted = np.asarray(true_relative, dtype=float) * np.asarray(weights, dtype=float)[None, :]
    driver = np.array(FAMILIES, dtype=object)[weighted.argmax(axis=1)] if len(weighted) else \
        np.array([], dtype=object)
    return truth_match(driver, weighted, true_relative, groups)


def cluster_resamples(customers: pd.Series, n_resamples: int, seed: int = 0) -> Iterator[np.ndarray]:
    """Row positions of ``n_resamples`` bootstrap resamples by customer: customers drawn with replacement, each
    bringing all its rows (a customer drawn twice brings them twice). Seeded: the same inputs give the same draws.
    One resample at a time, so a large world never holds them all."""
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    codes, uniques = pd.factorize(pd.Series(customers).reset_index(drop=True), sort=True)
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    sizes = np.diff(starts)
    rng = np.random.default_rng(seed)
    for _ in range(n_resamples):
        picked = rng.integers(0, len(uniques), len(uniques))
        lens = sizes[picked]
        ends = np.cumsum(lens)
        yield order[np.repeat(starts[picked], lens) + np.arange(int(ends[-1]) if len(ends) else 0)
                    - np.repeat(ends - lens, lens)]


def resampled_label_weights(truth: pd.DataFrame, labels: np.ndarray, customers: pd.Series,
                            segment: pd.Series | None = None, n_resamples: int = 40, seed: int = 0,
                            max_rows: int = 500_000) -> np.ndarray:
    """:func:`label_weights` refitted on ``n_resamples`` bootstrap resamples of the customers (a cluster bootstrap).

    A customer's rows at successive cutoffs are not independent (the same person, weeks apart), so customers are
    drawn with replacement and keep all their rows (:func:`cluster_resamples`). The spread of the refitted
    weights, and of :func:`weighted_ceiling` under each, is how much the ceiling owes to this sample of customers.

    Returns:
        ``(n_resamples, 6)`` weights in ``FAMILIES`` order (a row of NaN where a resample has one class only).
    """
    truth = truth.reset_index(drop=True)
    labels = np.asarray(labels)
    segment = None if segment is None else pd.Series(segment).reset_index(drop=True)
    draws = cluster_resamples(customers, n_resamples, seed)
    return np.stack([label_weights(truth.iloc[rows], labels[rows], None if segment is None else segment.iloc[rows],
                                   max_rows=max_rows, seed=seed + b) for b, rows in enumerate(draws)])
