"""IBM's Telco sample mapped onto the data contract around one snapshot date."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from features import telco
from features.cutoffs import labelled, schedule
from tests.paths import TELCO_CSV

S = dt.date(2024, 12, 31)
H = 30


def read_sample() -> pd.DataFrame:
    return pd.read_csv(TELCO_CSV, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return telco.adapt(read_sample(), S, H)


def test_sample_is_committed_with_its_source_note():
    assert TELCO_CSV.is_file() and (TELCO_CSV.parent / "SOURCE.md").is_file()
    assert len(read_sample()) == 7043


def test_dates_around_the_snapshot(tables):
    raw = read_sample()
    c = tables["customers"]
    assert len(c) == 7043 and c["customer_id"].is_unique
    assert c["customer_id"].tolist() == raw["customerID"].tolist()
    tenure = raw["tenure"].astype(int)
    assert (c.loc[tenure.eq(0), "signup_date"] == S).all(), "tenure 0 signs up on the snapshot day"
    one = c.loc[tenure.eq(1), "signup_date"].unique().tolist()
    assert one == [dt.date(2024, 11, 30)], "month ends clip"
    assert c.loc[tenure.eq(72), "signup_date"].unique().tolist() == [dt.date(2018, 12, 31)]
    churned = raw["Churn"].eq("Yes")
    assert c["churn_date"].notna().tolist() == churned.tolist()
    days = pd.Series([(d - S).days for d in c.loc[churned, "churn_date"]])
    assert days.between(1, H).all(), "every churner leaves in (S, S + H]"
    assert days.nunique() > 20, "churn days are spread over the horizon"
    assert telco.as_of_date(S, H) == dt.date(2025, 1, 30)


def test_exactly_one_cutoff_is_labelled_and_its_label_is_the_churn_column(tables):
    as_of = telco.as_of_date(S, H)
    cutoffs = schedule(S, as_of, "month_end")
    assert labelled(cutoffs, as_of, H) == [S]
    c = tables["customers"]
    label = c["churn_date"].map(lambda d: d is not None and S < d <= as_of)
    assert int(label.sum()) == 1869


def test_total_charges_blanks_become_zero_and_attributes_are_renamed(tables):
    c = tables["customers"]
    raw = read_sample()
    blank = raw["TotalCharges"].str.strip().eq("")
    assert int(blank.sum()) == 11 and (raw.loc[blank, "tenure"] == "0").all()
    assert (c.loc[blank, "total_charges"] == 0.0).all()
    assert c["total_charges"].dtype == "float64" and c["monthly_fee"].dtype == "float64"
    assert c["monthly_fee"].iloc[0] == 29.85
    assert set(c["contract"]) == {"Month-to-month", "One year", "Two year"}
    assert set(c.columns) == {"customer_id", "signup_date", "churn_date", *telco.ATTRIBUTES.values()}
    assert "tenure" not in c.columns and "Churn" not in c.columns, "the label and raw tenure must not be attributes"


def test_events_are_one_signup_each_and_nothing_after_the_snapshot(tables):
    e, c = tables["events"], tables["customers"]
    assert len(e) == len(c) and set(e["event_type"]) == {"signup"}
    assert (e["timestamp"].dt.date.values == c["signup_date"].values).all()
    assert e["timestamp"].max() < pd.Timestamp(S) + pd.Timedelta(days=1)


def test_adapter_is_deterministic():
    a = telco.adapt(read_sample(), S, H)
    b = telco.adapt(read_sample(), S, H)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_not_the_telco_file_says_what_is_missing():
    raw = read_sample().drop(columns=["Churn"])
    with pytest.raises(telco.TelcoError, match="missing column"):
        telco.adapt(raw, S, H)
