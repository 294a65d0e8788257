"""One fact per reason: features that measure the same thing give a customer one reason, on tiny frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.catalog import fact_map, fact_of, family_map
from models.retention.reasons.select import top_reasons


@pytest.mark.parametrize("features", [
    ("active_days_30d", "active_days_365d", "weeks_active_share_364d", "events_purchase_count_90d",
     "events_total_count_30d", "activity_rate_per_day"),
    ("days_since_last_event", "overdue_ratio", "days_since_last_purchase_event", "longest_gap_days_365d"),
    ("gap_mean_days", "gap_std_days", "gap_max_days"),
    ("active_days_all", "repeat_active_days", "events_purchase_count_all", "activity_span_days"),
    ("events_purchase_value_sum_30d", "events_purchase_value_sum_365d", "events_items_value_sum_90d"),
    ("events_login_change_30d_vs_prev_30d", "events_login_diff_30d_vs_prev_30d", "usage_weekly_slope_56d"),
    ("tenure_days", "days_since_first_activity", "events_signup_count_30d"),
    ("tickets_count_30d", "tickets_billing_count_90d", "tickets_open_count", "days_since_last_ticket"),
    ("satisfaction_mean_90d", "satisfaction_min_30d"),
    ("nps_last_score", "days_since_last_nps"),
    ("price_change_pct_90d", "events_price_change_count_30d"),
    ("days_to_renewal", "days_to_anniversary_year", "days_to_anniversary_month"),
])
def test_features_measuring_one_thing_share_a_fact(features):
    assert len({fact_of(f) for f in features}) == 1, {f: fact_of(f) for f in features}


def test_different_things_are_different_facts():
    features = ["active_days_30d", "days_since_last_event", "gap_mean_days", "active_days_all",
                "events_purchase_value_sum_30d", "events_purchase_value_sum_all", "events_login_change_30d_vs_prev_30d",
                "tenure_days", "days_to_renewal", "tickets_count_30d", "satisfaction_mean_30d", "nps_last_score",
                "monthly_fee", "payment_failed_count_30d", "price_change_pct_90d", "distinct_event_types_30d",
                "plan", "region"]
    assert len(set(fact_map(features).values())) == len(features)
    assert fact_of("plan") == "attribute:plan"


def test_a_passive_event_states_its_own_facts_beside_the_buying():
    """A retailer's e-mails opened are engagement, not buying: their count is not the purchases' frequency."""
    names = ["events_purchase_count_30d", "events_email_open_count_30d", "events_email_open_count_90d",
             "days_since_last_email_open_event", "days_since_last_purchase_event"]
    facts = fact_map(names, family_map(names, "non_contract", ("email_open",)))
    assert facts["events_purchase_count_30d"] == "frequency"
    assert facts["events_email_open_count_30d"] == facts["events_email_open_count_90d"] == "frequency:email_open"
    assert facts["days_since_last_purchase_event"] == "recency"
    assert facts["days_since_last_email_open_event"] == "recency:email_open"


@pytest.fixture()
def buyers() -> pd.DataFrame:
    return pd.DataFrame({
        "active_days_365d": [1.0, 2.0, 5.0],
        "weeks_active_share_364d": [0.02, 0.04, 0.1],
        "active_days_90d": [0.0, 1.0, 2.0],
        "days_since_last_event": [300.0, 80.0, 20.0],
        "overdue_ratio": [np.nan, 2.0, 0.5],
        "events_purchase_value_sum_365d": [30.0, 60.0, 200.0],
        "tickets_count_90d": [0.0, 2.0, 0.0],
    })


def test_the_next_reason_comes_from_another_fact(buyers):
    names = list(buyers.columns)
    contrib = np.array([
        [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.0],   # three frequency features first: one frequency reason
        [0.1, 0.2, 0.3, 0.9, 0.8, 0.05, 0.4],  # days since and overdue: one recency reason
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    ])
    out = top_reasons(buyers, contrib, names, profile="non_contract")
    facts = out[[f"reason_fact_{i}" for i in (1, 2, 3)]]
    assert list(facts.iloc[0]) == ["frequency", "recency", "spend"]
    assert list(facts.iloc[1]) == ["recency", "tickets", "frequency"]
    assert out.loc[0, "reason_code_1"] == "ENGAGEMENT_FEW_ACTIVE_DAYS"
    assert (out.iloc[2][[f"reason_{i}" for i in (1, 2, 3)]] == "").all()


def test_the_list_stops_short_rather_than_repeat_a_fact(buyers):
    names = list(buyers.columns)
    contrib = np.zeros((3, len(names)))
    contrib[:, :3] = [0.9, 0.8, 0.7]        # only frequency features raise the risk
    contrib[:, 6] = -0.5
    out = top_reasons(buyers, contrib, names, profile="non_contract")
    assert (out["reason_fact_1"] == "frequency").all()
    assert (out[["reason_2", "reason_3", "reason_fact_2", "reason_fact_3"]] == "").all().all()
    assert (out["reason_codes"] == out["reason_code_1"]).all()


def test_no_customer_has_two_reasons_of_one_fact_among_many_features():
    """Random contributions over many features of few facts: the reasons never repeat a fact."""
    rng = np.random.default_rng(7)
    names = [f"active_days_{w}d" for w in (7, 30, 90, 180, 365)] + [f"events_purchase_count_{w}d" for w in
                                                                     (30, 90, 365)]
    names += ["days_since_last_event", "overdue_ratio", "longest_gap_days_365d", "gap_mean_days", "gap_std_days",
              "tenure_days", "tickets_count_30d", "tickets_count_90d"]
    frame = pd.DataFrame(rng.integers(0, 50, size=(400, len(names))).astype(float), columns=names)
    out = top_reasons(frame, rng.normal(size=(400, len(names))), names, top_k=4)
    facts = out[[f"reason_fact_{i}" for i in range(1, 5)]].to_numpy()
    for row in facts:
        given = [f for f in row if f]
        assert len(given) == len(set(given))
        assert list(row[:len(given)]) == given, "reasons fill from the first place"
    assert (facts[:, 3] != "").mean() > 0.5, "most customers still get four reasons"


def test_the_feature_dictionary_names_each_features_fact():
    from features.build import dictionary_frame
    from features.columns import all_columns
    from features.spec import FeatureConfig

    info = [c.info for c in all_columns(FeatureConfig())]
    table = dictionary_frame(info)
    assert table.columns[-1] == "fact" and (table["fact"] != "").all()
    assert table.set_index("feature")["fact"].to_dict() == fact_map([f.name for f in info])


def test_every_computed_feature_has_a_named_fact():
    """Only a customer attribute falls through to a fact of its own name."""
    from features.columns import all_columns
    from features.spec import FeatureConfig

    cfg = FeatureConfig(event_types=("login", "purchase", "payment_failed", "nps", "plan_change", "price_change",
                                     "signup"))
    fallen = [c.info.name for c in all_columns(cfg) if fact_of(c.info.name).startswith("attribute:")]
    assert fallen == []
