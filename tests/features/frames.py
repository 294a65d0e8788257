"""The features and labels of in-memory tables, on DuckDB, for tests on frames of a few rows."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from features.build import calendar_tables, feature_sql
from features.labels import label_calendar, label_sql
from features.spec import FeatureConfig


def features_from_frames(customers: pd.DataFrame, events: pd.DataFrame, tickets: pd.DataFrame,
                         cutoffs: list[dt.date], cfg: FeatureConfig) -> pd.DataFrame:
    """Compute the features for in-memory tables, with the featurize stage's SQL.

    Args:
        customers: validated customers (customer_id, signup_date, churn_date, attributes).
        events: validated events (customer_id, timestamp, event_type, value).
        tickets: validated tickets (customer_id, opened_at, category, resolved_at, satisfaction).
        cutoffs: observation dates.
        cfg: what to compute.

    Returns:
        One row per active (customer, cutoff), as the featurize stage writes it.
    """
    con = duckdb.connect()
    try:
        con.register("customers", customers)
        con.register("events", events)
        con.register("tickets", tickets)
        first_day = min(pd.to_datetime(customers["signup_date"]).min().date(), min(cutoffs))
        day_cutoff, day_bucket = calendar_tables(cutoffs, first_day, cfg.lookback_days)
        con.register("cutoffs", pd.DataFrame({"cutoff": sorted(set(cutoffs))}))
        con.register("day_cutoff", day_cutoff)
        con.register("day_bucket", day_bucket)
        sql, _ = feature_sql(cfg)
        out = con.sql(sql).df()
        out["cutoff"] = pd.to_datetime(out["cutoff"]).dt.date
        return out
    finally:
        con.close()


def labels_from_frames(customers: pd.DataFrame, events: pd.DataFrame | None, cutoffs: list[dt.date],
                       horizon_days: int, min_tenure_days: int = 0, mode: str = "churn_date",
                       active_lookback_days: int = 90, passive_event_types: tuple[str, ...] = ()) -> pd.DataFrame:
    """Compute the labels for in-memory tables, with the label stage's SQL.

    Args:
        customers: validated customers (customer_id, signup_date, churn_date).
        events: validated events (customer_id, timestamp, ...); only read in inactivity mode.
        cutoffs: fully labelled cutoffs.
        horizon_days: the label horizon H.
        min_tenure_days: eligibility's minimum tenure.
        mode: ``churn_date`` or ``inactivity``.
        active_lookback_days: inactivity mode's eligibility look-back.
        passive_event_types: event types that are not activity.

    Returns:
        (customer_id, cutoff, label) as the label stage writes it.
    """
    con = duckdb.connect()
    try:
        if "churn_date" not in customers.columns:
            customers = customers.assign(churn_date=pd.Series([None] * len(customers), dtype="datetime64[ns]",
                                                              index=customers.index))
        con.register("customers", customers)
        if events is None:
            events = pd.DataFrame({"customer_id": pd.Series(dtype=str), "timestamp": pd.Series(dtype="datetime64[ns]"),
                                   "event_type": pd.Series(dtype=str)})
        con.register("events", events)
        con.register("cutoffs", pd.DataFrame({"cutoff": sorted(set(cutoffs))}))
        con.register("label_days", label_calendar(cutoffs, horizon_days, active_lookback_days))
        out = con.sql(label_sql(horizon_days, min_tenure_days, mode=mode,
                                passive_event_types=passive_event_types)).df()
        out["cutoff"] = pd.to_datetime(out["cutoff"]).dt.date
        return out
    finally:
        con.close()
