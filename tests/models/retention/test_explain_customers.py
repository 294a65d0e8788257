"""Explaining customers as the explain params ask: against same-contract peers by default, or the earlier path-dependent way."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models.explain.native import shap_contributions
from models.retention.reasons import top_reasons
from tests.models.worlds import contract_world


def test_explain_params_keep_old_keys_and_default_to_peer_reference():
    from pipeline import config

    old = config.section({"explain": {"top_k": 2}}, "explain")
    assert old.top_k == 2 and old.method == "interventional" and old.reference_segment == "contract"
    assert old.driver == "family" and old.reference_quantile == 1.0
    legacy = config.section({"explain": {"top_k": 3, "method": "tree_path", "driver": "feature"}}, "explain")
    assert legacy.method == "tree_path"
    with pytest.raises(config.ParamsError):
        config.section({"explain": {"reference_quantile": 0}}, "explain")


def test_explain_customers_follows_the_params(caplog):
    from pipeline import config
    from models.retention.explain_customers import explain_customers

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
