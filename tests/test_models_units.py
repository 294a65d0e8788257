"""Unit tests on tiny frames: calibration, metrics, baselines, the gate's decision rule, refit and CV splits."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models import metrics as M
from models.baselines import fit_logistic, health_score, health_signals_used, predict_logistic
from models.calibration import Calibrator, cross_fitted, select
from models.train import SplitError, cross_validate, lgbm_params, matrix, refit_cutoffs
from pipeline.registry import Champion, decide


def _miscalibrated(n: int = 4000, seed: int = 0):
    rng = np.random.default_rng(seed)
    true_p = rng.beta(1, 12, n)
    y = (rng.random(n) < true_p).astype(int)
    raw = np.clip(true_p ** 0.6, 0, 1)        # over-confident, monotone in the truth
    return raw, y


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_calibration_improves_brier_on_held_out_rows(method):
    raw_fit, y_fit = _miscalibrated(seed=1)
    raw, y = _miscalibrated(seed=2)
    cal = Calibrator(method).fit(raw_fit, y_fit)
    before, after = M.brier_score_loss(y, raw), M.brier_score_loss(y, cal.predict(raw))
    assert after <= before
    assert after < before * 0.9
    again = Calibrator.from_dict(cal.to_dict())
    np.testing.assert_allclose(again.predict(raw), cal.predict(raw))


def test_calibration_is_monotone_and_none_is_identity():
    raw, y = _miscalibrated()
    grid = np.linspace(0, 1, 101)
    for method in ("isotonic", "platt"):
        assert np.all(np.diff(Calibrator(method).fit(raw, y).predict(grid)) >= -1e-12)
    np.testing.assert_array_equal(Calibrator("none").fit(raw, y).predict(grid), grid)
    np.testing.assert_array_equal(Calibrator("isotonic").fit(raw, np.zeros_like(y)).predict(grid), grid)
    with pytest.raises(ValueError, match="one of"):
        Calibrator("beta").fit(raw, y)


def test_cross_fitted_never_uses_own_fold():
    raw, y = _miscalibrated(n=1000)
    folds = np.arange(len(y)) % 4
    out = cross_fitted(raw, y, folds, "platt")
    held = folds == 0
    expected = Calibrator("platt").fit(raw[~held], y[~held]).predict(raw[held])
    np.testing.assert_allclose(out[held], expected)


def test_ranking_metrics_on_a_known_case():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    assert M.recall_top_fraction(y, p, 0.2) == pytest.approx(2 / 3)
    assert M.precision_at_k(y, p, 2) == 1.0
    assert M.precision_at_k(y, p, 100) == pytest.approx(0.3)
    seg = M.segment_auc(y, p, np.array(["a"] * 5 + ["b"] * 5), min_rows=1)
    assert seg["a"] == 1.0 and seg["b"] == 0.0
    g = M.gains(y, p, n_points=11)
    assert g["gain"][0] == 0 and g["gain"][-1] == 1 and g["gain"][2] == pytest.approx(2 / 3)


def test_profit_curve_counts_contacts_and_kept_churners():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.9, 0.8, 0.7, 0.1])
    curve = M.profit_curve(y, p, value=100.0, contact_cost=10.0, acceptance_rate=0.5, n_points=5)
    # share 0.25: one contact, one churner kept half the time: 50 - 10
    np.testing.assert_allclose(curve["profit"], [0, 40, 30, 70, 60])
    best, share = M.max_profit(curve)
    assert best == 70 and share == 0.75
    np.testing.assert_allclose(curve["expected_profit"][1], 0.5 * 0.9 * 100 - 10)


def test_reliability_bins_cover_every_row():
    raw, y = _miscalibrated(n=1003)
    rel = M.reliability(y, raw, n_bins=10)
    assert rel["rows"].sum() == 1003 and len(rel["bin"]) == 10
    assert np.all(np.diff(rel["mean_predicted"]) >= 0)


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


def test_gate_first_version_promote_and_keep():
    base = {"health_score": 0.70, "logistic": 0.75}
    first = decide(0.80, base, 0.01, None, "h1")
    assert (first.alias, first.decision) == ("champion", "promote") and "first" in first.reason
    weak = decide(0.755, base, 0.01, None, "h1")
    assert weak.alias == "challenger" and "logistic" in weak.reason
    champ = Champion("3", 0.82, "h1")
    assert decide(0.80, base, 0.01, champ, "h1").alias == "challenger"
    assert decide(0.82, base, 0.01, champ, "h1").alias == "champion"
    other_data = decide(0.80, base, 0.01, champ, "h2")
    assert other_data.alias == "champion" and "other data" in other_data.reason
    assert decide(float("nan"), base, 0.0, None, "h1").alias == "challenger"


def test_refit_cutoffs_end_by_test():
    cuts = [dt.date(2024, m, 1) for m in range(1, 8)]
    refit = refit_cutoffs(cuts, horizon_days=45, test=dt.date(2024, 7, 1))
    assert refit == tuple(cuts[:5])          # June 1 + 45 days reaches past July 1
    assert all(c + dt.timedelta(days=45) <= dt.date(2024, 7, 1) for c in refit)


def test_cross_validate_gives_out_of_fold_predictions_for_every_row():
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({"tenure_days": rng.integers(0, 2000, n).astype(float),
                          "monthly_fee": rng.uniform(10, 100, n), "contract": rng.choice(["m", "y"], n)})
    logit = -1.5 - frame["tenure_days"] / 700 + (frame["contract"] == "m") * 1.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X, _ = matrix(frame, list(frame.columns), ["contract"])
    params = lgbm_params(1, 0.1, 7, 20, 1.0, 1.0, 0, 1.0, 1)
    cv = cross_validate(X, y, params, 200, 20, 5, seed=1)
    assert set(cv.folds) == set(range(5)) and len(cv.oof) == n
    assert np.all((cv.oof > 0) & (cv.oof < 1))
    assert np.nanmean(cv.fold_auc) > 0.6
    with pytest.raises(SplitError, match="minority"):
        cross_validate(X, np.r_[1, np.zeros(n - 1, dtype=int)], params, 10, 5, 5, seed=1)


def test_select_keeps_calibration_only_when_cross_fitted_brier_improves():
    raw, y = _miscalibrated(n=3000)
    cal, crossed, stats = select(raw, y, "isotonic", seed=0)
    assert stats["kept"] == 1.0 and cal.to_dict()["method_used"] == "isotonic"
    assert stats["brier_cross_fitted"] < stats["brier_raw"]
    rng = np.random.default_rng(3)
    honest = rng.beta(1, 12, 3000)
    y2 = (rng.random(3000) < honest).astype(int)
    cal2, out2, stats2 = select(honest, y2, "isotonic", seed=0)
    if not stats2["kept"]:
        assert cal2.to_dict() == {"method": "isotonic", "method_used": "none"}
        np.testing.assert_array_equal(out2, honest)
    assert M.brier_score_loss(y2, cal2.predict(honest)) <= stats2["brier_raw"] + 1e-12 or stats2["kept"]


def test_health_score_ignores_recency_that_only_restates_tenure():
    tenure = pd.Series([10.0, 400.0, 50.0, 900.0])
    frame = pd.DataFrame({"days_since_last_event": tenure, "tenure_days": tenure})
    assert health_signals_used(frame) == ["tenure_days"]
    assert health_score(frame).argmax() == 0          # the newest customer is the riskiest


def test_calibrator_needs_a_real_gain_to_be_kept():
    from models.calibration import select

    rng = np.random.default_rng(0)
    p = rng.uniform(0.01, 0.2, 20_000)
    y = (rng.random(20_000) < p).astype(int)          # already calibrated: any gain is noise
    _, _, loose = select(p, y, "isotonic", seed=1, min_gain=-1.0)
    _, _, strict = select(p, y, "isotonic", seed=1, min_gain=0.01)
    assert loose["kept"] == 1.0 and strict["kept"] == 0.0
    skewed = np.clip(p * 2.5, 0, 0.99)                 # badly calibrated: a large gain is kept
    cal, _, stats = select(skewed, y, "isotonic", seed=1, min_gain=0.01)
    assert stats["kept"] == 1.0 and stats["brier_cross_fitted"] < 0.99 * stats["brier_raw"]
