"""The interventional TreeSHAP tables: every kind of table is exact, and any chunking gives the same bits."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models.explain.tables import leaf_rows, leaf_table
from models.explain.treeshap import interventional_contributions, reference_tables
from tests.models.explain.test_shap import _brute_force, _frame

# (max_tree_splits, max_leaf_bits): whole-tree tables, full per-leaf tables, per-leaf rows per block
KINDS = {"tree": (10, 10), "leaf": (0, 10), "leaf-rows": (0, 0)}


@pytest.fixture(scope="module")
def deep_model() -> tuple[lgb.Booster, pd.DataFrame]:
    """Categorical splits, missing values and trees of up to 31 leaves (too many splits for one table)."""
    X, y = _frame(n=1500, seed=5)
    X.loc[::5, "events_login_count_30d"] = np.nan
    X.loc[::11, "plan"] = np.nan
    params = {"objective": "binary", "verbose": -1, "num_leaves": 31, "min_data_in_leaf": 5, "seed": 2,
              "max_cat_to_onehot": 1, "min_data_per_group": 5, "cat_smooth": 1}
    booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=12)
    assert max(t["num_leaves"] for t in booster.dump_model()["tree_info"]) > 11
    return booster, X


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_table_kind_matches_brute_force(deep_model, kind):
    booster, X = deep_model
    reference = X.iloc[300:330]
    tables = reference_tables(booster, reference, None, *KINDS[kind])
    contrib, base = interventional_contributions(booster, X.iloc[:6], tables)
    for i in range(6):
        expected = _brute_force(booster, X.iloc[[i]], reference, [[c] for c in X.columns])
        np.testing.assert_allclose(contrib[i], expected, atol=1e-10)
    assert base == pytest.approx(booster.predict(reference, raw_score=True).mean())


@pytest.mark.parametrize("kind", list(KINDS))
def test_groups_are_joint_players_in_every_table_kind(deep_model, kind):
    booster, X = deep_model
    reference = X.iloc[400:440]
    groups = np.array([0, 1, 0, 1])
    tables = reference_tables(booster, reference, groups, *KINDS[kind])
    joint, _ = interventional_contributions(booster, X.iloc[:3], tables)
    for i in range(3):
        expected = _brute_force(booster, X.iloc[[i]], reference, [["events_login_count_30d", "tenure_days"],
                                                                  ["tickets_count_90d", "plan"]])
        np.testing.assert_allclose(joint[i], expected, atol=1e-10)


@pytest.mark.parametrize("kind", list(KINDS))
def test_chunked_equals_unchunked_bit_for_bit(deep_model, kind):
    booster, X = deep_model
    tables = reference_tables(booster, X.iloc[::7], None, *KINDS[kind])
    whole, base = interventional_contributions(booster, X, tables, block_rows=len(X))
    np.testing.assert_allclose(whole.sum(1) + base, booster.predict(X, raw_score=True), atol=1e-9)
    # one row per block, blocks of 7 (which leave a remainder) and blocks of 256, each against the whole
    for rows, block in ((24, 1), (302, 7), (len(X), 256)):
        chunked, _ = interventional_contributions(booster, X.iloc[:rows], tables, block_rows=block)
        assert np.array_equal(chunked, whole[:rows]), block
    # the rows of a customer subset are the rows it has in the whole set
    part, _ = interventional_contributions(booster, X.iloc[[900, 3, 3, 41]], tables)
    assert np.array_equal(part, whole[[900, 3, 3, 41]])


def test_table_kinds_agree(deep_model):
    booster, X = deep_model
    reference = X.iloc[::5]
    results = [interventional_contributions(booster, X, reference_tables(booster, reference, None, *k))[0]
               for k in KINDS.values()]
    for other in results[1:]:
        np.testing.assert_allclose(other, results[0], atol=1e-12)


def test_leaf_rows_depend_only_on_their_own_pattern():
    rng = np.random.default_rng(0)
    d = 5
    ref_patterns = np.unique(rng.integers(0, 1 << d, 12))
    share = rng.dirichlet(np.ones(ref_patterns.size))
    every = leaf_rows(np.arange(1 << d), d, ref_patterns, share, 0.7)
    np.testing.assert_allclose(leaf_table(d, ref_patterns, share, 0.7), every, atol=1e-15)
    some = np.array([31, 0, 17, 17, 4])
    assert np.array_equal(leaf_rows(some, d, ref_patterns, share, 0.7), every[some])


def test_block_rows_must_be_positive(deep_model):
    booster, X = deep_model
    with pytest.raises(ValueError, match="block_rows"):
        interventional_contributions(booster, X.iloc[:3], X.iloc[:3], block_rows=0)


@pytest.mark.parametrize("max_splits", [0, 3, 10])
def test_leaf_groups_hold_every_leaf_once_within_the_split_budget(deep_model, max_splits):
    from models.explain.tables import leaf_groups
    from models.explain.trees import parse_trees

    for tree in parse_trees(deep_model[0]):
        groups = leaf_groups(tree, max_splits)
        values = sorted(v for g in groups for v, _ in g.leaves)
        assert values == sorted(v for v, _ in tree.leaves)
        for g in groups:
            assert len(g.splits) <= max_splits or len(g.leaves) == 1
            assert all(j < len(g.splits) for _, path in g.leaves for j, _ in path)
