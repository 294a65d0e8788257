"""Exact interventional TreeSHAP of a LightGBM booster against a set of reference rows.

LightGBM's ``pred_contrib`` (``native.py``) is path-dependent TreeSHAP: it explains a
customer against the *training population* as the trees saw it. When a
feature mostly encodes a structural segment (``days_to_renewal`` encodes
monthly vs annual, and the model's first split is on it), every monthly
customer's top reason is "renewal soon": true against the whole base, useless
for retention. Interventional (baseline) SHAP explains ``f(x) - mean_r f(r)``
for a chosen reference set R of real customers, e.g. the customers on the
same contract, so the reasons say what sets this customer apart from peers.

shap.TreeExplainer cannot do this for boosters with categorical splits (it
refuses background data and mis-parses the split sets), so it is implemented
here from the booster's own dump (``trees.py``), with LightGBM's decision rules.
The result is exact (no sampling of coalitions). The reference set is
summarised once into lookup tables (``tables.py``); customers are then
explained in blocks of ``block_rows`` against those tables, so memory stays
bounded and the cost grows with the number of customers, not with customers
times references. A customer's contributions do not depend on the block it is
in: any chunking gives the same bits.
"""

from __future__ import annotations

import dataclasses

import lightgbm
import numpy as np
import pandas as pd

from models.explain.native import aligned
from models.explain.tables import TreeTable, add_tree, leaf_groups, tree_table
from models.explain.trees import as_float_matrix, parse_trees

BLOCK_ROWS = 16_384  # customers per block: the block's decision and lookup arrays stay in the CPU cache


@dataclasses.dataclass(frozen=True)
class ReferenceTables:
    """A booster summarised against one reference set: per tree, its contribution tables."""

    trees: tuple[TreeTable, ...]
    n_features: int
    n_players: int
    reference_value: float  # mean raw score of the reference rows


def _players(booster: lightgbm.Booster, groups: np.ndarray | None) -> tuple[np.ndarray, int]:
    n_features = len(booster.feature_name())
    player = np.arange(n_features) if groups is None else np.asarray(groups, dtype=np.int64)
    if player.shape != (n_features,):
        raise ValueError(f"groups must give one player per feature ({n_features}), got shape {player.shape}")
    return player, int(player.max()) + 1 if n_features else 0


def reference_tables(booster: lightgbm.Booster, reference: pd.DataFrame, groups: np.ndarray | None = None,
                     max_tree_splits: int = 10, max_leaf_bits: int = 12) -> ReferenceTables:
    """Summarise the booster against a reference set, once, for explaining any number of customers.

    Args:
        booster: a trained binary LightGBM booster (categorical splits are fine).
        reference: the reference customers; explanations are of ``f(x) - mean over r of f(r)`` in log-odds.
        groups: optional player index per booster feature (e.g. its family), to attribute to groups of
            features jointly instead of single features.
        max_tree_splits, max_leaf_bits: table sizes (see :mod:`models.explain.tables`); they change the
            speed, not the result beyond rounding.

    Returns:
        The tables, for :func:`explain_rows`.
    """
    player, n_players = _players(booster, groups)
    Rf = as_float_matrix(booster, reference)
    if len(Rf) == 0:
        raise ValueError("the reference set is empty")
    reference_value = float(np.mean(booster.predict(aligned(booster, reference), raw_score=True)))
    trees = tuple(tree_table(group, Rf, player, max_tree_splits, max_leaf_bits)
                  for t in parse_trees(booster) if t.splits  # a constant tree moves f(x) and f(r) alike
                  for group in leaf_groups(t, max_tree_splits))
    return ReferenceTables(trees, len(player), n_players, reference_value)


def explain_rows(tables: ReferenceTables, Xf: np.ndarray, block_rows: int = BLOCK_ROWS) -> np.ndarray:
    """Contributions ``(n, n_players)`` of the rows of the float matrix ``Xf`` (:func:`as_float_matrix`)."""
    if block_rows < 1:
        raise ValueError(f"block_rows must be at least 1, got {block_rows}")
    out = np.zeros((len(Xf), tables.n_players))
    for start in range(0, len(Xf), block_rows):
        XT = np.ascontiguousarray(Xf[start:start + block_rows].T)
        acc = np.zeros((tables.n_players, XT.shape[1]))
        for t in tables.trees:
            add_tree(t, XT, acc)
        out[start:start + XT.shape[1]] = acc.T
    return out


def interventional_contributions(
    booster: lightgbm.Booster, X: pd.DataFrame, reference: pd.DataFrame | ReferenceTables,
    groups: np.ndarray | None = None, block_rows: int = BLOCK_ROWS,
) -> tuple[np.ndarray, float]:
    """Exact interventional TreeSHAP of each row of X against a reference set of rows.

    Args:
        booster: a trained binary LightGBM booster (categorical splits are fine).
        X: the customers to explain.
        reference: the reference customers (same columns), or their :func:`reference_tables` (then
            ``groups`` is the tables'); the explanation is ``f(x) - mean over r of f(r)`` in log-odds.
        groups: optional player index per booster feature (e.g. its family), to
            attribute to groups of features jointly instead of single features.
        block_rows: customers explained at a time (memory; the result is the same for any value).

    Returns:
        ``(contributions, reference_value)``: ``(n, n_features)`` (or ``(n, n_groups)``)
        log-odds with ``contributions.sum(1) + reference_value == raw score``, and
        the mean raw score of the reference rows.
    """
    tables = reference if isinstance(reference, ReferenceTables) else reference_tables(booster, reference, groups)
    if len(X) == 0:
        aligned(booster, X)
        return np.zeros((0, tables.n_players)), tables.reference_value
    return explain_rows(tables, as_float_matrix(booster, X), block_rows), tables.reference_value
