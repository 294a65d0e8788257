"""Defaults that follow the data: windows from the horizon and the history, value sums where values vary."""

from __future__ import annotations

import duckdb
import pandas as pd

from features.defaults import auto_windows, varying_value_types_sql


def test_windows_follow_the_horizon():
    assert auto_windows(30, 2000) == (7, 30, 90)
    assert auto_windows(90, 2000) == (30, 90, 180, 365)
    assert auto_windows(14, 2000) == (7, 30, 90)
    assert auto_windows(60, 2000) == (14, 30, 90, 180)
    assert auto_windows(365, 2000) == (90, 180, 365, 730)


def test_windows_stop_at_the_history_the_data_holds():
    assert auto_windows(90, 200) == (30, 90, 180)
    assert auto_windows(90, 10) == (30,), "the shortest window is always kept"


def test_value_sums_for_types_whose_value_varies_only():
    events = pd.DataFrame({"event_type": ["purchase", "purchase", "login", "login", "items", "nps", "nps"],
                           "value": [12.5, 30.0, 1.0, 1.0, None, 3.0, 9.0]})
    con = duckdb.connect()
    con.register("events", events)
    found = [r[0] for r in con.sql(varying_value_types_sql(["purchase", "login", "items", "nps"], ("nps",))).fetchall()]
    assert found == ["purchase"]
    assert con.sql(varying_value_types_sql([], ())).fetchall() == []
