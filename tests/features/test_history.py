"""Whole-history features: checked against a plain pandas reference, and point in time under random histories."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from features.columns import history_columns
from features.spec import FeatureConfig
from features.sql import Dialect
from tests.features.frames import features_from_frames

CUTOFFS = [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31), dt.date(2024, 4, 30)]
SIGNUPS = {"A": dt.date(2023, 11, 30), "B": dt.date(2024, 1, 31), "C": dt.date(2023, 12, 15)}
CFG = FeatureConfig(windows=(7, 30), event_types=("purchase", "visit", "nps"), value_sum_event_types=("purchase",),
                    ticket_categories=(), attributes=())
HISTORY = [c.name for c in history_columns(CFG, Dialect())] + ["days_to_anniversary_month", "days_to_anniversary_year"]
NO_TICKETS = pd.DataFrame({"customer_id": pd.Series([], dtype=str), "opened_at": pd.Series([], dtype="datetime64[ns]"),
                           "category": pd.Series([], dtype=str), "resolved_at": pd.Series([], dtype="datetime64[ns]"),
                           "satisfaction": pd.Series([], dtype=float)})

# An event: customer, seconds after 2023-12-15 (up to about 6 months), type, value.
_event = st.tuples(st.sampled_from(sorted(SIGNUPS)), st.integers(0, 180 * 86400), st.sampled_from(CFG.event_types),
                   st.integers(0, 500).map(float))


def _customers() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": list(SIGNUPS), "signup_date": list(SIGNUPS.values()),
                         "churn_date": [None] * len(SIGNUPS)}).astype({"churn_date": "object"})


def _events(rows: list[tuple[str, int, str, float]]) -> pd.DataFrame:
    start = pd.Timestamp("2023-12-15")
    frame = pd.DataFrame(rows, columns=["customer_id", "seconds", "event_type", "value"])
    frame["timestamp"] = start + pd.to_timedelta(frame["seconds"], unit="s")
    # No event before the customer's signup (validation refuses those).
    frame = frame[frame["timestamp"].dt.date >= frame["customer_id"].map(SIGNUPS)]
    return frame[["customer_id", "timestamp", "event_type", "value"]].reset_index(drop=True)


def reference(events: pd.DataFrame, customer: str, cutoff: dt.date) -> dict[str, float]:
    """The whole-history features of one customer at one cutoff, computed the obvious way."""
    known = events[(events["customer_id"] == customer) & (events["timestamp"].dt.date <= cutoff)]
    active = known[known["event_type"] != "nps"]
    days = sorted(set(active["timestamp"].dt.date))
    gaps = np.diff([d.toordinal() for d in days]).astype(float)
    signup = SIGNUPS[customer]
    nan = float("nan")
    out: dict[str, float] = {}
    for t in CFG.event_types:
        of_t = known[known["event_type"] == t]
        out[f"events_{t}_count_all"] = len(of_t)
        out[f"days_since_last_{t}_event"] = (cutoff - of_t["timestamp"].dt.date.max()).days if len(of_t) else nan
    p = known[known["event_type"] == "purchase"]
    out["events_purchase_value_sum_all"] = p["value"].sum()
    n_days = p["timestamp"].dt.date.nunique()
    out["events_purchase_value_per_day_all"] = p["value"].sum() / n_days if n_days else nan
    out["events_total_count_all"] = len(active)
    out["active_days_all"] = len(days)
    out["repeat_active_days"] = max(len(days) - 1, 0)
    out["activity_span_days"] = (days[-1] - days[0]).days if days else nan
    out["days_since_first_activity"] = (cutoff - days[0]).days if days else nan
    out["gap_mean_days"] = gaps.mean() if len(gaps) else nan
    out["gap_std_days"] = gaps.std() if len(gaps) > 1 else nan
    out["gap_max_days"] = gaps.max() if len(gaps) else nan
    since = (cutoff - days[-1]).days if days else nan
    out["overdue_ratio"] = since / gaps.mean() if len(gaps) and gaps.mean() > 0 else nan
    out["activity_rate_per_day"] = len(days) / ((cutoff - signup).days + 1)
    for name, months in (("days_to_anniversary_month", 1), ("days_to_anniversary_year", 12)):
        k = 0
        while signup + relativedelta(months=k * months) <= cutoff:
            k += 1
        out[name] = (signup + relativedelta(months=k * months) - cutoff).days
    return out


def _compare(built: pd.DataFrame, events: pd.DataFrame) -> None:
    for _, row in built.iterrows():
        want = reference(events, row["customer_id"], row["cutoff"])
        for name in HISTORY:
            got = float("nan") if pd.isna(row[name]) else float(row[name])
            assert got == pytest.approx(want[name], nan_ok=True, abs=1e-9), (row["customer_id"], row["cutoff"], name)


def test_history_features_match_the_pandas_reference():
    rng = np.random.default_rng(3)
    rows = [(str(rng.choice(list(SIGNUPS))), int(rng.integers(0, 180 * 86400)), str(rng.choice(CFG.event_types)),
             float(rng.integers(0, 300))) for _ in range(120)]
    events = _events(rows)
    built = features_from_frames(_customers(), events, NO_TICKETS, CUTOFFS, CFG)
    assert set(HISTORY) <= set(built.columns)
    assert len(built) == 12   # B signs up on the first cutoff day: every customer is at every cutoff
    _compare(built, events)


def test_the_anniversary_clips_to_the_month_end():
    customers = pd.DataFrame({"customer_id": ["Z"], "signup_date": [dt.date(2024, 1, 31)], "churn_date": [None]})
    events = pd.DataFrame({"customer_id": ["Z"], "timestamp": [pd.Timestamp("2024-02-01")], "event_type": ["visit"],
                           "value": [1.0]})
    cfg = FeatureConfig(windows=(7,), event_types=("visit",), attributes=())
    out = features_from_frames(customers, events, NO_TICKETS, [dt.date(2024, 2, 10), dt.date(2024, 2, 29)], cfg)
    assert list(out["days_to_anniversary_month"]) == [19, 31]   # 29 Feb, then 31 March
    assert list(out["days_to_anniversary_year"]) == [356, 337]


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(_event, min_size=1, max_size=40))
def test_history_at_a_cutoff_reads_nothing_after_it_and_no_other_cutoff(rows):
    """Features at T from all the data and every cutoff equal those from the data up to T alone, at T alone."""
    events = _events(rows)
    full = features_from_frames(_customers(), events, NO_TICKETS, CUTOFFS, CFG)
    for cutoff in CUTOFFS:
        upto = events[events["timestamp"] < pd.Timestamp(cutoff) + pd.Timedelta(days=1)].reset_index(drop=True)
        alone = features_from_frames(_customers(), upto, NO_TICKETS, [cutoff], CFG)
        at = full[full["cutoff"] == cutoff].reset_index(drop=True)
        pd.testing.assert_frame_equal(at, alone.reset_index(drop=True), check_dtype=False)
    _compare(full, events)
