"""Interventional TreeSHAP as lookup tables: each tree's contributions against a reference set, by split decisions.

Against a fixed reference set R, a leaf's contribution to a customer x depends
on x only through x's *pattern* on the leaf's path: for each player (feature,
or group of features) on the path, whether x meets all of that player's path
conditions. With A the players only x meets and B those only r meets, the leaf
value v gives each i in A ``v (|A|-1)! |B|! / (|A|+|B|)!`` and each j in B
``-v |A|! (|B|-1)! / (|A|+|B|)!``, averaged over r. So the reference side is
summarised once, per leaf, as its distinct patterns and their shares, and the
contribution for every possible pattern of x is tabulated from it (with sums
over superset patterns, so the cost does not grow with the reference size).

A small tree (at most ``max_tree_splits`` splits; LightGBM's default 7-leaf trees
have 6) goes further: x's pattern on every leaf is a function of x's decisions
at the tree's splits, so the whole tree becomes one table indexed by those
decision bits, and explaining a customer costs one decision per split plus one
lookup per player of the tree. A larger tree is cut into groups of leaves under
one node whose paths use at most ``max_tree_splits`` splits together
(:func:`leaf_groups`), each tabulated the same way; a leaf deeper than that
keeps a table of its own, indexed by x's pattern there (a full table while the
leaf has at most ``max_leaf_bits`` players, else rows for the patterns a block
of customers has).

Every table row is computed from the reference patterns alone, in a fixed
order, and each customer's contributions are summed tree by tree in model
order: the result for a customer does not depend on which other customers are
explained with it, so any chunking gives the same bits.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from models.explain.trees import Tree, goes_left

_FACTORIAL = np.array([float(math.factorial(i)) for i in range(171)])


def _popcount(bits: np.ndarray) -> np.ndarray:
    bits = np.asarray(bits, dtype=np.int64).copy()
    count = np.zeros_like(bits)
    while bits.any():
        count += bits & 1
        bits >>= 1
    return count


def _weights(u: np.ndarray, ur: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Shapley weights ``(w_a, w_b)`` of x-patterns ``u`` (rows) against reference patterns ``ur`` (columns)."""
    full = (1 << d) - 1
    a = _popcount(full & ~ur)[None, :]    # conditions only x meets
    b = _popcount(full & ~u)[:, None]     # conditions only r meets
    reached = ((u[:, None] | ur[None, :]) == full) & (a + b > 0)  # every condition met by x or r, not both everywhere
    w_a = np.where(reached & (a > 0), _FACTORIAL[np.maximum(a - 1, 0)] * _FACTORIAL[b] / _FACTORIAL[a + b], 0.0)
    w_b = np.where(reached & (b > 0), _FACTORIAL[a] * _FACTORIAL[np.maximum(b - 1, 0)] / _FACTORIAL[a + b], 0.0)
    return w_a, w_b


def _outside(patterns: np.ndarray, d: int) -> np.ndarray:
    """``(len(patterns), d)``: whether each player's bit is unset in each pattern."""
    return (~np.asarray(patterns, dtype=np.int64)[:, None] & (1 << np.arange(d, dtype=np.int64))[None, :]) != 0


def _superset_shares(d: int, ref_patterns: np.ndarray, ref_share: np.ndarray) -> np.ndarray:
    """``G[S, a]``: the share of reference rows whose pattern contains ``S`` and misses ``a`` of the ``d`` bits."""
    size = 1 << d
    full = size - 1
    G = np.zeros((size, d + 1))
    G[ref_patterns, _popcount(full & ~ref_patterns)] = ref_share
    masks = np.arange(size)
    for bit in range(d):  # sum over supersets, one bit at a time
        without = masks[(masks & (1 << bit)) == 0]
        G[without] += G[without | (1 << bit)]
    return G


def leaf_table(d: int, ref_patterns: np.ndarray, ref_share: np.ndarray, value: float) -> np.ndarray:
    """A leaf's contributions to its ``d`` path players for every x-pattern ``0 .. 2**d - 1``: ``(2**d, d)``.

    For x-pattern u, the references that reach the leaf with x are those meeting every condition x
    misses (pattern containing ``S = ~u``); they are summed per number ``a`` of conditions they miss
    with superset sums, so the cost is ``2**d d**2`` whatever the number of reference patterns.
    """
    ref_patterns = np.asarray(ref_patterns, dtype=np.int64)
    G = _superset_shares(d, ref_patterns, ref_share)
    full = (1 << d) - 1
    S = full & ~np.arange(1 << d, dtype=np.int64)           # conditions x misses
    b = _popcount(S)[:, None]
    a = np.arange(d + 1)[None, :]
    w_a = np.where(a > 0, _FACTORIAL[np.maximum(a - 1, 0)] * _FACTORIAL[b] / _FACTORIAL[a + b], 0.0)
    w_b = np.where(b > 0, _FACTORIAL[a] * _FACTORIAL[np.maximum(b - 1, 0)] / _FACTORIAL[a + b], 0.0)
    reached = G[S]
    loss = (reached * w_b).sum(axis=1)
    out = np.zeros((1 << d, d))
    for i in range(d):  # player i gains from the references that reach the leaf and miss i (x meets it)
        missing_i = reached - G[S | (1 << i)]
        out[:, i] = np.where((S >> i) & 1 == 0, (missing_i * w_a).sum(axis=1), -loss)
    return value * out


def leaf_rows(patterns: np.ndarray, d: int, ref_patterns: np.ndarray, ref_share: np.ndarray,
              value: float) -> np.ndarray:
    """The rows of :func:`leaf_table` for some x-patterns only (a leaf with too many players for a table).

    Returns:
        ``(len(patterns), d)``; each row depends only on its own pattern (the reference patterns are
        added one at a time, in their given order), never on the other rows.
    """
    u = np.asarray(patterns, dtype=np.int64)
    in_b = _outside(u, d)
    out = np.zeros((u.size, d))
    for pattern, share in zip(np.asarray(ref_patterns, dtype=np.int64), ref_share.tolist()):
        w_a, w_b = _weights(u, pattern[None], d)
        out += (share * w_a) * _outside(pattern[None], d) - (share * w_b) * in_b
    return value * out


@dataclasses.dataclass(frozen=True)
class _Leaf:
    players: np.ndarray            # (d,) player of each pattern bit
    conditions: tuple[tuple[tuple[int, bool], ...], ...]  # per bit: (split, went left) conditions
    value: float
    ref_patterns: np.ndarray
    ref_share: np.ndarray
    table: np.ndarray | None       # (d, 2**d) contributions by pattern, or None: rows computed per block


@dataclasses.dataclass(frozen=True)
class TreeTable:
    """One tree against the reference set: by decision bits (``table``) or by leaf (``leaves``)."""

    splits: tuple
    left_codes: tuple              # per split: categorical lookup or None
    players: np.ndarray            # players of the table's columns (whole-tree table)
    table: np.ndarray | None       # (len(players), 2**len(splits)) contributions by decision bits
    leaves: tuple[_Leaf, ...]


def _pattern(left: np.ndarray, conditions) -> np.ndarray:
    """Pattern of rows whose split decisions are ``left`` (rows, splits) on a leaf's per-player conditions."""
    u = np.zeros(len(left), dtype=np.int64)
    for bit, conds in enumerate(conditions):
        ok = np.ones(len(left), dtype=bool)
        for split, went_left in conds:
            ok &= left[:, split] == went_left
        u |= ok.astype(np.int64) << bit
    return u


def _leaf(tree: Tree, value: float, path, player: np.ndarray, left_r: np.ndarray, max_leaf_bits: int) -> _Leaf:
    by_player: dict[int, list[tuple[int, bool]]] = {}
    for split, went_left in path:
        by_player.setdefault(int(player[tree.splits[split].feature]), []).append((split, went_left))
    d = len(by_player)
    if d > 62:
        raise ValueError("a leaf path has more than 62 distinct players")
    conditions = tuple(tuple(c) for c in by_player.values())
    ref_patterns, counts = np.unique(_pattern(left_r, conditions), return_counts=True)
    share = counts / len(left_r)
    table = leaf_table(d, ref_patterns, share, value).T.copy() if d <= max_leaf_bits else None
    return _Leaf(np.array(list(by_player), dtype=np.intp), conditions, value, ref_patterns, share, table)


def tree_table(tree: Tree, Rf: np.ndarray, player: np.ndarray, max_tree_splits: int = 10,
               max_leaf_bits: int = 12) -> TreeTable:
    """Tabulate one tree's interventional contributions against the reference rows ``Rf`` (float matrix)."""
    codes = tuple(s.left_codes if s.categories is not None else None for s in tree.splits)
    left_r = np.stack([goes_left(Rf[:, s.feature], s, c) for s, c in zip(tree.splits, codes)], axis=1)
    leaves = tuple(_leaf(tree, v, path, player, left_r, max_leaf_bits) for v, path in tree.leaves)
    s = len(tree.splits)
    if s > max_tree_splits or any(leaf.table is None for leaf in leaves):
        return TreeTable(tree.splits, codes, np.zeros(0, dtype=np.intp), None, leaves)
    players = np.unique(np.concatenate([leaf.players for leaf in leaves]))
    decisions = ((np.arange(1 << s)[:, None] >> np.arange(s)[None, :]) & 1).astype(bool)
    table = np.zeros((len(players), 1 << s))
    for leaf in leaves:
        cols = np.searchsorted(players, leaf.players)
        table[cols] += leaf.table[:, _pattern(decisions, leaf.conditions)]
    return TreeTable(tree.splits, codes, players, table, ())


def _subtree(tree: Tree, leaves: tuple[int, ...]) -> Tree:
    """Some of a tree's leaves, with only the splits their paths use (renumbered in tree order)."""
    used = sorted({split for i in leaves for split, _ in tree.leaves[i][1]})
    local = {split: j for j, split in enumerate(used)}
    return Tree(tuple(tree.splits[j] for j in used),
                tuple((tree.leaves[i][0], tuple((local[j], go) for j, go in tree.leaves[i][1])) for i in leaves))


def leaf_groups(tree: Tree, max_splits: int) -> list[Tree]:
    """The tree's leaves in groups under one node whose paths use at most ``max_splits`` splits together.

    A 7-leaf tree is one group; a 31-leaf tree becomes a few groups (the deepest leaves alone), each
    small enough for one table by decision bits. Leaves contribute independently, so the groups'
    contributions add up to the tree's.
    """
    out, stack = [], [(0, tuple(range(len(tree.leaves))))]
    while stack:
        depth, leaves = stack.pop()
        group = _subtree(tree, leaves)
        if len(group.splits) <= max_splits or len(leaves) == 1:
            out.append(group)
            continue
        # every leaf here shares the first ``depth`` steps, so step ``depth`` is the same node's split
        left = tuple(i for i in leaves if tree.leaves[i][1][depth][1])
        stack += [(depth + 1, tuple(i for i in leaves if i not in left)), (depth + 1, left)]
    return out


def _decisions(t: TreeTable, XT: np.ndarray) -> list[np.ndarray]:
    return [goes_left(XT[s.feature], s, c) for s, c in zip(t.splits, t.left_codes)]


def add_tree(t: TreeTable, XT: np.ndarray, out: np.ndarray) -> None:
    """Add one tree's contributions for the customers ``XT`` (features, rows) to ``out`` (players, rows)."""
    left = _decisions(t, XT)
    if t.table is not None:
        code = np.zeros(XT.shape[1], dtype=np.intp)
        for bit, go in enumerate(left):
            code |= go.astype(np.intp) << bit
        for row, p in zip(t.table, t.players):
            out[p] += row[code]
        return
    left_m = np.stack(left, axis=1)
    for leaf in t.leaves:
        u = _pattern(left_m, leaf.conditions)
        if leaf.table is not None:
            rows, which = leaf.table, u
        else:
            uniq, which = np.unique(u, return_inverse=True)
            rows = leaf_rows(uniq, len(leaf.players), leaf.ref_patterns, leaf.ref_share, leaf.value).T
        for row, p in zip(rows, leaf.players):
            out[p] += row[which]
