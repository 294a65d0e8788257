"""SHAP contributions: native TreeSHAP vs shap.TreeExplainer, additivity, importance; interventional TreeSHAP
against reference customers (checked against brute-force Shapley values) and the driver family."""

from __future__ import annotations

import itertools
import math

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from features.catalog import FAMILIES
from models.explain import (driver_first, family_importance, family_scores, feature_importance, history_days,
                            interventional_contributions, reference_groups, segment_contributions, shap_contributions,
                            treeexplainer_contributions)
from models.reasons import top_reasons


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


def _contract_world(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Monthly customers churn far more; days_to_renewal encodes the contract; usage decline drives churn too."""
    rng = np.random.default_rng(seed)
    monthly = rng.random(n) < 0.6
    tenure = rng.integers(40, 900, n).astype(float)
    X = pd.DataFrame({
        "days_to_renewal": np.where(monthly, 30 - tenure % 30, 365 - tenure % 365),
        "events_total_change_30d_vs_prev_30d": np.where(rng.random(n) < 0.2, -0.6, 0.0) + rng.normal(0, 0.05, n),
        "tenure_days": tenure,
        "contract": pd.Categorical(np.where(monthly, "monthly", "annual")),
    })
    logit = -4.0 + 2.5 * monthly - 4.0 * X["events_total_change_30d_vs_prev_30d"].to_numpy()
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def test_segment_reference_explains_against_peers_not_the_contract():
    X, y = _contract_world()
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


def test_driver_family_is_the_largest_sum_of_risk_raising_contributions():
    names = ["events_login_count_30d", "events_login_count_90d", "active_days_30d", "tickets_count_30d"]
    contrib = np.array([
        [0.3, 0.3, 0.5, -0.2],    # usage adds up to 0.6 > engagement's single 0.5
        [0.1, -0.4, 0.5, 0.0],    # negative usage parts do not count, engagement leads
        [-0.1, -0.1, -0.1, -0.1],  # nothing raises risk
        [np.nan, 0.2, 0.1, 0.15],
    ])
    scores = family_scores(contrib, names)
    assert scores[0, FAMILIES.index("usage")] == pytest.approx(0.6)
    ranking = driver_first(contrib, names)
    assert ranking[0].argmax() in (0, 1) and ranking[1].argmax() == 2
    np.testing.assert_array_equal(ranking[2], contrib[2])
    assert np.nanargmax(ranking[3]) == 1
    frame = pd.DataFrame(np.ones((4, 4)), columns=names)
    reasons = top_reasons(frame, ranking, names, top_k=3)
    assert list(reasons["driver_family"]) == ["usage", "engagement", "", "usage"]
    assert reasons.loc[0, "reason_family_2"] == "engagement"  # the rest follow by contribution


def test_windows_longer_than_the_tenure_count_for_tenure_in_the_driver_family():
    assert history_days("events_login_count_90d") == 90 and history_days("active_days_7d") == 7
    assert history_days("events_total_change_30d_vs_prev_30d") == 60 and history_days("weeks_active_share_84d") == 84
    assert history_days("tickets_count_90d") is None and history_days("tenure_days") is None
    assert history_days("days_since_last_event") is None
    names = ["events_login_count_90d", "events_login_count_7d", "active_days_30d", "tenure_days", "tickets_count_30d"]
    contrib = np.array([
        [0.5, 0.1, 0.3, 0.2, 0.0],    # joined 20 days ago: the 90- and 30-day windows are early life
        [0.5, 0.1, 0.3, 0.2, 0.0],    # 200 days: usage as before
        [0.5, 0.1, 0.3, -0.1, 0.0],   # 20 days, but tenure_days itself lowers the risk: it may not lead
        [0.5, 0.1, 0.3, 0.2, 0.0],    # tenure unknown: nothing moves
        [-0.2, 0.0, -0.1, 0.1, 0.4],  # 20 days: only risk-raising contributions move (none here)
    ])
    tenure = np.array([20.0, 200.0, 20.0, np.nan, 20.0])
    scores = family_scores(contrib, names, tenure)
    np.testing.assert_allclose(scores[0, [FAMILIES.index(f) for f in ("usage", "engagement", "tenure")]], [0.1, 0.0, 1.0])
    np.testing.assert_allclose(scores[1], family_scores(contrib, names)[1])
    np.testing.assert_allclose(scores[3], family_scores(contrib, names)[3])
    np.testing.assert_allclose(scores[4], family_scores(contrib, names)[4])
    np.testing.assert_allclose(family_scores(contrib, names[:3] + ["plan", names[4]], tenure),
                               family_scores(contrib, names[:3] + ["plan", names[4]]))  # no tenure_days feature
    ranking = driver_first(contrib, names, tenure)
    assert list(ranking.argmax(axis=1)) == [3, 0, 0, 0, 4]
    np.testing.assert_array_equal(ranking[2], contrib[2])  # no feature of the driver family raises the risk
    np.testing.assert_array_equal(driver_first(contrib, names), driver_first(contrib, names, None))
    frame = pd.DataFrame(np.ones((5, 5)), columns=names)
    frame["tenure_days"] = [20.0, 200.0, 20.0, np.nan, 20.0]
    reasons = top_reasons(frame, ranking, names, top_k=2)
    assert list(reasons["driver_family"]) == ["tenure", "usage", "usage", "usage", "complaints"]
    assert "tenure_days" not in reasons.loc[2, "reason_codes"] and "TENURE" not in reasons.loc[2, "reason_codes"]
    assert reasons.loc[0, "reason_family_2"] == "usage"  # the rest still follow by contribution
    with pytest.raises(ValueError, match="tenure_days has shape"):
        family_scores(contrib, names, tenure[:2])


def test_explain_params_keep_old_keys_and_default_to_peer_reference():
    from pipeline import config

    old = config.section({"explain": {"top_k": 2}}, "explain")
    assert old.top_k == 2 and old.method == "interventional" and old.reference_segment == "contract"
    assert old.driver == "family" and old.reference_quantile == 1.0
    legacy = config.section({"explain": {"top_k": 3, "method": "tree_path", "driver": "feature"}}, "explain")
    assert legacy.method == "tree_path"
    with pytest.raises(config.ParamsError):
        config.section({"explain": {"reference_quantile": 0}}, "explain")


def test_explain_rows_follows_the_params(caplog):
    from pipeline import config
    from pipeline.explain import explain_rows

    X, y = _contract_world(n=2000, seed=1)
    params = {"objective": "binary", "verbose": -1, "num_leaves": 7, "min_data_in_leaf": 20, "seed": 1}
    booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=40)
    meta = {"features": list(X.columns), "categorical": ["contract"], "levels": {"contract": ["annual", "monthly"]}}
    rows = X.assign(contract=X["contract"].astype(str), customer_id=[f"C{i:05d}" for i in range(len(X))])
    raw = booster.predict(X, raw_score=True)

    reasons, contrib, base, reference = explain_rows(booster, meta, rows, rows, config.ExplainParams(), "en")
    assert list(reference) == list(rows["contract"])
    np.testing.assert_allclose(contrib.sum(1) + base, raw, atol=1e-9)
    assert not reasons["reason_code_1"].eq("ATTRIBUTES_CONTRACT").any()
    declining = (rows["contract"] == "monthly") & (rows["events_total_change_30d_vs_prev_30d"] < -0.4)
    assert (reasons.loc[declining, "driver_family"] == "usage").mean() > 0.9

    legacy = config.ExplainParams(method="tree_path", driver="feature")
    reasons, contrib, base, reference = explain_rows(booster, meta, rows, rows, legacy, "en")
    native, native_base = shap_contributions(booster, X)
    np.testing.assert_allclose(contrib, native)
    pd.testing.assert_frame_equal(reasons, top_reasons(rows[meta["features"]], native, meta["features"]))
    assert set(reference) == {""} and base == pytest.approx(np.full(len(X), native_base))

    with caplog.at_level("WARNING"):
        _, contrib, base, reference = explain_rows(booster, meta, rows.iloc[:20], rows,
                                                   config.ExplainParams(reference_segment="plan", reference_size=300),
                                                   "en")
    assert "reference_segment 'plan'" in caplog.text and set(reference) == {""}
    np.testing.assert_allclose(contrib.sum(1) + base, raw[:20], atol=1e-9)
