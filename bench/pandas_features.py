"""A plain pandas implementation of the features in ``features/build.py`` (benchmark baseline only).

It computes the same columns with the same point-in-time rules, cutoff by
cutoff, with ordinary pandas filters and group-bys on the raw rows. It exists
to be compared with the SQL: for speed (``bench/featurize.py`` prints the
ratio) and for values (the benchmark checks both agree on a sample). The
pipeline never imports it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from features.spec import FeatureConfig, slug

DAY = pd.Timedelta(days=1)


def _cycle(contract: pd.Series | None, index: pd.Index) -> pd.Series:
    if contract is None:
        return pd.Series(30, index=index)
    text = contract.astype("string").str.lower().fillna("")
    out = np.where(text.str.contains("two"), 730,
                   np.where(text.str.contains("annual") | text.str.contains("year"), 365, 30))
    return pd.Series(out, index=index)


def _longest_gap(act: pd.DataFrame, big: int) -> pd.Series:
    """Per customer: longest run of days without activity in the last ``big`` days (act: customer_id, age)."""
    act = act.sort_values(["customer_id", "age"])
    nxt = act.groupby("customer_id")["age"].shift(-1).fillna(big)
    gaps = (nxt - act["age"] - 1).groupby(act["customer_id"]).max()
    first = act.groupby("customer_id")["age"].min()
    return np.maximum(gaps, first)


def _add_months(start: pd.Series, months: pd.Series) -> pd.Series:
    """``start`` plus whole months, clipped to the month's end (31 January + 1 month = 29 February)."""
    total = start.dt.month - 1 + months
    year, month = start.dt.year + total // 12, total % 12 + 1
    first = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}))
    last_day = (first + pd.offsets.MonthEnd(0)).dt.day
    return first + pd.to_timedelta(np.minimum(start.dt.day, last_day) - 1, unit="D")


def _anniversaries(signup: pd.Series, c: pd.Timestamp, out: dict) -> None:
    """Days to the next monthly and yearly anniversary of the signup after the cutoff."""
    for name, step in (("days_to_anniversary_month", 1), ("days_to_anniversary_year", 12)):
        k = ((c.year - signup.dt.year) * 12 + (c.month - signup.dt.month)) // step
        at = _add_months(signup, k * step)
        after = _add_months(signup, (k + 1) * step)
        out[name] = (at.where(at > c, after) - c).dt.days


def _history(past: pd.DataFrame, cfg: FeatureConfig, c: pd.Timestamp, signup: pd.Series, out: dict) -> None:
    """Whole-history features: lifetime counts, value and recency per type; active days, gaps and the BTYD summary."""
    index = signup.index
    for t in cfg.event_types:
        s = slug(t)
        of_t = past[past["event_type"] == t].groupby("customer_id")
        out[f"events_{s}_count_all"] = of_t.size().reindex(index).fillna(0)
        if t in cfg.value_sum_event_types:
            total = of_t["value"].sum().reindex(index).fillna(0)
            out[f"events_{s}_value_sum_all"] = total
            out[f"events_{s}_value_per_day_all"] = total / of_t["day"].nunique().reindex(index)
        out[f"days_since_last_{s}_event"] = (c - of_t["day"].max().reindex(index)).dt.days
    active = past[past["active"]]
    days = active[["customer_id", "day"]].drop_duplicates().sort_values(["customer_id", "day"])
    gaps = days.groupby("customer_id")["day"].diff().dt.days
    by = days.groupby("customer_id")["day"]
    first, last = by.min().reindex(index), by.max().reindex(index)
    n_days = by.size().reindex(index).fillna(0)
    g = gaps.groupby(days["customer_id"])
    n_gaps, gap_sum = g.count().reindex(index).fillna(0), g.sum().reindex(index)
    gap_sq = (gaps * gaps).groupby(days["customer_id"]).sum().reindex(index)
    mean = gap_sum / n_gaps.replace(0, np.nan)
    out["events_total_count_all"] = active.groupby("customer_id").size().reindex(index).fillna(0)
    out["active_days_all"] = n_days
    out["repeat_active_days"] = np.maximum(n_days - 1, 0)
    out["activity_span_days"] = (last - first).dt.days
    out["days_since_first_activity"] = (c - first).dt.days
    out["gap_mean_days"] = mean
    out["gap_std_days"] = np.sqrt(np.maximum(gap_sq / n_gaps - mean ** 2, 0)).where(n_gaps > 1)
    out["gap_max_days"] = g.max().reindex(index)
    out["overdue_ratio"] = (c - last).dt.days / mean.replace(0, np.nan)
    out["activity_rate_per_day"] = n_days / ((c - signup).dt.days + 1)


def features_pandas(customers: pd.DataFrame, events: pd.DataFrame, tickets: pd.DataFrame,
                    cutoffs: list[dt.date], cfg: FeatureConfig) -> pd.DataFrame:
    """One row per active (customer, cutoff) with the columns of ``feature_sql``."""
    big = max(cfg.windows)
    dw = cfg.decline_window_days
    k = cfg.slope_weeks
    xbar = (k - 1) / 2.0
    sxx = sum((i - xbar) ** 2 for i in range(k))
    weeks_big = max(1, big // 7)
    passive = set(cfg.passive_event_types)
    active_types = [t for t in cfg.event_types if t not in passive]
    customers = customers.copy()
    customers["signup_date"] = pd.to_datetime(customers["signup_date"])
    customers["churn_date"] = pd.to_datetime(customers["churn_date"])
    ev_all = events.copy()
    ev_all["day"] = ev_all["timestamp"].dt.normalize()
    ev_all["active"] = ~ev_all["event_type"].isin(passive)
    tk_all = tickets.copy()
    frames = []
    for cutoff in sorted(cutoffs):
        c = pd.Timestamp(cutoff)
        end = c + DAY
        spine = customers[(customers["signup_date"] <= c) &
                          (customers["churn_date"].isna() | (customers["churn_date"] > c))].set_index("customer_id")
        index = spine.index
        out: dict[str, pd.Series] = {}   # columns, made a frame once (inserting them one by one fragments it)
        past = ev_all[ev_all["timestamp"] < end]
        ev = past[past["timestamp"] >= end - pd.Timedelta(days=cfg.lookback_days)].copy()
        ev["age"] = (c - ev["day"]).dt.days
        g = ev.groupby("customer_id")

        def count(mask: pd.Series, col: str | None = None,
                  ev: pd.DataFrame = ev, index: pd.Index = index) -> pd.Series:
            sel = ev[mask]
            s = sel.groupby("customer_id")[col].sum() if col else sel.groupby("customer_id").size()
            return s.reindex(index).fillna(0)

        for t in cfg.event_types:
            s = slug(t)
            for w in cfg.windows:
                out[f"events_{s}_count_{w}d"] = count((ev["event_type"] == t) & (ev["age"] < w))
            if t in cfg.value_sum_event_types:
                for w in cfg.windows:
                    out[f"events_{s}_value_sum_{w}d"] = count((ev["event_type"] == t) & (ev["age"] < w), "value")
        for w in cfg.windows:
            out[f"events_total_count_{w}d"] = count(ev["active"] & (ev["age"] < w))
        has_ev = index.isin(g.size().index)
        for s, mask in [(slug(t), ev["event_type"] == t) for t in active_types] + [("total", ev["active"])]:
            last = count(mask & (ev["age"] < dw))
            prev = count(mask & (ev["age"] >= dw) & (ev["age"] < 2 * dw))
            change = (last - prev) / prev.replace(0, np.nan)
            out[f"events_{s}_change_{dw}d_vs_prev_{dw}d"] = change.where(has_ev)
            out[f"events_{s}_diff_{dw}d_vs_prev_{dw}d"] = last - prev
        sel = ev[ev["active"] & (ev["age"] < 7 * k)]
        wgt = ((k - 1) - np.floor(sel["age"] / 7) - xbar)
        out[f"usage_weekly_slope_{7 * k}d"] = (wgt.groupby(sel["customer_id"]).sum() / sxx).reindex(index).fillna(0)
        for w in cfg.windows:
            sel = ev[ev["active"] & (ev["age"] < w)]
            out[f"active_days_{w}d"] = sel.groupby("customer_id")["age"].nunique().reindex(index).fillna(0)
            distinct = sel.groupby("customer_id")["event_type"].nunique()
            out[f"distinct_event_types_{w}d"] = distinct.reindex(index).fillna(0)
        sel = ev[ev["active"] & (ev["age"] < 7 * weeks_big)]
        weeks = np.floor(sel["age"] / 7).groupby(sel["customer_id"]).nunique()
        out[f"weeks_active_share_{7 * weeks_big}d"] = (weeks / weeks_big).reindex(index).fillna(0)
        act = ev.loc[ev["active"] & (ev["age"] < big), ["customer_id", "age"]].drop_duplicates()
        out[f"longest_gap_days_{big}d"] = _longest_gap(act, big).reindex(index).fillna(big)
        last_day = past[past["active"]].groupby("customer_id")["day"].max().reindex(index)
        out["days_since_last_event"] = (c - last_day).dt.days
        tenure = (c - spine["signup_date"]).dt.days
        out["tenure_days"] = tenure
        if cfg.contract_attribute and cfg.contract_attribute in cfg.attributes:
            cycle = _cycle(spine[cfg.contract_attribute], index)
            out["days_to_renewal"] = cycle - tenure % cycle

        rare = past[past["event_type"].isin([*cfg.fee_event_types, cfg.nps_event_type])]
        fee_ev = rare[rare["event_type"].isin(cfg.fee_event_types)].sort_values(["timestamp", "value"], kind="stable")
        plan = rare[rare["event_type"] == cfg.fee_event_types[0]]
        out["plan_changes_count"] = plan.groupby("customer_id").size().reindex(index).fillna(0)
        attr_fee = spine[cfg.fee_attribute] if cfg.fee_attribute in cfg.attributes else pd.Series(np.nan, index=index)
        fee_now = fee_ev.groupby("customer_id")["value"].last().reindex(index).fillna(attr_fee)
        old = fee_ev[fee_ev["timestamp"] < end - pd.Timedelta(days=big)]
        fee_then = old.groupby("customer_id")["value"].last().reindex(index).fillna(attr_fee)
        out["monthly_fee"] = fee_now
        out[f"price_change_pct_{big}d"] = (fee_now - fee_then) / fee_then.replace(0, np.nan)
        nps = rare[rare["event_type"] == cfg.nps_event_type].sort_values(["timestamp", "value"], kind="stable")
        nps = nps.groupby("customer_id")
        out["nps_last_score"] = nps["value"].last().reindex(index)
        out["days_since_last_nps"] = (c - nps["day"].last().reindex(index)).dt.days

        tk = tk_all[tk_all["opened_at"] < end].copy()
        tk["age"] = (c - tk["opened_at"].dt.normalize()).dt.days
        tk["known"] = tk["resolved_at"].notna() & (tk["resolved_at"] < end)
        took = np.where(tk["known"], (tk["resolved_at"] - tk["opened_at"]).dt.total_seconds(),
                        (end - tk["opened_at"]).dt.total_seconds()) / 3600.0
        tk["slow"] = took > cfg.slow_resolution_hours

        def tcount(mask: pd.Series, tk: pd.DataFrame = tk, index: pd.Index = index) -> pd.Series:
            return tk[mask].groupby("customer_id").size().reindex(index).fillna(0)

        for w in cfg.windows:
            out[f"tickets_count_{w}d"] = tcount(tk["age"] < w)
            for cat in cfg.ticket_categories:
                out[f"tickets_{slug(cat)}_count_{w}d"] = tcount((tk["age"] < w) & (tk["category"] == cat))
        out["days_since_last_ticket"] = tk.groupby("customer_id")["age"].min().reindex(index)
        out["tickets_open_count"] = tcount(~tk["known"])
        for w in cfg.windows:
            if w < 30:
                continue
            sat = tk[(tk["age"] < w) & tk["known"]].groupby("customer_id")["satisfaction"]
            out[f"satisfaction_mean_{w}d"] = sat.mean().reindex(index)
            out[f"satisfaction_min_{w}d"] = sat.min().reindex(index)
            out[f"tickets_slow_resolution_count_{w}d"] = tcount((tk["age"] < w) & tk["slow"])
            out[f"complaints_repeat_count_{w}d"] = np.maximum(
                tcount((tk["age"] < w) & (tk["category"] == cfg.complaint_category)) - 1, 0)
        if cfg.history:
            _history(past, cfg, c, spine["signup_date"], out)
        if cfg.calendar:
            _anniversaries(spine["signup_date"], c, out)
        for a in cfg.attributes:
            if a not in {"customer_id", "signup_date", "churn_date"} and a != cfg.fee_attribute:
                out[a] = spine[a]
        frame = pd.DataFrame(out, index=index)
        frame.insert(0, "cutoff", cutoff)
        frames.append(frame.reset_index())
    return pd.concat(frames, ignore_index=True)
