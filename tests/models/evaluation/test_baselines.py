"""The baselines the model must beat: the rule-based health score and the logistic regression."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.evaluation.baselines import fit_logistic, health_score, health_signals_used, predict_logistic


def test_health_score_ranks_recency_and_decline_and_skips_missing_columns():
    frame = pd.DataFrame({"days_since_last_event": [1, 50, 10, np.nan],
                          "events_total_change_30d_vs_prev_30d": [5, -10, 0, 0]})
    s = health_score(frame)
    assert s.argmax() == 1 and s.argmin() == 0
    assert health_signals_used(frame) == ["days_since_last_event", "events_total_change_30d_vs_prev_30d"]
    assert np.all(health_score(pd.DataFrame({"x": [1, 2]})) == 0.5)


def test_logistic_baseline_handles_missing_values_and_unseen_levels():
    rng = np.random.default_rng(0)
    n = 300
    train = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "plan": rng.choice(["x", "y"], n)})
    train.loc[::7, "a"] = np.nan
    train.loc[::11, "plan"] = None
    y = (train["b"] + rng.normal(scale=0.5, size=n) > 0.5).astype(int).to_numpy()
    pipe = fit_logistic(train, y, ["a", "b", "plan"], ["plan"])
    test = pd.DataFrame({"a": [np.nan, 0.0], "b": [2.0, -2.0], "plan": ["z", "x"]})
    p = predict_logistic(pipe, test)
    assert p.shape == (2,) and p[0] > p[1]


def test_health_score_ignores_recency_that_only_restates_tenure():
    tenure = pd.Series([10.0, 400.0, 50.0, 900.0])
    frame = pd.DataFrame({"days_since_last_event": tenure, "tenure_days": tenure})
    assert health_signals_used(frame) == ["tenure_days"]
    assert health_score(frame).argmax() == 0          # the newest customer is the riskiest


def test_recency_and_frequency_alone_rank_in_their_risky_direction():
    from models.evaluation.baselines import recency_frequency_scores

    frame = pd.DataFrame({"days_since_last_event": [1.0, 50.0, np.nan, 10.0],
                          "repeat_active_days": [9.0, 0.0, np.nan, 3.0], "tenure_days": [400.0, 300, 200, 100]})
    out = recency_frequency_scores(frame)
    assert list(np.argsort(out["recency"])) == [0, 3, 1, 2], "longer since the last activity, never active: riskier"
    assert list(np.argsort(out["frequency"])) == [0, 3, 1, 2], "fewer repeat active days, never active: riskier"
    assert ((out["recency"] > 0) & (out["recency"] <= 1)).all()
    same = frame.assign(repeat_active_days=2.0)
    assert "frequency" not in recency_frequency_scores(same), "a constant feature ranks nothing"


def test_bgnbd_baseline_on_its_own_process_predicts_the_holdout():
    """Histories simulated by BG/NBD, as the whole-history features hold them: the fit ranks the holdout silence."""
    from sklearn.metrics import roc_auc_score

    from models.clv.bgnbd import BGNBD
    from models.clv.simulate import simulate_with_holdout
    from models.evaluation.baselines import bgnbd_scores

    truth = BGNBD(r=0.5, alpha=20.0, a=2.5, b=7.5)
    rng = np.random.default_rng(11)

    def frame(n):
        T = rng.uniform(120, 480, n)
        x, t_x, x_hold = simulate_with_holdout(truth, T, 90.0, rng)
        return pd.DataFrame({"repeat_active_days": x, "activity_span_days": t_x, "days_since_first_activity": T,
                             "label": (x_hold == 0).astype(int)})

    train, test = frame(6000), frame(4000)
    scores, params = bgnbd_scores(train, test, 90)
    assert set(scores) == {"bgnbd", "bgnbd_p_alive"}
    assert abs(params["a"] / (params["a"] + params["b"]) - 0.25) < 0.05
    assert abs(params["r"] / params["alpha"] - 0.025) < 0.004
    oracle = truth.p_no_purchase(90.0, test["repeat_active_days"], test["activity_span_days"],
                                 test["days_since_first_activity"])
    y = test["label"].to_numpy()
    assert roc_auc_score(y, scores["bgnbd"]) > roc_auc_score(y, oracle) - 0.01
    assert bgnbd_scores(train.drop(columns="activity_span_days"), test, 90) == ({}, {})


def test_the_best_baseline_is_named_with_the_margin():
    from models.evaluation.suite import best_baseline

    metrics = {"roc_auc": 0.75, "baseline_a_roc_auc": 0.70, "baseline_b_roc_auc": 0.72,
               "baseline_c_roc_auc": float("nan")}
    out = best_baseline(metrics, {"a": None, "b": None, "c": None})
    assert out == {"best_baseline": "b", "best_baseline_roc_auc": 0.72, "roc_auc_minus_best_baseline": 0.75 - 0.72}
    assert best_baseline({"roc_auc": 0.7}, {}) == {}


def test_the_profit_curve_values_a_retailers_customers_by_expected_spend_not_a_price_level():
    from models.evaluation.suite import customer_value
    from pipeline.core import config

    ev = config.section({}, "evaluate")
    rng = np.random.default_rng(2)
    n = 500
    hist = pd.DataFrame({"repeat_active_days": rng.poisson(3, n).astype(float),
                         "activity_span_days": rng.uniform(0, 100, n),
                         "days_since_first_activity": 150 + rng.uniform(0, 100, n),
                         "monthly_fee": 1.06})   # a price level from price notices, not a fee
    hist["active_days_all"] = hist["repeat_active_days"] + 1
    hist["events_purchase_value_sum_all"] = hist["active_days_all"] * 50.0
    from models.clv.spend import expected_spend

    value = customer_value(hist, ev, "non_contract", hist)
    np.testing.assert_allclose(value, expected_spend(hist, hist, "purchase", ev.value_horizon_months)[0])
    assert not np.allclose(value, 1.06 * ev.value_horizon_months)
    np.testing.assert_allclose(customer_value(hist, ev, "subscription"), 1.06 * ev.value_horizon_months)
    assert customer_value(hist.drop(columns="events_purchase_value_sum_all"), ev, "non_contract", hist) is None
