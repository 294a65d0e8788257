"""The interventional TreeSHAP engine as it was before issue 18 (commit 0ea7814), kept only so that
bench/explain.py can measure the new engine against it in the same run. Not used by the pipeline.
"""

from __future__ import annotations

import dataclasses
import math

import lightgbm
import numpy as np
import pandas as pd

from models.explain.native import aligned

_ZERO_THRESHOLD = 1e-35  # LightGBM's kZeroThreshold


@dataclasses.dataclass(frozen=True)
class _Split:
    feature: int
    categories: np.ndarray | None  # categorical split: codes that go left
    threshold: float
    default_left: bool
    missing_type: str  # "None" | "Zero" | "NaN"


@dataclasses.dataclass(frozen=True)
class _Tree:
    splits: tuple[_Split, ...]
    leaves: tuple[tuple[float, tuple[tuple[int, bool], ...]], ...]  # (value, ((split index, went left), ...))


def _parse_trees(booster: lightgbm.Booster) -> list[_Tree]:
    """The booster's trees as split lists and root-to-leaf paths (from ``dump_model``)."""
    dump = booster.dump_model()
    if dump.get("num_tree_per_iteration", 1) != 1:
        raise ValueError("only binary or regression models (one output) are supported")
    trees = []
    for info in dump["tree_info"]:
        splits: list[_Split] = []
        leaves: list[tuple[float, tuple[tuple[int, bool], ...]]] = []
        stack: list[tuple[dict, tuple[tuple[int, bool], ...]]] = [(info["tree_structure"], ())]
        while stack:
            node, path = stack.pop()
            if "split_index" not in node:
                if "leaf_coeff" in node:
                    raise ValueError("linear trees are not supported by the interventional explainer")
                leaves.append((float(node["leaf_value"]), path))
                continue
            i = len(splits)
            if node["decision_type"] == "==":
                cats = np.array([int(c) for c in str(node["threshold"]).split("||")], dtype=np.int64)
                splits.append(_Split(int(node["split_feature"]), cats, np.nan, False, str(node["missing_type"])))
            else:
                splits.append(_Split(int(node["split_feature"]), None, float(node["threshold"]),
                                     bool(node["default_left"]), str(node["missing_type"])))
            stack.append((node["right_child"], path + ((i, False),)))
            stack.append((node["left_child"], path + ((i, True),)))
        trees.append(_Tree(tuple(splits), tuple(leaves)))
    return trees


def _as_float_matrix(booster: lightgbm.Booster, X: pd.DataFrame) -> np.ndarray:
    """X as LightGBM sees it: categorical columns become codes of the booster's own levels (NaN if unseen)."""
    X = aligned(booster, X)
    levels = list(booster.pandas_categorical or [])
    cat_cols = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    if len(cat_cols) != len(levels):
        raise ValueError(f"X has {len(cat_cols)} categorical columns but the booster was trained with {len(levels)}")
    out = np.empty(X.shape, dtype=float)
    cat_levels = dict(zip(cat_cols, levels))
    for j, col in enumerate(X.columns):
        if col in cat_levels:
            codes = pd.Categorical(X[col].astype(object), categories=cat_levels[col]).codes.astype(float)
            codes[codes < 0] = np.nan
            out[:, j] = codes
        else:
            out[:, j] = pd.to_numeric(X[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return out


def _goes_left(values: np.ndarray, split: _Split) -> np.ndarray:
    """LightGBM's decision for one split (tree.h NumericalDecision / CategoricalDecision)."""
    if split.categories is not None:
        ok = ~np.isnan(values) & (values >= 0)
        return ok & np.isin(np.where(ok, values, -1).astype(np.int64), split.categories)
    nan = np.isnan(values)
    if split.missing_type == "NaN":
        return np.where(nan, split.default_left, values <= split.threshold)
    values = np.where(nan, 0.0, values)
    if split.missing_type == "Zero":
        return np.where(np.abs(values) <= _ZERO_THRESHOLD, split.default_left, values <= split.threshold)
    return values <= split.threshold


def _popcount(bits: np.ndarray) -> np.ndarray:
    bits = bits.astype(np.int64).copy()
    count = np.zeros_like(bits)
    while bits.any():
        count += bits & 1
        bits >>= 1
    return count


def interventional_contributions(
    booster: lightgbm.Booster, X: pd.DataFrame, reference: pd.DataFrame, groups: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Exact interventional TreeSHAP of each row of X against a reference set of rows.

    Args:
        booster: a trained binary LightGBM booster (categorical splits are fine).
        X: the customers to explain.
        reference: the reference customers (same columns); the explanation is
            ``f(x) - mean over r of f(r)`` in log-odds.
        groups: optional player index per booster feature (e.g. its family), to
            attribute to groups of features jointly instead of single features.

    Returns:
        ``(contributions, reference_value)``: ``(n, n_features)`` (or ``(n, n_groups)``)
        log-odds with ``contributions.sum(1) + reference_value == raw score``, and
        the mean raw score of the reference rows.
    """
    n_features = len(booster.feature_name())
    player = np.arange(n_features) if groups is None else np.asarray(groups, dtype=np.int64)
    if player.shape != (n_features,):
        raise ValueError(f"groups must give one player per feature ({n_features}), got shape {player.shape}")
    n_players = int(player.max()) + 1 if n_features else 0
    Xf, Rf = _as_float_matrix(booster, X), _as_float_matrix(booster, reference)
    n, k = len(Xf), len(Rf)
    if k == 0:
        raise ValueError("the reference set is empty")
    reference_value = float(np.mean(booster.predict(aligned(booster, reference), raw_score=True)))
    contrib = np.zeros((n, n_players))
    if n == 0:
        return contrib, reference_value
    factorial = np.array([float(math.factorial(i)) for i in range(171)])
    for tree in _parse_trees(booster):
        if not tree.splits:
            continue  # a constant tree moves f(x) and f(r) alike
        left_x = np.stack([_goes_left(Xf[:, s.feature], s) for s in tree.splits], axis=1)
        left_r = np.stack([_goes_left(Rf[:, s.feature], s) for s in tree.splits], axis=1)
        for value, path in tree.leaves:
            conditions: dict[int, list[tuple[int, bool]]] = {}
            for split, went_left in path:
                conditions.setdefault(int(player[tree.splits[split].feature]), []).append((split, went_left))
            players = list(conditions)
            d = len(players)
            if d > 62:
                raise ValueError("a leaf path has more than 62 distinct players")
            pattern_x = np.zeros(n, dtype=np.int64)
            pattern_r = np.zeros(k, dtype=np.int64)
            for bit, p in enumerate(players):
                ok_x = np.ones(n, dtype=bool)
                ok_r = np.ones(k, dtype=bool)
                for split, went_left in conditions[p]:
                    ok_x &= left_x[:, split] == went_left
                    ok_r &= left_r[:, split] == went_left
                pattern_x |= ok_x.astype(np.int64) << bit
                pattern_r |= ok_r.astype(np.int64) << bit
            full = (1 << d) - 1
            ux, which = np.unique(pattern_x, return_inverse=True)
            ur, counts = np.unique(pattern_r, return_counts=True)
            reached = (ux[:, None] | ur[None, :]) == full  # every path condition met by x or r
            a = np.broadcast_to(_popcount(full & ~ur)[None, :], reached.shape)  # only x meets them
            b = np.broadcast_to(_popcount(full & ~ux)[:, None], reached.shape)  # only r meets them
            reached &= (a + b) > 0
            if not reached.any():
                continue
            share = counts / k
            w_a = np.where(reached & (a > 0), factorial[np.maximum(a - 1, 0)] * factorial[b] / factorial[a + b], 0.0)
            w_b = np.where(reached & (b > 0), factorial[a] * factorial[np.maximum(b - 1, 0)] / factorial[a + b], 0.0)
            bits = 1 << np.arange(d, dtype=np.int64)
            in_a = (~ur[:, None] & bits[None, :]) != 0  # (patterns of r, players)
            in_b = (~ux[:, None] & bits[None, :]) != 0  # (patterns of x, players)
            table = value * ((w_a * share) @ in_a - (w_b @ share)[:, None] * in_b)
            contrib[:, players] += table[which]
    return contrib, reference_value
