"""SHAP contributions: native TreeSHAP vs shap.TreeExplainer, additivity, importance."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models.explain import family_importance, feature_importance, shap_contributions, treeexplainer_contributions


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
