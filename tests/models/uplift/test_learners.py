import numpy as np
import pytest
from scipy.stats import spearmanr

from models.uplift.learners import UpliftConfig, UpliftModel, fit_learners, folds, pseudo_outcome
from tests.models.uplift.worlds import campaign

CONFIG = UpliftConfig(n_folds=3, num_boost_round=80, min_data_in_leaf=100, seed=7, num_threads=1)


@pytest.fixture(scope="module")
def heterogeneous():
    X, t, y, e, tau, _ = campaign(seed=1)
    return X, t, y, e, tau, fit_learners(X, t, y, e, CONFIG)


@pytest.mark.parametrize("learner", ["t", "dr"])
def test_recovers_a_heterogeneous_effect_out_of_fold_and_on_new_customers(heterogeneous, learner):
    X, t, y, e, tau, fitted = heterogeneous
    assert spearmanr(fitted[learner].oof, tau).statistic > 0.5
    X_new, *_, tau_new, _ = campaign(n=4000, seed=2)
    pred = fitted[learner].model.predict(X_new)
    assert spearmanr(pred, tau_new).statistic > 0.5
    # the sign convention: the customers the truth says a call helps most get the largest expected_uplift
    assert pred[tau_new > 0.2].mean() > 0.1 > pred[tau_new < 0].mean()


def test_constant_effect_is_recovered_on_average():
    X, t, y, e, tau, _ = campaign(seed=3, effect="constant")
    fitted = fit_learners(X, t, y, e, CONFIG)
    for f in fitted.values():
        assert abs(f.oof.mean() - 0.1) < 0.03
        assert spearmanr(f.oof, X["risk"]).statistic < 0.5   # not merely risk in disguise


def test_same_seed_same_model_and_round_trip(heterogeneous):
    X, t, y, e, _, fitted = heterogeneous
    again = fit_learners(X, t, y, e, CONFIG, learners=("t",))
    np.testing.assert_array_equal(again["t"].oof, fitted["t"].oof)
    restored = UpliftModel.from_dict(fitted["dr"].model.to_dict())
    np.testing.assert_allclose(restored.predict(X[:50]), fitted["dr"].model.predict(X[:50]))


def test_pseudo_outcome_is_unbiased_for_the_effect_with_true_nuisances():
    rng = np.random.default_rng(0)
    n, e = 400_000, 0.8
    t = (rng.random(n) < e).astype(int)
    mu0, mu1 = np.full(n, 0.4), np.full(n, 0.3)
    y = (rng.random(n) < np.where(t == 1, mu1, mu0)).astype(float)
    phi = pseudo_outcome(t, y, np.full(n, e), mu0 + 0.05, mu1 - 0.05)   # wrong outcome models, known propensity
    assert abs(phi.mean() - 0.1) < 0.005


def test_bad_inputs_are_refused():
    X, t, y, e, *_ = campaign(n=200, seed=0)
    with pytest.raises(ValueError, match="both groups"):
        fit_learners(X, np.ones(len(X)), y, e, CONFIG)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        pseudo_outcome(t, y, np.where(t == 1, 1.0, 0.5), np.zeros(len(t)), np.zeros(len(t)))
    with pytest.raises(ValueError, match="at least 2"):
        folds(10, 1, 0)
