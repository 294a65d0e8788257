"""Explaining customers as the explain params ask.

Against same-contract peers by default, or the earlier path-dependent way."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models.explain.native import shap_contributions
from models.retention.reasons.select import top_reasons
from tests.models.worlds import contract_world


def test_explain_params_keep_old_keys_and_default_to_peer_reference():
    from pipeline.core import config

    old = config.section({"explain": {"top_k": 2}}, "explain")
    assert old.top_k == 2 and old.method == "interventional" and old.reference_segment == "contract"
    assert old.driver == "family" and old.reference_quantile == 1.0
    legacy = config.section({"explain": {"top_k": 3, "method": "tree_path", "driver": "feature"}}, "explain")
    assert legacy.method == "tree_path"
    with pytest.raises(config.ParamsError):
        config.section({"explain": {"reference_quantile": 0}}, "explain")


def test_explain_customers_follows_the_params(caplog):
    from models.retention.explain_customers import explain_customers
    from pipeline.core import config

    X, y = contract_world(n=2000, seed=1)
    params = {"objective": "binary", "verbose": -1, "num_leaves": 7, "min_data_in_leaf": 20, "seed": 1}
    booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=40)
    meta = {"features": list(X.columns), "categorical": ["contract"], "levels": {"contract": ["annual", "monthly"]}}
    rows = X.assign(contract=X["contract"].astype(str), customer_id=[f"C{i:05d}" for i in range(len(X))])
    raw = booster.predict(X, raw_score=True)

    reasons, contrib, base, reference = explain_customers(booster, meta, rows, rows, config.ExplainParams(), "en")
    assert list(reference) == list(rows["contract"])
    np.testing.assert_allclose(contrib.sum(1) + base, raw, atol=1e-9)
    assert not reasons["reason_code_1"].eq("ATTRIBUTES_CONTRACT").any()
    declining = (rows["contract"] == "monthly") & (rows["events_total_change_30d_vs_prev_30d"] < -0.4)
    assert (reasons.loc[declining, "driver_family"] == "usage").mean() > 0.9

    legacy = config.ExplainParams(method="tree_path", driver="feature")
    reasons, contrib, base, reference = explain_customers(booster, meta, rows, rows, legacy, "en")
    native, native_base = shap_contributions(booster, X)
    np.testing.assert_allclose(contrib, native)
    pd.testing.assert_frame_equal(reasons, top_reasons(rows[meta["features"]], native, meta["features"]))
    assert set(reference) == {""} and base == pytest.approx(np.full(len(X), native_base))

    with caplog.at_level("WARNING"):
        _, contrib, base, reference = explain_customers(booster, meta, rows.iloc[:20], rows,
                                                   config.ExplainParams(reference_segment="plan", reference_size=300),
                                                   "en")
    assert "reference_segment 'plan'" in caplog.text and set(reference) == {""}
    np.testing.assert_allclose(contrib.sum(1) + base, raw[:20], atol=1e-9)


def test_family_contributions_keep_sign_and_move_censored_windows_to_tenure():
    from models.retention.drivers import family_contributions

    names = ["events_login_count_90d", "days_since_last_event", "tenure_days", "region"]
    contrib = np.array([[0.5, -0.2, 0.1, 0.3], [0.5, -0.2, 0.1, 0.3]])
    out = family_contributions(contrib, names, np.array([400.0, 20.0]))
    np.testing.assert_allclose(out[0], [0.5, -0.2, 0.1, 0.0, 0.0, 0.3])   # FAMILIES order
    np.testing.assert_allclose(out[1], [0.0, -0.2, 0.6, 0.0, 0.0, 0.3]), "a 90-day count at 20 days is early life"


@pytest.mark.parametrize("method,quantile", [("interventional", 1.0), ("interventional", 0.5), ("tree_path", 1.0)])
def test_explaining_in_chunks_gives_the_same_outputs_as_at_once(method, quantile):
    from models.retention.explain_customers import explain_customers
    from models.training.booster import matrix
    from models.training.linear import fit_linear
    from pipeline.core import config

    X, y = contract_world(n=1500, seed=2)
    params = {"objective": "binary", "verbose": -1, "num_leaves": 7, "min_data_in_leaf": 20, "seed": 1}
    booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=30)
    linear = fit_linear(X, y, ["contract"])
    meta = {"features": list(X.columns), "categorical": ["contract"], "levels": {"contract": ["annual", "monthly"]},
            "linear": {**linear.to_dict(), "weight": 0.25}}
    rows = X.assign(contract=X["contract"].astype(str), customer_id=[f"C{i:05d}" for i in range(len(X))])
    rows.loc[::17, "contract"] = None   # no segment value: compared with everybody
    ep = config.ExplainParams(method=method, reference_size=300, reference_quantile=quantile)
    whole = explain_customers(booster, meta, rows, rows, ep, "en", chunk_rows=len(rows))
    assert set(whole[3]) == ({"", "annual", "monthly"} if method == "interventional" else {""})
    for chunk_rows in (1000, 97):
        chunked = explain_customers(booster, meta, rows, rows, ep, "en", chunk_rows=chunk_rows)
        pd.testing.assert_frame_equal(chunked[0], whole[0], check_exact=True)
        for got, expected in zip(chunked[1:], whole[1:]):
            assert np.array_equal(got, expected)
    M, _ = matrix(rows, meta["features"], meta["categorical"], meta["levels"])
    raw = 0.75 * booster.predict(M, raw_score=True) + 0.25 * linear.raw(M)
    np.testing.assert_allclose(whole[1].sum(1) + whole[2], raw, atol=1e-9)
