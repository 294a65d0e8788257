"""``churn init``'s derivations, each on a tiny frame or report (features/init/)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from features.init import history, kind, passive, reading, segments, summaries


def test_churn_dates_make_a_subscription_and_none_a_non_contract_business():
    assert kind.label_mode(10, 3).value == "churn_date"
    choice = kind.label_mode(10, 0)
    assert choice.value == "inactivity" and "no customer has a churn_date" in choice.reason


def test_a_subscription_horizon_is_30_days_whatever_the_gaps():
    assert kind.horizon("churn_date", pd.Series([200.0, 300.0]), 700).value == 30


def test_a_non_contract_horizon_covers_most_customers_usual_gap_rounded_up():
    gaps = pd.Series([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0])   # 75th percentile: 62.5
    choice = kind.horizon("inactivity", gaps, 730)
    assert choice.value == 90 and "75%" in choice.reason and "63 days" in choice.reason


def test_a_horizon_longer_than_a_quarter_of_the_history_is_shortened():
    choice = kind.horizon("inactivity", pd.Series([200.0] * 4), 365)
    assert choice.value == 90 and "shortened" in choice.reason


def test_no_repeat_customer_falls_back_to_90_days():
    assert kind.horizon("inactivity", pd.Series([], dtype=float), 730).value == kind.FALLBACK_HORIZON


@pytest.mark.parametrize(("days", "rounded"), [(1, 7), (7, 7), (8, 14), (31, 60), (91, 120), (999, 365)])
def test_round_up_to_a_round_number_of_days(days, rounded):
    assert kind.round_up(days) == rounded


def test_the_first_cutoff_has_at_least_a_horizon_and_90_days_of_history():
    choice = history.first_cutoff(dt.date(2023, 1, 7), dt.date(2024, 12, 31), 30)
    assert choice.value == "2023-04-30" and "20 labelled" in choice.reason
    assert history.first_cutoff(dt.date(2023, 1, 7), dt.date(2024, 12, 31), 120).value == "2023-05-31"


def test_a_short_history_moves_the_first_cutoff_to_one_horizon():
    choice = history.first_cutoff(dt.date(2024, 1, 1), dt.date(2024, 5, 31), 30)
    assert choice.value == "2024-01-31" and "one horizon" in choice.reason


def _types(rows):
    return pd.DataFrame(rows, columns=["event_type", "n", "n_shared"])


def test_passive_types_by_name_and_by_never_sharing_a_day():
    types = _types([("purchase", 500, 40), ("items", 500, 40), ("newsletter_open", 900, 30),
                    ("price_notice", 50, 2), ("delivery_ping", 60, 0), ("rare", 5, 0)])
    choice = passive.passive_types(types)
    assert choice.value == ["newsletter_open", "price_notice", "delivery_ping"]
    assert "never on a day" in choice.reason and "the name says" in choice.reason


def test_a_lonely_type_with_no_other_sharing_type_stays_active():
    # purchases and e-mails only: purchases share no day with another active type, yet they are the activity
    choice = passive.passive_types(_types([("purchase", 500, 0), ("email_open", 900, 12)]))
    assert choice.value == ["email_open"]


def test_when_every_type_looks_passive_none_is_kept():
    assert passive.passive_types(_types([("email_open", 10, 0), ("sms", 3, 0)])).value == []


def test_segments_are_the_low_cardinality_customer_columns():
    cols = pd.DataFrame([("plan", 100, 3), ("name", 100, 100), ("flag", 100, 1), ("region", 90, 12)],
                        columns=["column", "n", "distinct"])
    assert segments.segments(cols).value == ["plan", "region"]
    assert segments.segments(cols.iloc[1:3]).value == []


def _report(**customers):
    return {"as_of": "2024-12-31", "failures": [],
            "tables": {"customers": {"encoding": "cp932", **customers}, "events": {"encoding": "cp932"},
                       "tickets": {}}}


def test_one_non_utf8_encoding_is_written_and_utf8_stays_auto():
    assert reading.encoding(_report()).value == "cp932"
    report = _report()
    report["tables"]["events"]["encoding"] = "utf-8"
    assert reading.encoding(report).value == "auto"


def test_personal_columns_are_the_readers_and_the_ones_already_excluded():
    report = _report(excluded_columns={"email": "its values are e-mail addresses", "phone": "data.exclude_columns"})
    choice = reading.personal_columns(report, ("phone",))
    assert choice.value == ["phone", "email"] and "e-mail addresses" in choice.reason


def test_refusals_name_the_file_column_rule_and_rows():
    report = _report()
    report["failures"] = [{"file": "c.csv", "column": "churn_date", "rule": "churn_not_after_as_of", "rows": 10,
                           "examples": ["3", "9"]}]
    assert reading.refusals(report) == ["c.csv: churn_date: churn_not_after_as_of: 10 row(s), e.g. 3, 9"]


def test_the_summaries_read_types_gaps_and_columns_from_tables():
    con = duckdb.connect()
    con.execute("CREATE TABLE ev AS SELECT * FROM (VALUES ('a', TIMESTAMP '2024-01-01', 'purchase'), "
                "('a', TIMESTAMP '2024-01-11', 'purchase'), ('a', TIMESTAMP '2024-01-31', 'purchase'), "
                "('a', TIMESTAMP '2024-01-11', 'email_open'), ('b', TIMESTAMP '2024-01-05', 'email_open'), "
                "('b', TIMESTAMP '2024-01-05', 'purchase')) t(customer_id, timestamp, event_type)")
    con.execute("CREATE TABLE cu AS SELECT * FROM (VALUES ('a', DATE '2023-01-01', NULL::DATE, 'x', 1.0), "
                "('b', DATE '2023-01-01', NULL, 'y', 2.0)) t(customer_id, signup_date, churn_date, plan, fee)")
    types = summaries.event_types(con, "ev").set_index("event_type")
    assert types.loc["purchase"].tolist() == [4, 0] and types.loc["email_open"].tolist() == [2, 2]
    assert summaries.median_gaps(con, "ev", ["email_open"]).tolist() == [15.0]   # a: gaps 10 and 20
    assert summaries.churn_dates(con, "cu") == (2, 0)
    assert summaries.first_event(con, "ev") == dt.date(2024, 1, 1)
    assert summaries.text_columns(con, "cu").to_dict("records") == [{"column": "plan", "n": 2, "distinct": 2}]
