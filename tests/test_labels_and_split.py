"""Labels look only after the cutoff; splits purge overlapping horizons."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from features.labels import label_sql
from models.train import SplitError, split_cutoffs


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


def test_split_purges_cutoffs_whose_horizon_reaches_the_next_split():
    cuts = [dt.date(2024, m, 1) for m in range(1, 8)]          # monthly, first of month
    s = split_cutoffs(cuts, horizon_days=45)                   # horizon longer than the spacing
    assert s.test == dt.date(2024, 7, 1)
    assert s.valid + dt.timedelta(days=45) <= s.test
    assert s.valid == dt.date(2024, 5, 1)                      # June 1 + 45 days reaches past July 1
    assert all(c + dt.timedelta(days=45) <= s.valid for c in s.train)
    assert dt.date(2024, 6, 1) in s.purged and dt.date(2024, 4, 1) in s.purged
    assert s.train == (dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1))


def test_split_needs_three_cutoffs():
    with pytest.raises(SplitError, match="at least 3"):
        split_cutoffs([dt.date(2024, 1, 31), dt.date(2024, 2, 29)], 30)
