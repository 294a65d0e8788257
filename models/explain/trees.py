"""A LightGBM booster's trees as split lists and root-to-leaf paths, and LightGBM's decision rule for a split.

Read from the booster's own dump (``dump_model``), so categorical splits, missing
values and ``zero_as_missing`` route exactly as LightGBM routes them.
"""

from __future__ import annotations

import dataclasses

import lightgbm
import numpy as np
import pandas as pd

from models.explain.native import aligned

_ZERO_THRESHOLD = 1e-35  # LightGBM's kZeroThreshold


@dataclasses.dataclass(frozen=True)
class Split:
    feature: int
    categories: np.ndarray | None  # categorical split: codes that go left
    threshold: float
    default_left: bool
    missing_type: str  # "None" | "Zero" | "NaN"

    @property
    def left_codes(self) -> np.ndarray:
        """Categorical split: a lookup ``code -> goes left`` over codes 0..max(categories)."""
        lut = np.zeros(int(self.categories.max()) + 1, dtype=bool)
        lut[self.categories] = True
        return lut


@dataclasses.dataclass(frozen=True)
class Tree:
    splits: tuple[Split, ...]
    leaves: tuple[tuple[float, tuple[tuple[int, bool], ...]], ...]  # (value, ((split index, went left), ...))


def _split(node: dict) -> Split:
    if node["decision_type"] == "==":
        cats = np.array([int(c) for c in str(node["threshold"]).split("||")], dtype=np.int64)
        return Split(int(node["split_feature"]), cats, np.nan, False, str(node["missing_type"]))
    return Split(int(node["split_feature"]), None, float(node["threshold"]), bool(node["default_left"]),
                 str(node["missing_type"]))


def parse_trees(booster: lightgbm.Booster) -> list[Tree]:
    """The booster's trees as split lists and root-to-leaf paths (from ``dump_model``)."""
    dump = booster.dump_model()
    if dump.get("num_tree_per_iteration", 1) != 1:
        raise ValueError("only binary or regression models (one output) are supported")
    trees = []
    for info in dump["tree_info"]:
        splits: list[Split] = []
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
            splits.append(_split(node))
            stack.append((node["right_child"], path + ((i, False),)))
            stack.append((node["left_child"], path + ((i, True),)))
        trees.append(Tree(tuple(splits), tuple(leaves)))
    return trees


def as_float_matrix(booster: lightgbm.Booster, X: pd.DataFrame) -> np.ndarray:
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


def goes_left(values: np.ndarray, split: Split, left_codes: np.ndarray | None = None) -> np.ndarray:
    """LightGBM's decision for one split (tree.h NumericalDecision / CategoricalDecision).

    Args:
        values: the split feature's values (categorical: codes, NaN when missing or unseen).
        split: the split.
        left_codes: ``split.left_codes``, when the caller has it already (categorical splits).
    """
    if split.categories is not None:
        lut = split.left_codes if left_codes is None else left_codes
        codes = np.where(np.isnan(values) | (values < 0), -1, values).astype(np.int64)
        known = (codes >= 0) & (codes < lut.size)
        return known & lut[np.where(known, codes, 0)]
    nan = np.isnan(values)
    if split.missing_type == "NaN":
        return np.where(nan, split.default_left, values <= split.threshold)
    values = np.where(nan, 0.0, values)
    if split.missing_type == "Zero":
        return np.where(np.abs(values) <= _ZERO_THRESHOLD, split.default_left, values <= split.threshold)
    return values <= split.threshold
