"""Defaults that follow the data: windows from the horizon and the history, value sums where values vary."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pyarrow as pa

from features.defaults import EVENT_TYPE_SUMMARY_SQL, EventTypeSummary, auto_windows, summarise_event_types


def test_windows_follow_the_horizon():
    assert auto_windows(30, 2000) == (7, 30, 90)
    assert auto_windows(90, 2000) == (30, 90, 180, 365)
    assert auto_windows(14, 2000) == (7, 30, 90)
    assert auto_windows(60, 2000) == (14, 30, 90, 180)
    assert auto_windows(365, 2000) == (90, 180, 365, 730)


def test_windows_stop_at_the_history_the_data_holds():
    assert auto_windows(90, 200) == (30, 90, 180)
    assert auto_windows(90, 10) == (30,), "the shortest window is always kept"


def _arrow(events: pd.DataFrame) -> pa.Table:
    """The events as Arrow, a NaN kept as a value (not read as a null, as pandas would)."""
    return pa.table({c: pa.array(events[c].to_numpy()) for c in events.columns})


def _summary(events: pd.DataFrame, max_event_types: int, excluded: tuple[str, ...]):
    con = duckdb.connect()
    con.register("events", _arrow(events))
    return summarise_event_types(con.sql(EVENT_TYPE_SUMMARY_SQL).fetchall(), max_event_types, excluded)


def test_value_sums_for_types_whose_value_varies_only():
    ts = pd.Timestamp("2024-03-01 08:00")
    events = pd.DataFrame({"event_type": ["purchase", "purchase", "login", "login", "items", "nps", "nps", "ping",
                                          "ping"],
                           "timestamp": [ts] * 9,
                           "value": [12.5, 30.0, 1.0, 1.0, None, 3.0, 9.0, 2.0, float("nan")]})
    summary = _summary(events, 12, ("nps",))
    assert summary.varying == ("ping", "purchase"), "constant, empty and excluded types get no value sums"
    with duckdb.connect() as con:   # the distinct count it stands for, NaN counted as a value
        con.register("events", _arrow(events))
        distinct = con.sql("SELECT event_type FROM events WHERE event_type NOT IN ('nps') GROUP BY ALL "
                           "HAVING count(DISTINCT value) > 1 ORDER BY 1").fetchall()
        assert [r[0] for r in distinct] == list(summary.varying)
    assert _summary(events, 1, ()).varying == (), "only kept types are candidates: login is kept, constant"


def test_the_most_frequent_types_first_ties_by_name_and_the_first_event():
    events = pd.DataFrame({"event_type": ["b", "a", "c", "c", "a", "b", "d"],
                           "timestamp": pd.to_datetime(["2024-03-05", "2024-03-02 23:59:59", "2024-03-09",
                                                        "2024-03-01 00:00:01", "2024-04-01", "2024-03-03",
                                                        "2024-02-28 12:00"], format="ISO8601"),
                           "value": [1.0] * 7})
    summary = _summary(events, 3, ())
    assert summary.event_types == ("a", "b", "c"), "count first, then the name; d is past max_event_types"
    assert summary.first_event == dt.datetime(2024, 2, 28, 12), "the first event of any type, kept or not"
    assert _summary(events.iloc[:0], 3, ()) == EventTypeSummary((), None, ())
