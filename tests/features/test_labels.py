"""Labels on tiny frames, both modes: they look only after the cutoff; boundaries, eligibility, property tests."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.labels import active_customers_sql, label_calendar, label_sql
from pipeline.core import config
from tests.features.frames import labels_from_frames

T = dt.date(2024, 1, 31)          # T + 30 days = 2024-03-01 (2024 is a leap year)
OLD = dt.date(2023, 1, 1)


def events_frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [r[0] for r in rows], "timestamp": pd.to_datetime([r[1] for r in rows]),
                         "event_type": "purchase", "value": 1.0})


def as_dict(frame: pd.DataFrame) -> dict[tuple[str, dt.date], int]:
    return {(r.customer_id, r.cutoff): int(r.label) for r in frame.itertuples()}


def inactivity(customers: pd.DataFrame, events: pd.DataFrame, horizon: int = 30, lookback: int = 90,
               min_tenure: int = 0, cutoffs: list[dt.date] | None = None) -> dict[str, int]:
    out = labels_from_frames(customers, events, cutoffs or [T], horizon, min_tenure, mode="inactivity",
                             active_lookback_days=lookback)
    return out.set_index("customer_id")["label"].to_dict()


def labels_for(customers: pd.DataFrame, cutoffs: list[dt.date], horizon: int = 30, min_tenure: int = 0) -> pd.DataFrame:
    con = duckdb.connect()
    con.register("customers", customers)
    con.register("cutoffs", pd.DataFrame({"cutoff": cutoffs}))
    out = con.sql(label_sql(horizon, min_tenure)).df()
    out["cutoff"] = pd.to_datetime(out["cutoff"]).dt.date
    return out.set_index("customer_id")["label"].to_dict()


def test_churn_in_horizon_boundaries():
    t = dt.date(2024, 1, 31)
    customers = pd.DataFrame({
        "customer_id": ["on_cutoff", "next_day", "last_day", "after", "stays", "new", "future_signup"],
        "signup_date": [dt.date(2023, 1, 1)] * 5 + [t, dt.date(2024, 2, 1)],
        "churn_date": [t, dt.date(2024, 2, 1), dt.date(2024, 3, 1), dt.date(2024, 3, 2), None, None, None],
    })
    labels = labels_for(customers, [t])
    assert "on_cutoff" not in labels          # churned on T: not active at T, not eligible
    assert labels["next_day"] == 1             # T + 1 day is inside (T, T+30]
    assert labels["last_day"] == 1             # T + 30 days is the horizon's last day
    assert labels["after"] == 0                # T + 31 days is outside
    assert labels["stays"] == 0
    assert labels["new"] == 0                  # signed up on T: eligible
    assert "future_signup" not in labels


def test_min_tenure_excludes_new_customers():
    t = dt.date(2024, 1, 31)
    customers = pd.DataFrame({"customer_id": ["old", "new"], "signup_date": [dt.date(2023, 1, 1), dt.date(2024, 1, 20)],
                              "churn_date": [None, None]})
    assert set(labels_for(customers, [t], min_tenure=30)) == {"old"}


def test_history_at_or_before_cutoff_changes_no_label():
    t = dt.date(2024, 1, 31)
    a = pd.DataFrame({"customer_id": ["x", "y"], "signup_date": [dt.date(2023, 1, 1), dt.date(2023, 6, 1)],
                      "churn_date": [dt.date(2024, 2, 15), None], "plan": ["basic", "pro"]})
    b = a.assign(plan=["pro", "basic"], signup_date=[dt.date(2023, 5, 1), dt.date(2022, 1, 1)])
    assert labels_for(a, [t]) == labels_for(b, [t])


def test_inactivity_horizon_boundaries_without_churn_date_column():
    ids = ["last_second", "next_midnight", "after_horizon", "cutoff_day_only", "first_second", "lapsed"]
    customers = pd.DataFrame({"customer_id": ids, "signup_date": [OLD] * len(ids)})   # no churn_date column at all
    events = events_frame([
        ("last_second", "2024-01-10 08:00:00"), ("last_second", "2024-03-01 23:59:59"),   # T+H 23:59:59: in the horizon
        ("next_midnight", "2024-01-10 08:00:00"), ("next_midnight", "2024-03-02 00:00:00"),  # T+H+1 00:00: outside
        ("after_horizon", "2024-01-10 08:00:00"), ("after_horizon", "2024-04-15 12:00:00"),
        ("cutoff_day_only", "2024-01-31 23:59:59"),   # known at T, before the horizon: active, then silent
        # the first instant of the horizon
        ("first_second", "2024-01-20 08:00:00"), ("first_second", "2024-02-01 00:00:00"),
        ("lapsed", "2023-06-01 10:00:00"), ("lapsed", "2024-02-10 10:00:00"),     # nothing in the 90-day look-back
    ])
    labels = inactivity(customers, events)
    assert labels["last_second"] == 0
    assert labels["next_midnight"] == 1
    assert labels["after_horizon"] == 1
    assert labels["cutoff_day_only"] == 1
    assert labels["first_second"] == 0
    assert "lapsed" not in labels            # not eligible: no event in the look-back, whatever happens after T


def test_inactivity_lookback_boundaries():
    # look-back 90 days up to and including T: events stamped in [2023-11-03 00:00:00, 2024-02-01 00:00:00)
    customers = pd.DataFrame({"customer_id": ["first_day", "day_before", "next_day_only"], "signup_date": [OLD] * 3,
                              "churn_date": [None] * 3})
    events = events_frame([("first_day", "2023-11-03 00:00:00"), ("day_before", "2023-11-02 23:59:59"),
                           ("next_day_only", "2024-02-01 00:00:00")])
    labels = inactivity(customers, events)
    assert labels == {"first_day": 1}
    assert set(inactivity(customers, events, lookback=91)) == {"first_day", "day_before"}


def test_inactivity_keeps_signup_churn_date_and_tenure_rules():
    customers = pd.DataFrame({
        "customer_id": ["churned_on_T", "churned_later", "signed_up_after", "new"],
        "signup_date": [OLD, OLD, dt.date(2024, 2, 1), dt.date(2024, 1, 25)],
        "churn_date": [T, dt.date(2024, 2, 5), None, None],
    })
    events = events_frame([("churned_on_T", "2024-01-30 10:00:00"), ("churned_later", "2024-01-30 10:00:00"),
                           ("signed_up_after", "2024-01-31 10:00:00"), ("new", "2024-01-30 10:00:00"),
                           ("new", "2024-02-20 10:00:00")])
    labels = inactivity(customers, events)
    assert labels == {"churned_later": 1, "new": 0}    # inactivity ignores churn_date for the label itself
    assert inactivity(customers, events, min_tenure=30) == {"churned_later": 1}


def test_churn_date_mode_reads_no_events():
    customers = pd.DataFrame({"customer_id": ["a", "b"], "signup_date": [OLD, OLD],
                              "churn_date": [dt.date(2024, 3, 1), dt.date(2024, 3, 2)]})
    labels = labels_from_frames(customers, None, [T], 30).set_index("customer_id")["label"].to_dict()
    assert labels == {"a": 1, "b": 0}                  # churn on T+H is in the horizon, T+H+1 is not


def test_active_at_scoring_date_follows_the_mode():
    customers = pd.DataFrame({"customer_id": ["recent", "lapsed", "churned"], "signup_date": [OLD] * 3,
                              "churn_date": [None, None, dt.date(2024, 1, 15)]})
    events = events_frame([("recent", "2024-01-31 23:59:59"), ("lapsed", "2023-09-01 10:00:00"),
                           ("churned", "2024-01-10 10:00:00"), ("lapsed", "2024-02-01 00:00:00")])
    con = duckdb.connect()
    con.register("customers", customers)
    con.register("events", events)
    con.register("cutoffs", pd.DataFrame({"cutoff": [T]}))
    con.register("label_days", label_calendar([T], 0, 90))
    assert [r[0] for r in con.sql(active_customers_sql("churn_date")).fetchall()] == ["lapsed", "recent"]
    assert [r[0] for r in con.sql(active_customers_sql("inactivity")).fetchall()] == ["recent"]


def test_passive_events_are_not_activity_for_the_label_or_the_eligibility():
    """A price notice or a newsletter the customer merely received neither keeps them eligible nor retained."""
    customers = pd.DataFrame({"customer_id": ["bought", "mailed_after", "mailed_only"], "signup_date": [OLD] * 3,
                              "churn_date": [None] * 3})
    events = events_frame([("bought", "2024-01-20 10:00:00"), ("mailed_after", "2024-01-20 10:00:00"),
                           ("mailed_after", "2024-02-10 10:00:00"), ("mailed_only", "2024-01-20 10:00:00")])
    events["event_type"] = ["purchase", "purchase", "email_open", "email_open"]
    got = labels_from_frames(customers, events, [T], 30, mode="inactivity", passive_event_types=("email_open",))
    assert got.set_index("customer_id")["label"].to_dict() == {"bought": 1, "mailed_after": 1}
    counted = labels_from_frames(customers, events, [T], 30, mode="inactivity")
    assert counted.set_index("customer_id")["label"].to_dict() == {"bought": 1, "mailed_after": 0, "mailed_only": 1}


def test_label_params_accept_inactivity_and_reject_unknown_modes():
    lab = config.section({"label": {"mode": "inactivity", "active_lookback_days": 60}}, "label")
    assert lab.mode == "inactivity" and lab.active_lookback_days == 60
    assert config.section({}, "label").active_lookback_days == 90
    with pytest.raises(config.ParamsError, match="label.mode"):
        config.section({"label": {"mode": "dormant"}}, "label")
    with pytest.raises(config.ParamsError, match="label.active_lookback_days"):
        config.section({"label": {"active_lookback_days": 0}}, "label")


def test_unknown_mode_in_sql_builder():
    with pytest.raises(ValueError, match="label.mode must be one of"):
        label_sql(30, 0, mode="dormant")


# --- property: data at or before T never changes a label at T ------------------------------------

CUSTOMERS = ["a", "b", "c", "d", "e"]
T_END = pd.Timestamp(T) + pd.Timedelta(days=1)          # first instant after the cutoff day


def stamp(day_offset: int, second: int) -> pd.Timestamp:
    """A timestamp ``day_offset`` days after the cutoff day's start (0 = on T)."""
    return pd.Timestamp(T) + pd.Timedelta(days=day_offset, seconds=second)


# Days are drawn often at the edges: the look-back's first day (-89), the cutoff day (0), the horizon's
# first and last days (1, 30) and the day after it (31); seconds often at a day's first and last second.
seconds_st = st.one_of(st.sampled_from([0, 86399]), st.integers(0, 86399))
events_st = st.lists(st.tuples(st.sampled_from(CUSTOMERS),
                               st.one_of(st.sampled_from([-90, -89, 0, 1, 30, 31]), st.integers(-130, 45)),
                               seconds_st), max_size=40)
past_events_st = st.lists(st.tuples(st.sampled_from(CUSTOMERS),
                                    st.one_of(st.sampled_from([-90, -89, 0]), st.integers(-130, 0)), seconds_st),
                          max_size=15)
tickets_st = st.lists(st.tuples(st.sampled_from(CUSTOMERS), st.integers(-60, 0), st.integers(0, 86399),
                                st.sampled_from(["billing", "complaint"])), max_size=6)


@st.composite
def worlds(draw):
    signup = draw(st.lists(st.integers(-400, 0), min_size=len(CUSTOMERS), max_size=len(CUSTOMERS)))
    churn = draw(st.lists(st.one_of(st.none(), st.integers(1, 60)), min_size=len(CUSTOMERS), max_size=len(CUSTOMERS)))
    customers = pd.DataFrame({
        "customer_id": CUSTOMERS,
        "signup_date": [T + dt.timedelta(days=s) for s in signup],
        "churn_date": pd.Series([T + dt.timedelta(days=c) if c is not None else None for c in churn], dtype="object"),
        "plan": draw(st.lists(st.sampled_from(["basic", "pro"]), min_size=len(CUSTOMERS), max_size=len(CUSTOMERS))),
    })
    ev = draw(events_st)
    events = pd.DataFrame({"customer_id": [e[0] for e in ev], "timestamp": [stamp(e[1], e[2]) for e in ev],
                           "event_type": "purchase", "value": 1.0})
    events["timestamp"] = pd.to_datetime(events["timestamp"])
    tk = draw(tickets_st)
    tickets = pd.DataFrame({"customer_id": [t[0] for t in tk], "opened_at": [stamp(t[1], t[2]) for t in tk],
                            "category": [t[3] for t in tk]})
    tickets["opened_at"] = pd.to_datetime(tickets["opened_at"])
    return customers, events, tickets


@st.composite
def changes_at_or_before_t(draw, world):
    """Add, drop and move events and tickets stamped at or before T; change attributes and signup dates (<= T)."""
    customers, events, tickets = world
    past = (events["timestamp"] < T_END).to_numpy()
    keep = draw(st.lists(st.booleans(), min_size=len(events), max_size=len(events)))
    events2 = events[~past | np.array(keep, dtype=bool)]
    added = draw(past_events_st)
    events2 = pd.concat([events2, pd.DataFrame({"customer_id": [e[0] for e in added],
                                                "timestamp": pd.to_datetime([stamp(e[1], e[2]) for e in added]),
                                                "event_type": "purchase", "value": 2.0})], ignore_index=True)
    tickets2 = draw(tickets_st)
    tickets2 = pd.DataFrame({"customer_id": [t[0] for t in tickets2],
                             "opened_at": pd.to_datetime([stamp(t[1], t[2]) for t in tickets2]),
                             "category": [t[3] for t in tickets2]})
    signup = draw(st.lists(st.integers(-400, 0), min_size=len(CUSTOMERS), max_size=len(CUSTOMERS)))
    customers2 = customers.assign(signup_date=[T + dt.timedelta(days=s) for s in signup],
                                  plan=draw(st.lists(st.sampled_from(["basic", "pro", "max"]),
                                                     min_size=len(CUSTOMERS), max_size=len(CUSTOMERS))))
    return customers2, events2, tickets2


def run_labels(world, mode: str) -> dict[tuple[str, dt.date], int]:
    customers, events, tickets = world
    con = duckdb.connect()
    try:
        con.register("customers", customers)
        con.register("events", events)
        con.register("tickets", tickets)        # registered like the stage does: labels must not read it
        con.register("cutoffs", pd.DataFrame({"cutoff": [T]}))
        con.register("label_days", label_calendar([T], 30, 90))
        out = con.sql(label_sql(30, 0, mode=mode)).df()
    finally:
        con.close()
    out["cutoff"] = pd.to_datetime(out["cutoff"]).dt.date
    return as_dict(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), world=worlds(), mode=st.sampled_from(["churn_date", "inactivity"]))
def test_data_at_or_before_cutoff_changes_no_label(data, world, mode):
    changed = data.draw(changes_at_or_before_t(world))
    before, after = run_labels(world, mode), run_labels(changed, mode)
    if mode == "churn_date":
        assert before == after                  # eligibility reads only signup (still <= T) and churn_date
    both = before.keys() & after.keys()         # inactivity: the look-back may change who is eligible
    assert {k: before[k] for k in both} == {k: after[k] for k in both}


def test_property_world_labels_both_modes_sanity():
    customers = pd.DataFrame({"customer_id": ["a"], "signup_date": [OLD],
                              "churn_date": pd.Series([None], dtype="object"), "plan": ["basic"]})
    events = events_frame([("a", "2024-01-31 12:00:00")])
    tickets = pd.DataFrame({"customer_id": pd.Series(dtype=str), "opened_at": pd.Series(dtype="datetime64[ns]"),
                            "category": pd.Series(dtype=str)})
    assert run_labels((customers, events, tickets), "inactivity") == {("a", T): 1}
    assert run_labels((customers, events, tickets), "churn_date") == {("a", T): 0}
