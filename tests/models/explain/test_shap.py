"""SHAP contributions: native TreeSHAP vs shap.TreeExplainer, additivity, importance; interventional TreeSHAP
against reference customers, checked against brute-force Shapley values and against shap."""

from __future__ import annotations

import itertools
import math

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models.explain.importance import family_importance, feature_importance
from models.explain.native import shap_contributions, treeexplainer_contributions
from models.explain.reference import reference_groups, segment_contributions
from models.explain.treeshap import interventional_contributions
from tests.models.worlds import contract_world


def _frame(n: int = 400, categorical: bool = True, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "events_login_count_30d": rng.poisson(10, n).astype(float),
        "tickets_count_90d": rng.poisson(1, n).astype(float),
        "tenure_days": rng.integers(1, 1000, n).astype(float),
    })
    X.loc[::9, "tickets_count_90d"] = np.nan
    if categorical:
        X["plan"] = pd.Categorical(rng.choice(["basic", "pro", "team"], n))
    y = (X["events_login_count_30d"] < 9).astype(int) ^ (rng.random(n) < 0.15)
    return X, y.to_numpy()


def _model(X: pd.DataFrame, y: np.ndarray) -> lgb.Booster:
    params = {"objective": "binary", "verbose": -1, "num_leaves": 7, "min_data_in_leaf": 5, "seed": 1}
    return lgb.train(params, lgb.Dataset(X, y), num_boost_round=20)


@pytest.fixture(scope="module")
def model_and_data() -> tuple[lgb.Booster, pd.DataFrame]:
    X, y = _frame()
    return _model(X, y), X


def _brute_force(booster: lgb.Booster, x: pd.DataFrame, reference: pd.DataFrame, groups: list[list[str]]) -> np.ndarray:
    """Shapley values of v(S) = mean over r of f(x on S, r elsewhere), by enumerating every coalition."""
    n = len(groups)
    value = {}
    for size in range(n + 1):
        for S in itertools.combinations(range(n), size):
            hybrid = reference.copy()
            for g in S:
                for col in groups[g]:
                    hybrid[col] = pd.Series([x[col].iloc[0]] * len(hybrid), index=hybrid.index, dtype=x[col].dtype)
            value[S] = booster.predict(hybrid, raw_score=True).mean()
    phi = np.zeros(n)
    for i in range(n):
        for size in range(n):
            for S in itertools.combinations([g for g in range(n) if g != i], size):
                w = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
                phi[i] += w * (value[tuple(sorted(S + (i,)))] - value[S])
    return phi


def _split_kinds(booster: lgb.Booster) -> set[tuple[str, str]]:
    kinds, stack = set(), [t["tree_structure"] for t in booster.dump_model()["tree_info"]]
    while stack:
        node = stack.pop()
        if "split_index" in node:
            kinds.add((node["decision_type"], node["missing_type"]))
            stack += [node["left_child"], node["right_child"]]
    return kinds


@pytest.fixture(scope="module", params=[False, True], ids=["nan-missing", "zero-as-missing"])
def nan_model(request) -> tuple[lgb.Booster, pd.DataFrame]:
    """Many-vs-many categorical splits and missing values of every kind LightGBM routes."""
    X, y = _frame(n=600, seed=3)
    rng = np.random.default_rng(4)
    y = y ^ ((X["plan"].astype(str) == "team").to_numpy() & (rng.random(len(X)) < 0.6))
    X.loc[::5, "events_login_count_30d"] = np.nan
    X.loc[::7, "tickets_count_90d"] = 0.0
    X.loc[::13, "plan"] = np.nan
    params = {"objective": "binary", "verbose": -1, "num_leaves": 7, "min_data_in_leaf": 5, "seed": 1,
              "max_cat_to_onehot": 1, "min_data_per_group": 5, "cat_smooth": 1, "cat_l2": 1,
              "zero_as_missing": request.param}
    booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=15)
    kinds = _split_kinds(booster)
    assert any(d == "==" for d, _ in kinds) and ("<=", "Zero" if request.param else "NaN") in kinds
    return booster, X


def test_native_is_additive(model_and_data):
    booster, X = model_and_data
    contrib, base = shap_contributions(booster, X)
    assert contrib.shape == (len(X), X.shape[1])
    np.testing.assert_allclose(contrib.sum(1) + base, booster.predict(X, raw_score=True), atol=1e-9)


def test_treeexplainer_agrees_with_native(model_and_data):
    booster, X = model_and_data
    native, base = shap_contributions(booster, X)
    other, other_base = treeexplainer_contributions(booster, X)
    np.testing.assert_allclose(other, native, atol=1e-9)
    assert other_base == pytest.approx(base)


def test_shap_internal_implementation_agrees_on_numeric_model():
    X, y = _frame(categorical=False)
    booster = _model(X, y)
    native, base = shap_contributions(booster, X)
    other, other_base = treeexplainer_contributions(booster, X, algorithm="shap_internal")
    np.testing.assert_allclose(other, native, atol=1e-8)
    assert other_base == pytest.approx(base)


def test_shap_internal_refuses_categoricals(model_and_data):
    booster, X = model_and_data
    with pytest.raises(ValueError, match="categorical"):
        treeexplainer_contributions(booster, X, algorithm="shap_internal")


def test_columns_reordered_and_missing_reported(model_and_data):
    booster, X = model_and_data
    shuffled = X[list(reversed(X.columns))]
    a, _ = shap_contributions(booster, X)
    b, _ = shap_contributions(booster, shuffled)
    np.testing.assert_allclose(a, b)
    with pytest.raises(ValueError, match="missing"):
        shap_contributions(booster, X.drop(columns=["tenure_days"]))


def test_empty_frame_gives_base_value(model_and_data):
    booster, X = model_and_data
    contrib, base = shap_contributions(booster, X.iloc[:0])
    assert contrib.shape == (0, X.shape[1])
    assert base == pytest.approx(shap_contributions(booster, X)[1])


def test_importance_per_feature_and_family():
    contrib = np.array([[1.0, -2.0, 0.0], [-1.0, 2.0, 1.0]])
    names = ["events_login_count_30d", "tickets_count_90d", "plan"]
    per_feature = feature_importance(contrib, names)
    assert list(per_feature["feature"]) == ["tickets_count_90d", "events_login_count_30d", "plan"]
    assert per_feature["share"].sum() == pytest.approx(1.0)
    per_family = family_importance(contrib, names).set_index("family")
    assert per_family.loc["complaints", "share"] == pytest.approx(2 / 3.5)
    assert per_family.loc["usage", "share"] == pytest.approx(1 / 3.5)
    assert per_family.loc["billing", "share"] == 0.0
    with pytest.raises(ValueError):
        feature_importance(contrib, names[:2])


# ---------------------------------------------------------------------------
# Interventional TreeSHAP against reference customers, and the driver family


def test_interventional_matches_brute_force_shapley_with_categoricals_and_missing(nan_model):
    booster, X = nan_model
    reference = X.iloc[100:130]
    for i in (0, 5, 7, 13, 26, 65):  # rows with and without missing / zero values
        x = X.iloc[[i]]
        contrib, base = interventional_contributions(booster, x, reference)
        expected = _brute_force(booster, x, reference, [[c] for c in X.columns])
        np.testing.assert_allclose(contrib[0], expected, atol=1e-10)
        assert base == pytest.approx(booster.predict(reference, raw_score=True).mean())


def test_interventional_is_additive_and_groups_are_joint_players(nan_model):
    booster, X = nan_model
    reference = X.iloc[200:400]
    contrib, base = interventional_contributions(booster, X, reference)
    np.testing.assert_allclose(contrib.sum(1) + base, booster.predict(X, raw_score=True), atol=1e-9)
    groups = np.array([0, 1, 0, 1])  # login count with tenure, tickets with plan
    joint, _ = interventional_contributions(booster, X.iloc[:4], reference, groups=groups)
    assert joint.shape == (4, 2)
    for i in range(4):
        expected = _brute_force(booster, X.iloc[[i]], reference, [["events_login_count_30d", "tenure_days"],
                                                                  ["tickets_count_90d", "plan"]])
        np.testing.assert_allclose(joint[i], expected, atol=1e-10)
    same, _ = interventional_contributions(booster, X.iloc[:3], X.iloc[:1])
    np.testing.assert_allclose(same[0], 0.0, atol=1e-12)  # compared with itself: nothing to explain


def test_interventional_agrees_with_shap_on_numeric_model():
    import shap

    X, y = _frame(categorical=False)
    booster = _model(X, y)
    explainer = shap.TreeExplainer(booster, data=X.iloc[:50], feature_perturbation="interventional",
                                   model_output="raw")
    expected = explainer.shap_values(X.iloc[:40])
    mine, base = interventional_contributions(booster, X.iloc[:40], X.iloc[:50])
    np.testing.assert_allclose(mine, expected, atol=1e-7)
    assert base == pytest.approx(float(np.ravel(explainer.expected_value)[0]))


def test_reference_groups_by_segment_quantile_and_size():
    segment = pd.Series(["m", "a", "m", None, "m", "a", "m"])
    risk = np.array([5.0, 1.0, 1.0, 0.0, 3.0, 2.0, 2.0])
    groups = reference_groups(segment, risk)
    assert {k: list(v) for k, v in groups.items()} == {"m": [0, 2, 4, 6], "a": [1, 5], "\x00missing": [3]}
    healthy = reference_groups(segment, risk, quantile=0.5)
    assert list(healthy["m"]) == [2, 6] and list(healthy["a"]) == [1]
    assert list(reference_groups(None, risk, size=3)[""]) == [0, 3, 6]
    with pytest.raises(ValueError):
        reference_groups(segment, risk, quantile=0)


def test_segment_reference_explains_against_peers_not_the_contract():
    X, y = contract_world()
    params = {"objective": "binary", "verbose": -1, "num_leaves": 7, "min_data_in_leaf": 20, "seed": 1}
    booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=40)
    declining_monthly = np.flatnonzero((X["contract"] == "monthly").to_numpy()
                                       & (X["events_total_change_30d_vs_prev_30d"] < -0.4).to_numpy())[:50]
    rows = X.iloc[declining_monthly]
    names = list(X.columns)
    population, _ = shap_contributions(booster, rows)
    peers, base, reference = segment_contributions(booster, rows, rows["contract"], X, X["contract"], size=500)
    # against the whole base the contract (and its proxy, days to renewal) is part of every monthly reason ...
    assert (population[:, [names.index("days_to_renewal"), names.index("contract")]].sum(1) > 0.5).all()
    # ... against other monthly customers it is not, and the usage decline leads
    assert np.abs(peers[:, names.index("contract")]).max() < 1e-12
    assert (peers.argmax(1) == names.index("events_total_change_30d_vs_prev_30d")).mean() > 0.9
    assert set(reference) == {"monthly"}
    monthly_refs = reference_groups(X["contract"], booster.predict(X, raw_score=True), size=500)["monthly"]
    assert base == pytest.approx(booster.predict(X.iloc[monthly_refs], raw_score=True).mean())
    np.testing.assert_allclose(peers.sum(1) + base, booster.predict(rows, raw_score=True), atol=1e-9)
    # a segment value nobody in the reference has: compared with everybody
    _, base_all, ref_all = segment_contributions(booster, rows.iloc[:2], pd.Series(["two_year", None]), X,
                                                 X["contract"], size=500)
    assert list(ref_all) == ["", ""]
    everybody = reference_groups(None, booster.predict(X, raw_score=True), size=500)[""]
    assert base_all == pytest.approx(booster.predict(X.iloc[everybody], raw_score=True).mean())


def test_only_the_references_customers_are_compared_with_are_summarised():
    from models.explain.reference import explain_segments, segment_reference

    X, y = contract_world(n=600)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 7, "seed": 1}, lgb.Dataset(X, y), 10)
    rows = X[X["contract"] == "monthly"].iloc[:5]
    ref = segment_reference(booster, np.zeros(len(X)), X["contract"], lambda idx: X.iloc[idx], size=100,
                            explained=rows["contract"])
    assert set(ref.tables) == {"monthly"} and ref.segments == {"monthly", "annual"}
    contrib, base, keys = explain_segments(booster, ref, rows, rows["contract"])
    assert list(keys) == ["monthly"] * 5
    with pytest.raises(ValueError, match="no reference tables"):
        explain_segments(booster, ref, X.iloc[:20], X["contract"].iloc[:20])
