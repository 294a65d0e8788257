"""Where the score stage's value comes from: the fee column, the non-contract value model, or an explicit unknown."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipeline.core import config
from pipeline.scoring.recipe import check_revenue_params, revenue_source, with_value
from pipeline.stages.featurize import feature_config


def _sp(**kw) -> config.ScoreParams:
    return config.section({"score": kw}, "score")


def _rows(n: int = 200, fee: bool = True, spend: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)],
                         "repeat_active_days": rng.poisson(3, n).astype(float),
                         "activity_span_days": rng.uniform(0, 100, n),
                         "days_since_first_activity": 100 + rng.uniform(0, 200, n),
                         "tenure_days": 300.0})
    rows["active_days_all"] = rows["repeat_active_days"] + 1
    if fee:
        rows["monthly_fee"] = rng.choice([9.0, 19.0], n)
    if spend:
        rows["events_purchase_value_sum_all"] = rows["active_days_all"] * 30.0
    return rows


def test_a_subscription_values_customers_by_their_fee():
    rows = _rows()
    assert revenue_source(_sp(), "subscription", {"fee_attribute": "mrr"}, rows) == ("fee", "monthly_fee")
    scored = rows[["customer_id", "monthly_fee"]].assign(churn_probability=0.5)
    out = with_value(scored, rows, "fee", "monthly_fee", _sp(), 30, "en")
    np.testing.assert_allclose(out["value_at_risk"], 0.5 * out["monthly_fee"] * 30 / 30.4375)
    assert out["value_basis"].iloc[0] == "monthly_fee × 1.0 months"


def test_a_retailer_is_valued_by_expected_spend_not_by_a_price_level_from_price_notices():
    rows = _rows()   # monthly_fee here came from price_change events: no fee attribute
    assert revenue_source(_sp(), "non_contract", {"fee_attribute": None}, rows) == ("expected_spend",
                                                                                              "purchase")
    scored = rows[["customer_id"]].assign(churn_probability=0.4)
    out = with_value(scored, rows, "expected_spend", "purchase", _sp(), 90, "ja")
    assert (out["customer_value"] > 0).all()
    np.testing.assert_allclose(out["value_at_risk"], 0.4 * out["customer_value"])
    assert out["value_basis"].iloc[0] == "今後12か月の購入見込み額"


def test_no_revenue_at_all_says_so_and_never_leaves_a_silent_gap():
    rows = _rows(fee=False, spend=False)
    for kind in ("subscription", "non_contract"):
        assert revenue_source(_sp(), kind, {"fee_attribute": None}, rows) == ("unknown", None)
    rows_with_price_level = _rows(fee=True, spend=False)
    assert revenue_source(_sp(), "non_contract", {"fee_attribute": None}, rows_with_price_level) == \
        ("unknown", None), "a price level from price notices is not revenue"
    scored = rows[["customer_id"]].assign(churn_probability=0.4)
    out = with_value(scored, rows, "unknown", None, _sp(), 30, "en")
    assert out["value_at_risk"].isna().all()
    assert (out["value_basis"] == "unknown: the data has no fee column and no purchase amounts").all()


def test_a_named_revenue_column_the_data_lacks_is_a_params_error_listing_the_numeric_columns():
    fmeta = {"features": ["mrr", "tenure_days", "plan"], "categorical": ["plan"]}
    with pytest.raises(config.ParamsError, match=r"score.revenue_column 'monthly_fee' is not a column of the data; "
                                                 r"numeric columns it has: mrr, tenure_days"):
        check_revenue_params(_sp(revenue_column="monthly_fee"), fmeta)
    check_revenue_params(_sp(revenue_column="mrr"), fmeta)
    with pytest.raises(config.ParamsError, match="score.spend_event_type 'order' has no value sums"):
        check_revenue_params(_sp(spend_event_type="order"), fmeta)


def test_an_exports_mrr_column_feeds_the_fee_and_a_contract_type_the_renewal():
    con = duckdb.connect()
    con.register("customers", pd.DataFrame({"customer_id": ["a"], "signup_date": [pd.Timestamp("2024-01-01")],
                                            "MRR": [49.0], "contract_type": ["annual"], "region": ["x"]}))
    con.register("events", pd.DataFrame({"customer_id": ["a"], "timestamp": [pd.Timestamp("2024-02-01")],
                                         "event_type": ["login"], "value": [1.0]}))
    no_tickets = pd.DataFrame({"customer_id": pd.Series([], dtype=str), "category": pd.Series([], dtype=str)})
    con.register("tickets", no_tickets)
    feat = config.section({}, "featurize")
    cfg = feature_config(con, feat, ("MRR", "contract_type", "region"), 30, pd.Timestamp("2024-06-30").date())
    assert cfg.fee_attribute == "MRR" and cfg.contract_attribute == "contract_type"
    assert cfg.calendar
    retail = feature_config(con, feat, ("region",), 90, pd.Timestamp("2024-06-30").date(), "non_contract")
    assert retail.fee_attribute is None and retail.contract_attribute is None and not retail.calendar
