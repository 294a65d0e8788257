"""The linear part blended with the booster (``train.linear_blend``): fit, plain-number round trip,
exact SHAP values, and the blended model as scoring, training and explaining use it."""

from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from models.evaluation.baselines import fit_logistic, predict_logistic
from models.explain.blend import blend_contributions
from models.explain.native import shap_contributions
from models.explain.reference import segment_contributions
from models.predict import ChurnModel
from models.training.booster import cross_validate, lgbm_params, matrix
from models.training.linear import LinearPart, fit_linear, sigmoid

CATEGORICAL = ["contract", "payment"]


def _world(n: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "tenure_days": rng.integers(0, 2000, n).astype(float),
        "monthly_fee": rng.uniform(10, 120, n),
        "contract": rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.25, 0.2]),
        "payment": rng.choice(["card", "check", "transfer"], n),
    })
    frame.loc[::13, "monthly_fee"] = np.nan
    logit = (-1.0 - frame["tenure_days"] / 800 + 0.012 * frame["monthly_fee"].fillna(60)
             + 1.4 * (frame["contract"] == "Month-to-month") + 0.5 * (frame["payment"] == "check"))
    y = (rng.random(n) < sigmoid(logit)).astype(int)
    return frame, np.asarray(y)


@pytest.fixture(scope="module")
def fitted():
    frame, y = _world()
    X, levels = matrix(frame, list(frame.columns), CATEGORICAL)
    return frame, X, y, levels, fit_linear(X, y, CATEGORICAL)


def test_linear_part_is_the_logistic_baseline_as_plain_numbers(fitted):
    frame, X, y, _, part = fitted
    baseline = predict_logistic(fit_logistic(frame, y, list(frame.columns), CATEGORICAL), frame)
    np.testing.assert_allclose(sigmoid(part.raw(X)), baseline, atol=1e-6)
    again = LinearPart.from_dict(json.loads(json.dumps(part.to_dict())))
    np.testing.assert_array_equal(again.raw(X), part.raw(X))
    assert part.numeric["monthly_fee"]["coef"] > 0 and part.numeric["tenure_days"]["coef"] < 0
    assert part.categorical["contract"]["Month-to-month"] > part.categorical["contract"]["Two year"]


def test_missing_and_unseen_values_have_defined_terms(fitted):
    _, X, _, levels, part = fitted
    odd = pd.DataFrame({"tenure_days": [100.0, 100.0], "monthly_fee": [np.nan, part.numeric["monthly_fee"]["median"]],
                        "contract": ["Month-to-month", "Ten year"], "payment": ["card", None]})
    M, _ = matrix(odd, list(X.columns), CATEGORICAL, levels)
    terms = part.terms(M)
    assert terms[0, 1] == pytest.approx(terms[1, 1]), "a missing fee is imputed with the training median"
    assert terms[1, 2] == 0.0 and terms[1, 3] == 0.0, "an unseen level and a level never missing in training add 0"


def test_a_constant_column_and_values_outside_the_training_range_cannot_run_the_score_away():
    """A fee of 1.06 on every training row has a std of rounding noise; a later 1.14 must not give log-odds 1e14."""
    frame, y = _world()
    frame["price_level"] = 1.06
    X, levels = matrix(frame, list(frame.columns), CATEGORICAL)
    part = fit_linear(X, y, CATEGORICAL)
    assert part.numeric["price_level"]["scale"] == 1.0
    later = frame.head(2).assign(price_level=[1.1448, 1.06], tenure_days=[1e7, 0.0])
    M, _ = matrix(later, list(X.columns), CATEGORICAL, levels)
    top = part.terms(frame.pipe(lambda f: matrix(f, list(X.columns), CATEGORICAL, levels)[0]))[:, 0].min()
    assert np.all(np.abs(part.raw(M)) < 20)
    assert part.terms(M)[0, 0] == pytest.approx(top), "a tenure beyond the training range counts as the largest seen"


def test_exact_shap_values_of_the_additive_part(fitted):
    _, X, _, _, part = fitted
    contrib, base = part.contributions(X)
    np.testing.assert_allclose(contrib.sum(1) + base, part.raw(X), atol=1e-9)
    np.testing.assert_allclose(contrib.mean(0), 0.0, atol=1e-9)  # against the training rows they average 0
    reference = X.iloc[:200]
    contrib, base = part.contributions(X, reference)
    np.testing.assert_allclose(contrib.sum(1) + base, part.raw(X), atol=1e-9)
    # Shapley values of an additive model: a feature's own term minus its reference mean, nothing else.
    x = X.iloc[[7]]
    for j, name in enumerate(X.columns):
        swapped = reference.copy()
        swapped[name] = pd.Series([x[name].iloc[0]] * len(reference), index=reference.index,
                                  dtype=reference[name].dtype)
        expected = part.raw(swapped).mean() - part.raw(reference).mean()
        assert part.contributions(x, reference)[0][0, j] == pytest.approx(expected, abs=1e-9)


@pytest.fixture(scope="module")
def blended(fitted):
    frame, X, y, levels, part = fitted
    booster = lgb.train(lgbm_params(1, 0.1, 7, 20, 1.0, 1.0, 0, 1.0, 1), lgb.Dataset(X, y), num_boost_round=40)
    meta = {"features": list(X.columns), "categorical": CATEGORICAL, "levels": levels, "calibration": None,
            "linear": {"weight": 0.4, **part.to_dict()}}
    return frame, X, booster, ChurnModel(booster, json.loads(json.dumps(meta))), part


def test_blended_model_scores_in_log_odds(blended):
    frame, X, booster, model, part = blended
    expected = 0.6 * booster.predict(X, raw_score=True) + 0.4 * part.raw(X)
    np.testing.assert_allclose(model.raw_score(frame), expected, atol=1e-12)
    np.testing.assert_allclose(model.uncalibrated_proba(frame), sigmoid(expected), atol=1e-12)
    alone = ChurnModel(booster, {**model.meta, "linear": None})
    np.testing.assert_array_equal(alone.uncalibrated_proba(frame), booster.predict(X))


def test_blended_contributions_add_up_to_the_blended_score(blended):
    frame, X, booster, model, part = blended
    contrib, base = model.contributions(frame)
    np.testing.assert_allclose(contrib.sum(1) + base, model.raw_score(frame), atol=1e-9)
    tree, tree_base = shap_contributions(booster, X)
    np.testing.assert_allclose(contrib, 0.6 * tree + 0.4 * part.contributions(X)[0], atol=1e-12)

    contrib, base, keys = segment_contributions(booster, X.iloc[:300], frame["contract"].iloc[:300], X,
                                                frame["contract"], size=200, linear=part, linear_weight=0.4)
    np.testing.assert_allclose(contrib.sum(1) + base, model.raw_score(frame.iloc[:300]), atol=1e-9)
    assert set(keys) == set(frame["contract"].iloc[:300])
    unchanged = blend_contributions(tree, tree_base, None, 0.0, X)
    assert unchanged[0] is tree and unchanged[1] == tree_base


def test_explain_customers_uses_the_linear_part_of_the_model(blended):
    from models.retention.explain_customers import explain_customers
    from pipeline.core import config

    frame, X, booster, model, _ = blended
    rows = frame.assign(customer_id=[f"C{i:05d}" for i in range(len(frame))])
    for ep in (config.ExplainParams(), config.ExplainParams(method="tree_path")):
        _, contrib, base, _ = explain_customers(booster, model.meta, rows, rows, ep, "en")
        np.testing.assert_allclose(contrib.sum(1) + base, model.raw_score(frame), atol=1e-9)


def test_cross_validated_blend_fits_the_linear_part_on_training_folds_only():
    from sklearn.model_selection import StratifiedKFold, train_test_split

    from models.training.booster import fit

    frame, y = _world(n=900, seed=3)
    X, _ = matrix(frame, list(frame.columns), CATEGORICAL)
    params = lgbm_params(1, 0.1, 7, 20, 1.0, 1.0, 0, 1.0, 1)
    alone = cross_validate(X, y, params, 200, 20, 5, seed=1)
    mixed = cross_validate(X, y, params, 200, 20, 5, seed=1, linear_blend=0.5, categorical=CATEGORICAL)
    np.testing.assert_array_equal(mixed.folds, alone.folds)
    assert mixed.best_iterations == alone.best_iterations
    tr, te = next(StratifiedKFold(5, shuffle=True, random_state=1).split(X, y))
    inner_tr, inner_va = train_test_split(np.arange(len(tr)), test_size=0.2, random_state=1, stratify=y[tr])
    booster, _ = fit(X.iloc[tr[inner_tr]], y[tr][inner_tr], X.iloc[tr[inner_va]], y[tr][inner_va], params, 200, 20)
    part = fit_linear(X.iloc[tr], y[tr], CATEGORICAL)
    expected = sigmoid(0.5 * booster.predict(X.iloc[te], raw_score=True) + 0.5 * part.raw(X.iloc[te]))
    np.testing.assert_allclose(mixed.oof[te], expected, atol=1e-12)
    # On an additive world the blend ranks at least as well as the trees alone.
    assert roc_auc_score(y, mixed.oof) >= roc_auc_score(y, alone.oof) - 0.005


def test_choose_blend_takes_the_weight_with_the_best_held_out_auc():
    from models.training.linear import choose_blend

    rng = np.random.default_rng(0)
    signal = rng.normal(size=4000)
    y = (rng.random(4000) < sigmoid(signal)).astype(int)
    noisy_trees = signal + rng.normal(scale=2.0, size=4000)
    assert choose_blend(noisy_trees, signal, y) == 0.75, "the better part gets the most weight the grid allows"
    assert choose_blend(signal, noisy_trees, y) == 0.0
    assert choose_blend(signal, signal, y) == 0.0, "a tie keeps the booster alone"
    assert choose_blend(signal, signal, np.zeros(4000, dtype=int)) == 0.0


def test_auto_blend_in_cv_chooses_on_each_folds_early_stopping_slice_only():
    from sklearn.model_selection import StratifiedKFold, train_test_split

    from models.training.booster import fit
    from models.training.linear import choose_blend

    frame, y = _world(n=900, seed=3)
    X, _ = matrix(frame, list(frame.columns), CATEGORICAL)
    params = lgbm_params(1, 0.1, 7, 20, 1.0, 1.0, 0, 1.0, 1)
    auto = cross_validate(X, y, params, 200, 20, 5, seed=1, linear_blend="auto", categorical=CATEGORICAL)
    assert len(auto.blend_weights) == 5
    tr, te = next(StratifiedKFold(5, shuffle=True, random_state=1).split(X, y))
    inner_tr, inner_va = train_test_split(np.arange(len(tr)), test_size=0.2, random_state=1, stratify=y[tr])
    booster, _ = fit(X.iloc[tr[inner_tr]], y[tr][inner_tr], X.iloc[tr[inner_va]], y[tr][inner_va], params, 200, 20)
    va = X.iloc[tr[inner_va]]
    inner = fit_linear(X.iloc[tr[inner_tr]], y[tr][inner_tr], CATEGORICAL)
    w = choose_blend(booster.predict(va, raw_score=True), inner.raw(va), y[tr][inner_va])
    assert auto.blend_weights[0] == w
    fixed = cross_validate(X, y, params, 200, 20, 5, seed=1, linear_blend=w, categorical=CATEGORICAL)
    np.testing.assert_allclose(auto.oof[te], fixed.oof[te], atol=1e-12)


def test_linear_blend_param_is_auto_or_a_weight():
    from pipeline.core import config

    assert config.section({}, "train").linear_blend == "auto"
    assert config.section({"train": {"linear_blend": 0.3}}, "train").linear_blend == 0.3
    with pytest.raises(config.ParamsError, match="linear_blend"):
        config.section({"train": {"linear_blend": 1.0}}, "train")
    with pytest.raises(config.ParamsError, match="linear_blend"):
        config.section({"train": {"linear_blend": "sometimes"}}, "train")
