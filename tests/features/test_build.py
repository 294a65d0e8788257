"""Point-in-time features on tiny frames: boundaries, windows, eligibility, and a property test."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.build import calendar_tables
from features.catalog import family_of
from features.cutoffs import labelled, schedule
from features.spec import FeatureConfig, slug
from tests.features.frames import features_from_frames

JAN31 = dt.date(2024, 1, 31)


def row(frame: pd.DataFrame, customer: str, cutoff: dt.date) -> pd.Series:
    hit = frame[(frame["customer_id"] == customer) & (frame["cutoff"] == cutoff)]
    assert len(hit) == 1, f"expected one row for {customer} at {cutoff}, got {len(hit)}"
    return hit.iloc[0]


def test_event_at_last_second_of_cutoff_day_counts_and_next_midnight_does_not(tiny_customers, tiny_events, tiny_tickets,
                                                                              tiny_cfg):
    f = features_from_frames(tiny_customers, tiny_events, tiny_tickets, [JAN31], tiny_cfg)
    a = row(f, "A", JAN31)
    # 2024-01-31 23:59:59 is inside the 7-day window; 2024-02-01 00:00:00 is not known yet.
    assert a["events_login_count_7d"] == 1
    assert a["events_login_count_30d"] == 2
    assert a["days_since_last_event"] == 0
    assert a["tenure_days"] == 30
    assert a["events_session_value_sum_30d"] == 30.0


def test_eligibility_at_the_boundaries(tiny_customers, tiny_events, tiny_tickets, tiny_cfg):
    feb = dt.date(2024, 2, 29)
    f = features_from_frames(tiny_customers, tiny_events, tiny_tickets, [JAN31, feb], tiny_cfg)
    at_jan = set(f.loc[f["cutoff"] == JAN31, "customer_id"])
    at_feb = set(f.loc[f["cutoff"] == feb, "customer_id"])
    assert at_jan == {"A", "B"}          # B signed up on the cutoff day; C the day after
    assert at_feb == {"A", "C"}          # B churned on 2024-02-10, before the cutoff


def test_ticket_facts_known_only_once_they_happened(tiny_customers, tiny_events, tiny_tickets, tiny_cfg):
    f = features_from_frames(tiny_customers, tiny_events, tiny_tickets, [JAN31], tiny_cfg)
    a = row(f, "A", JAN31)
    assert a["tickets_count_30d"] == 2
    assert a["tickets_open_count"] == 1            # the second complaint is resolved only on 2024-02-05
    assert a["satisfaction_mean_30d"] == 2.0       # its satisfaction (1) is not known at the cutoff
    assert a["complaints_repeat_count_30d"] == 1
    assert a["days_since_last_ticket"] == 1


def test_usage_change_against_previous_window():
    customers = pd.DataFrame({"customer_id": ["A"], "signup_date": [dt.date(2023, 1, 1)], "churn_date": [None]})
    cutoff = dt.date(2024, 3, 31)
    prev = [pd.Timestamp(cutoff) - pd.Timedelta(days=40 + i % 10) for i in range(25)]   # 25 logins 31-59 days ago
    last = [pd.Timestamp(cutoff) - pd.Timedelta(days=1 + i) for i in range(9)]          # 9 logins in the last 30 days
    events = pd.DataFrame({"customer_id": "A", "timestamp": prev + last, "event_type": "login", "value": 1.0})
    tickets = pd.DataFrame({"customer_id": pd.Series(dtype=str), "opened_at": pd.Series(dtype="datetime64[ns]"),
                            "category": pd.Series(dtype=str), "resolved_at": pd.Series(dtype="datetime64[ns]"),
                            "satisfaction": pd.Series(dtype=float)})
    cfg = FeatureConfig(windows=(30,), event_types=("login",))
    a = row(features_from_frames(customers, events, tickets, [cutoff], cfg), "A", cutoff)
    assert a["events_login_count_30d"] == 9
    assert a["events_login_diff_30d_vs_prev_30d"] == 9 - 25
    assert np.isclose(a["events_login_change_30d_vs_prev_30d"], (9 - 25) / 25)
    assert a["usage_weekly_slope_56d"] > 0 or a["events_login_count_30d"] < 25  # sanity: slope is computed
    assert a["longest_gap_days_30d"] >= 20


def test_calendar_tables_cover_lookback_and_buckets():
    cutoffs = [dt.date(2024, 1, 31), dt.date(2024, 2, 29)]
    dc, db = calendar_tables(cutoffs, dt.date(2024, 1, 1), 10)
    assert len(dc) == 20 and dc["age"].min() == 0 and dc["age"].max() == 9
    assert db.loc[db["day"] == dt.date(2024, 2, 1), "cutoff"].iloc[0] == dt.date(2024, 2, 29)
    assert db.loc[db["day"] == dt.date(2024, 1, 31), "cutoff"].iloc[0] == dt.date(2024, 1, 31)


def test_schedule_and_censoring():
    cuts = schedule(dt.date(2024, 1, 31), dt.date(2024, 4, 15))
    assert cuts == [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    assert labelled(cuts, dt.date(2024, 4, 15), 30) == [dt.date(2024, 1, 31), dt.date(2024, 2, 29)]
    assert labelled(cuts, dt.date(2024, 4, 30), 30) == cuts


def test_feature_names_map_to_families():
    assert family_of("events_login_change_30d_vs_prev_30d") == "usage"
    assert family_of("days_since_last_event") == "engagement"
    assert family_of("tenure_days") == "tenure"
    assert family_of("tickets_complaint_count_90d") == "complaints"
    assert family_of("events_payment_failed_count_30d") == "billing"
    assert family_of("events_price_change_count_90d") == "billing", "a price increase is a billing driver"
    assert family_of("events_plan_change_count_90d") == "tenure"
    assert family_of("region") == "attributes"
    assert slug("Feature Use!") == "feature_use"


# --- property: nothing after the cutoff changes a feature at the cutoff ---------------

CUTOFF = dt.date(2024, 3, 31)
_after = st.tuples(
    st.sampled_from(["A", "B"]),
    st.integers(min_value=0, max_value=60 * 24 * 60 - 1),          # seconds offset after the cutoff day ends
    st.sampled_from(["login", "session", "nps", "price_change"]),
    st.floats(min_value=0, max_value=100, allow_nan=False),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=st.lists(_after, max_size=6), extra_tickets=st.lists(st.tuples(st.sampled_from(["A", "B"]),
                                                                             st.integers(0, 10**6)), max_size=3))
def test_rows_after_the_cutoff_never_change_features(extra, extra_tickets):
    customers = pd.DataFrame({"customer_id": ["A", "B"], "signup_date": [dt.date(2023, 12, 1), dt.date(2024, 1, 15)],
                              "churn_date": [None, None], "monthly_fee": [10.0, 12.0]})
    base_events = pd.DataFrame({
        "customer_id": ["A", "A", "B", "A", "B"],
        "timestamp": pd.to_datetime(["2024-01-02 00:00:00", "2024-03-31 23:59:59", "2024-02-10 08:00:00",
                                   "2024-03-01 00:00:00", "2024-03-20 00:00:00"]),
        "event_type": ["login", "session", "login", "nps", "price_change"],
        "value": [1.0, 20.0, 1.0, 7.0, 15.0],
    })
    base_tickets = pd.DataFrame({"customer_id": ["A"], "opened_at": pd.to_datetime(["2024-03-30"]),
                                 "category": ["complaint"], "resolved_at": [pd.NaT], "satisfaction": [np.nan]})
    cfg = FeatureConfig(windows=(7, 30), event_types=("login", "session", "nps", "price_change"),
                        ticket_categories=("complaint",), attributes=("monthly_fee",))
    before = features_from_frames(customers, base_events, base_tickets, [CUTOFF], cfg)

    end = pd.Timestamp(CUTOFF) + pd.Timedelta(days=1)
    more = pd.DataFrame([(c, end + pd.Timedelta(seconds=s), t, v) for c, s, t, v in extra],
                        columns=base_events.columns)
    events = pd.concat([base_events, more], ignore_index=True) if len(more) else base_events
    tickets = base_tickets.copy()
    # Resolving the open ticket after the cutoff, with a score, is future information too.
    tickets["resolved_at"] = [end + pd.Timedelta(hours=5)]
    tickets["satisfaction"] = [1.0]
    new_t = pd.DataFrame([(c, end + pd.Timedelta(seconds=s), "complaint", pd.NaT, np.nan) for c, s in extra_tickets],
                         columns=base_tickets.columns)
    tickets = pd.concat([tickets, new_t], ignore_index=True) if len(new_t) else tickets
    after = features_from_frames(customers, events, tickets, [CUTOFF], cfg)
    pd.testing.assert_frame_equal(before, after)


def test_counts_of_change_event_types_are_zero_not_missing(tiny_customers, tiny_events, tiny_tickets):
    # 'plan_change' / 'price_change' contain "change" but are counts, not change ratios.
    cfg = FeatureConfig(windows=(7, 30), event_types=("login", "price_change"), attributes=("plan", "monthly_fee"))
    a = row(features_from_frames(tiny_customers, tiny_events, tiny_tickets, [JAN31], cfg), "A", JAN31)
    assert a["events_price_change_count_30d"] == 0
    assert np.isnan(a["events_login_change_30d_vs_prev_30d"])      # no previous window: a ratio is undefined
    assert a["active_days_30d"] == 3 and a["distinct_event_types_30d"] == 2


def test_a_renewal_only_with_a_contract_column_and_the_fee_from_the_exports_own_column(tiny_customers, tiny_events,
                                                                                      tiny_tickets):
    base = dict(windows=(7, 30), event_types=("login", "session"), ticket_categories=("complaint",))
    without = features_from_frames(tiny_customers, tiny_events, tiny_tickets, [JAN31],
                                   FeatureConfig(**base, attributes=("plan", "monthly_fee")))
    assert "days_to_renewal" not in without.columns and "days_to_anniversary_month" in without.columns
    customers = tiny_customers.rename(columns={"monthly_fee": "mrr"}).assign(contract=["annual", "monthly", "annual"])
    cfg = FeatureConfig(**base, attributes=("plan", "mrr", "contract"), fee_attribute="mrr")
    with_contract = features_from_frames(customers, tiny_events, tiny_tickets, [JAN31], cfg)
    a = row(with_contract, "A", JAN31)
    assert a["days_to_renewal"] == 365 - 30 and a["monthly_fee"] == 10.0 and "mrr" not in with_contract.columns
    retail = features_from_frames(tiny_customers, tiny_events, tiny_tickets, [JAN31],
                                  FeatureConfig(**base, attributes=("plan",), calendar=False))
    assert not any(c.startswith("days_to_") for c in retail.columns)


def test_families_follow_what_a_feature_measures_and_the_kind_of_business():
    from features.catalog import family_map

    assert family_of("active_days_30d") == "usage" and family_of("weeks_active_share_84d") == "usage"
    assert family_of("days_since_last_event") == "engagement" and family_of("overdue_ratio") == "engagement"
    names = ["days_since_last_purchase_event", "gap_mean_days", "events_email_open_count_30d",
             "days_since_last_email_open_event", "nps_last_score", "events_price_change_count_90d", "tenure_days"]
    assert family_map(names) == {n: family_of(n) for n in names}
    retail = family_map(names, "non_contract", ("email_open", "price_change"))
    assert retail == {"days_since_last_purchase_event": "usage", "gap_mean_days": "usage",
                      "events_email_open_count_30d": "engagement", "days_since_last_email_open_event": "engagement",
                      "nps_last_score": "engagement", "events_price_change_count_90d": "billing",
                      "tenure_days": "tenure"}


def test_events_at_the_same_instant_give_the_same_latest_fee_and_nps_in_any_order():
    """Two fee changes or two NPS answers stamped the same second: the larger value is the latest, whatever order
    the rows arrive in (the result never depends on how the engine happens to scan them)."""
    customers = pd.DataFrame({"customer_id": ["A"], "signup_date": [dt.date(2023, 12, 1)], "churn_date": [None],
                              "monthly_fee": [10.0]})
    same = pd.Timestamp("2024-03-10 12:00:00")
    events = pd.DataFrame({
        "customer_id": ["A"] * 6,
        "timestamp": [pd.Timestamp("2024-01-05"), same, same, pd.Timestamp("2024-02-01"), same, same],
        "event_type": ["login", "price_change", "plan_change", "nps", "nps", "nps"],
        "value": [1.0, 25.0, 20.0, 10.0, 9.0, 3.0],
    })
    tickets = pd.DataFrame({"customer_id": pd.Series([], dtype=object),
                            "opened_at": pd.Series([], dtype="datetime64[ns]"),
                            "category": pd.Series([], dtype=object),
                            "resolved_at": pd.Series([], dtype="datetime64[ns]"),
                            "satisfaction": pd.Series([], dtype=float)})
    cfg = FeatureConfig(windows=(7, 30), event_types=("login", "price_change", "plan_change", "nps"),
                        attributes=("monthly_fee",))
    got = []
    for order in (range(6), reversed(range(6)), [0, 2, 1, 5, 4, 3]):
        rows = row(features_from_frames(customers, events.iloc[list(order)].reset_index(drop=True), tickets,
                                        [CUTOFF], cfg), "A", CUTOFF)
        got.append((rows["monthly_fee"], rows["nps_last_score"]))
    assert got == [(25.0, 9.0)] * 3
