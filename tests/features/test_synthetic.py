"""Tests of the synthetic customer world (features/synthetic/subscription/)."""

from __future__ import annotations

import calendar
import hashlib
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy.stats import chi2_contingency, mannwhitneyu

from features.catalog import FAMILIES
from features.synthetic.subscription import EVENT_TYPES, TICKET_CATEGORIES, SyntheticConfig
from features.synthetic.subscription.config import (
    BASE_LOGIT,
    CHANNEL_EFFECT,
    CHANNELS,
    DOWNGRADE,
    EARLY_LIFE,
    EARLY_LIFE_DAYS,
    PLAN_EFFECT,
    PLANS,
    REGION_EFFECT,
    REGIONS,
    RENEWAL_BOOST,
    UPGRADE,
)
from pipeline.stages.generate import write_world

RAW_FILES = ("customers.parquet", "events.parquet", "tickets.parquet")
TRUTH_FILES = ("oracle.parquet", "drivers.parquet", "drivers_at_cutoff.parquet")
TRUTH_NAMES = tuple(f.removesuffix(".parquet") for f in TRUTH_FILES)
H = 30
END = date(2024, 12, 31)


def _month_ends(first: date, last: date) -> list[date]:
    out = []
    y, m = first.year, first.month
    while True:
        d = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
        if d > last:
            return out
        out.append(d)
        y, m = y + (m == 12), m % 12 + 1


# month ends from mid-2023 to end of data, plus one cutoff after the as-of date (ignored)
CUTOFFS = _month_ends(date(2023, 6, 1), END) + [date(2025, 3, 31)]


def _run(root: Path, cfg: SyntheticConfig, cutoffs=CUTOFFS, horizon=H) -> dict:
    return write_world(root / "raw", root / "truth", cfg, cutoffs, horizon)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("world")
    summary = _run(root, SyntheticConfig(n_customers=8000, seed=7, chunk_customers=3000))
    con = duckdb.connect()
    for name in ("customers", "events", "tickets"):
        con.execute(f"create view {name} as select * from read_parquet('{root / 'raw' / name}.parquet')")
    for name in TRUTH_NAMES:
        con.execute(f"create view {name} as select * from read_parquet('{root / 'truth' / name}.parquet')")
    return {"root": root, "summary": summary, "con": con}


def _digest(root: Path) -> dict[str, str]:
    files = [root / "raw" / f for f in RAW_FILES] + [root / "truth" / f for f in TRUTH_FILES]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    pos, neg = scores[labels], scores[~labels]
    return float(mannwhitneyu(pos, neg).statistic / (pos.size * neg.size))


# --------------------------------------------------------------------------
# Determinism and files
# --------------------------------------------------------------------------
def test_determinism_same_config_same_bytes(tmp_path):
    cfg = SyntheticConfig(n_customers=1500, seed=3, chunk_customers=600)
    _run(tmp_path / "a", cfg)
    _run(tmp_path / "b", cfg)
    _run(tmp_path / "c", SyntheticConfig(n_customers=1500, seed=3, chunk_customers=600, workers=2))
    _run(tmp_path / "d", SyntheticConfig(n_customers=1500, seed=4, chunk_customers=600))
    a, b, c, d = (_digest(tmp_path / x) for x in "abcd")
    assert a == b
    assert a == c, "the number of worker processes must not change the output"
    for name in RAW_FILES + TRUTH_FILES:
        assert a[name] != d[name], f"{name} identical for another seed"


def test_outputs_complete_and_no_temporary_files(world):
    root = world["root"]
    assert sorted(p.name for p in (root / "raw").iterdir()) == sorted(RAW_FILES)
    assert sorted(p.name for p in (root / "truth").iterdir()) == sorted(TRUTH_FILES)
    s = world["summary"]
    assert s["n_customers"] == 8000
    assert s["n_events"] == pq.ParquetFile(root / "raw" / "events.parquet").metadata.num_rows
    # ~100 events per customer with the default rates, 2-4 % churn a month
    assert 70 <= s["events_per_customer"] <= 140
    assert 0.02 <= s["churn_rate_monthly"] <= 0.04


def test_bad_config_is_rejected():
    with pytest.raises(ValueError):
        SyntheticConfig(n_customers=0)
    with pytest.raises(ValueError):
        SyntheticConfig(start_date=date(2024, 1, 1), end_date=date(2023, 1, 1))
    with pytest.raises(ValueError):
        SyntheticConfig(price_increases=((date(2024, 1, 1), "gold", 0.1),))


# --------------------------------------------------------------------------
# Data contract
# --------------------------------------------------------------------------
EXPECTED_SCHEMAS = {
    "customers": {
        "customer_id": pa.string(),
        "signup_date": pa.date32(),
        "churn_date": pa.date32(),
        "plan": pa.string(),
        "monthly_fee": pa.float64(),
        "contract": pa.string(),
        "channel": pa.string(),
        "region": pa.string(),
        "favourite_colour": pa.string(),
    },
    "events": {
        "customer_id": pa.string(),
        "timestamp": pa.timestamp("us"),
        "event_type": pa.string(),
        "value": pa.float64(),
    },
    "tickets": {
        "customer_id": pa.string(),
        "opened_at": pa.timestamp("us"),
        "category": pa.string(),
        "resolved_at": pa.timestamp("us"),
        "satisfaction": pa.int64(),
    },
    "oracle": {"customer_id": pa.string(), "cutoff": pa.date32(), "oracle_probability": pa.float64(),
               "oracle_probability_frozen": pa.float64()},
    "drivers": {"customer_id": pa.string(), "dominant_driver": pa.string()},
    "drivers_at_cutoff": {"customer_id": pa.string(), "cutoff": pa.date32(), **{f: pa.float64() for f in FAMILIES},
                          "true_driver": pa.string()},
}


@pytest.mark.parametrize("name", sorted(EXPECTED_SCHEMAS))
def test_schema(world, name):
    folder = "truth" if name in TRUTH_NAMES else "raw"
    schema = pq.read_schema(world["root"] / folder / f"{name}.parquet")
    assert {f.name: f.type for f in schema} == EXPECTED_SCHEMAS[name]


def test_customers(world):
    con = world["con"]
    n, n_ids, bad_id = con.execute(
        "select count(*), count(distinct customer_id), "
        "count(*) filter (where not regexp_full_match(customer_id, 'C[0-9]{7}')) from customers"
    ).fetchone()
    assert n == n_ids == 8000 and bad_id == 0
    bad = con.execute(
        """select count(*) from customers where signup_date < date '2023-01-01' or signup_date > date '2024-12-31'
           or churn_date <= signup_date or churn_date > date '2024-12-31' or monthly_fee <= 0
           or plan not in ('basic', 'standard', 'premium') or contract not in ('monthly', 'annual')
           or channel is null or region is null or favourite_colour is null"""
    ).fetchone()[0]
    assert bad == 0
    n_churned = con.execute("select count(churn_date) from customers").fetchone()[0]
    assert 0 < n_churned < n


def test_events_within_customer_lifetime(world):
    con = world["con"]
    bad = con.execute(
        """select count(*) from events e join customers c using (customer_id)
           where e.timestamp < c.signup_date
              or e.timestamp >= coalesce(c.churn_date, date '2024-12-31') + 1
              or e.timestamp >= date '2025-01-01' or not isfinite(e.value)"""
    ).fetchone()[0]
    assert bad == 0
    orphans = con.execute("select count(*) from events anti join customers using (customer_id)").fetchone()[0]
    assert orphans == 0
    types = {r[0] for r in con.execute("select distinct event_type from events").fetchall()}
    assert types == set(EVENT_TYPES)
    nps_bad = con.execute(
        "select count(*) from events where event_type = 'nps' and (value < 0 or value > 10 or value != round(value))"
    ).fetchone()[0]
    assert nps_bad == 0
    sess_bad = con.execute("select count(*) from events where event_type = 'session' and value <= 0").fetchone()[0]
    assert sess_bad == 0


def test_events_sorted_by_customer_and_time(world):
    t = pq.read_table(world["root"] / "raw" / "events.parquet", columns=["customer_id", "timestamp"])
    ids = t["customer_id"].to_numpy(zero_copy_only=False)
    ts = t["timestamp"].to_numpy()
    same = ids[1:] == ids[:-1]
    assert (ids[1:] >= ids[:-1]).all()
    assert (ts[1:][same] >= ts[:-1][same]).all()


def test_tickets_valid(world):
    con = world["con"]
    bad = con.execute(
        """select count(*) from tickets t join customers c using (customer_id)
           where t.opened_at < c.signup_date
              or t.opened_at >= coalesce(c.churn_date, date '2024-12-31') + 1
              or t.resolved_at < t.opened_at
              or t.resolved_at >= date '2025-01-01'
              or t.satisfaction < 1 or t.satisfaction > 5
              or (t.resolved_at is null and t.satisfaction is not null)
              or t.category is null"""
    ).fetchone()[0]
    assert bad == 0
    cats = {r[0] for r in con.execute("select distinct category from tickets").fetchall()}
    assert cats == set(TICKET_CATEGORIES)
    n_open, n_unrated = con.execute(
        "select count(*) filter (where resolved_at is null), "
        "count(*) filter (where resolved_at is not null and satisfaction is null) from tickets"
    ).fetchone()
    assert n_open > 0 and n_unrated > 0


def test_price_change_and_plan_change_values_are_fees(world):
    con = world["con"]
    rows = con.execute(
        """with ev as (
             select e.customer_id, e.timestamp, e.event_type, e.value,
                    coalesce(lag(e.value) over (partition by e.customer_id order by e.timestamp),
                             c.monthly_fee) as prev_fee
             from events e join customers c using (customer_id)
             where e.event_type in ('price_change', 'plan_change'))
           select count(*) filter (where event_type = 'price_change'),
                  count(*) filter (where event_type = 'price_change' and value <= prev_fee),
                  count(*) filter (where event_type = 'price_change' and cast(timestamp as date) != date '2024-04-01')
           from ev"""
    ).fetchone()
    n_price, not_increase, wrong_day = rows
    assert n_price > 0 and not_increase == 0 and wrong_day == 0


def test_weekends_quieter_and_onboarding_ramp(world):
    con = world["con"]
    weekday, weekend = con.execute(
        """select count(*) filter (where isodow(timestamp) <= 5) / 5.0,
                  count(*) filter (where isodow(timestamp) > 5) / 2.0
           from events where event_type in ('login', 'session', 'feature_use')"""
    ).fetchone()
    assert weekend < 0.8 * weekday
    first, later = con.execute(
        """select count(*) filter (where e.timestamp < c.signup_date + 7),
                  count(*) filter (where e.timestamp >= c.signup_date + 35 and e.timestamp < c.signup_date + 42)
           from events e join customers c using (customer_id)
           where c.signup_date <= date '2024-10-01' and (c.churn_date is null or c.churn_date > c.signup_date + 42)
             and e.event_type in ('login', 'session', 'feature_use')"""
    ).fetchone()
    assert first < 0.75 * later


# --------------------------------------------------------------------------
# Churn depends on behaviour
# --------------------------------------------------------------------------
def _panel(con, extra: str) -> "np.ndarray":
    """(feature, label) over active monthly customers and the cutoffs with a full horizon."""
    return con.execute(
        f"""with cut as (select distinct cutoff from oracle where cutoff + {H} <= date '2024-12-31'),
           act as (
             select c.customer_id, k.cutoff,
                    (c.churn_date is not null and c.churn_date <= k.cutoff + {H}) as churned
             from customers c, cut k
             where c.signup_date <= k.cutoff - 60 and (c.churn_date is null or c.churn_date > k.cutoff))
           select {extra}, churned from act"""
    ).fetchnumpy()


def test_usage_decline_precedes_churn(world):
    con = world["con"]
    con.execute(
        f"""create or replace temp table usage_win as
           with cut as (select distinct cutoff from oracle where cutoff + {H} <= date '2024-12-31')
           select e.customer_id, k.cutoff,
                  count(*) filter (where e.timestamp >= k.cutoff - 29) as last30,
                  count(*) filter (where e.timestamp < k.cutoff - 29) as prev30
           from events e, cut k
           where e.timestamp >= k.cutoff - 59 and e.timestamp < k.cutoff + 1
             and e.event_type in ('login', 'session', 'feature_use')
           group by all"""
    )
    out = _panel(
        con,
        """(select coalesce(any_value(u.last30), 0) < 0.5 * coalesce(any_value(u.prev30), 0)
            from usage_win u where u.customer_id = act.customer_id and u.cutoff = act.cutoff) as fell""",
    )
    fell = out["fell"].astype(bool)
    y = out["churned"].astype(bool)
    assert fell.sum() > 200
    rate_fell, rate_rest = y[fell].mean(), y[~fell].mean()
    assert rate_fell > 1.5 * rate_rest, (rate_fell, rate_rest)


def test_complainers_churn_more(world):
    out = _panel(
        world["con"],
        """exists (select 1 from tickets t where t.customer_id = act.customer_id and t.category = 'complaint'
                   and t.opened_at >= act.cutoff - 59 and t.opened_at < act.cutoff + 1) as complained""",
    )
    c = out["complained"].astype(bool)
    y = out["churned"].astype(bool)
    assert c.sum() > 100
    assert y[c].mean() > 1.3 * y[~c].mean(), (y[c].mean(), y[~c].mean())


def test_payment_failures_raise_churn(world):
    out = _panel(
        world["con"],
        """exists (select 1 from events e where e.customer_id = act.customer_id and e.event_type = 'payment_failed'
                   and e.timestamp >= act.cutoff - 29 and e.timestamp < act.cutoff + 1) as failed""",
    )
    f = out["failed"].astype(bool)
    y = out["churned"].astype(bool)
    assert f.sum() > 50
    assert y[f].mean() > 1.5 * y[~f].mean()


def test_no_effect_attribute_has_no_effect(world):
    con = world["con"]
    table = np.array(
        con.execute(
            """select count(*) filter (where churn_date is not null), count(*) filter (where churn_date is null)
               from customers group by favourite_colour order by favourite_colour"""
        ).fetchall()
    )
    assert table.shape == (5, 2)
    assert chi2_contingency(table).pvalue > 0.001
    # while the acquisition channel does matter, and much more
    channel = np.array(
        con.execute(
            """select count(*) filter (where churn_date is not null), count(*) filter (where churn_date is null)
               from customers group by channel order by channel"""
        ).fetchall()
    )
    assert chi2_contingency(channel).pvalue < 1e-6

    def spread(t: np.ndarray) -> float:
        rate = t[:, 0] / t.sum(axis=1)
        return float(rate.max() - rate.min())

    assert spread(table) < 0.6 * spread(channel)


def test_annual_customers_churn_near_renewal(world):
    con = world["con"]
    near, total = con.execute(
        """select count(*) filter (where abs(date_diff('day', signup_date, churn_date)
                                             - 365.25 * round(date_diff('day', signup_date, churn_date) / 365.25)) <= 3
                                     and date_diff('day', signup_date, churn_date) > 300),
                  count(*)
           from customers where contract = 'annual' and churn_date is not null"""
    ).fetchone()
    assert total > 20 and near > 0.6 * total


# --------------------------------------------------------------------------
# Ground truth
# --------------------------------------------------------------------------
def test_oracle_covers_exactly_the_active_customers(world):
    con = world["con"]
    cutoffs = [c for c in CUTOFFS if c <= END]
    got = {r[0] for r in con.execute("select distinct cutoff from oracle").fetchall()}
    assert got <= set(cutoffs) and len(got) >= len(cutoffs) - 1  # the first may have no customer
    missing, extra, dup = con.execute(
        """with cut as (select unnest(?::date[]) as cutoff),
           act as (select c.customer_id, k.cutoff from customers c, cut k
                   where c.signup_date <= k.cutoff and (c.churn_date is null or c.churn_date > k.cutoff))
           select (select count(*) from (select * from act except select customer_id, cutoff from oracle)),
                  (select count(*) from (select customer_id, cutoff from oracle except select * from act)),
                  (select count(*) - count(distinct (customer_id, cutoff)) from oracle)""",
        [cutoffs],
    ).fetchone()
    assert (missing, extra, dup) == (0, 0, 0)
    lo, hi = con.execute("select min(oracle_probability), max(oracle_probability) from oracle").fetchone()
    assert 0.0 < lo and hi < 1.0
    lo, hi = con.execute("select min(oracle_probability_frozen), max(oracle_probability_frozen) from oracle").fetchone()
    assert 0.0 < lo and hi < 1.0


def test_oracle_ranks_real_outcomes(world):
    out = world["con"].execute(
        f"""select o.oracle_probability as p,
                  (c.churn_date is not null and c.churn_date <= o.cutoff + {H}) as y
           from oracle o join customers c using (customer_id)
           where o.cutoff + {H} <= date '2024-12-31'"""
    ).fetchnumpy()
    y = out["y"].astype(bool)
    assert _auc(out["p"], y) > 0.7
    # roughly calibrated: mean probability within a factor 1.5 of the churn rate
    assert 1 / 1.5 < out["p"].mean() / y.mean() < 1.5


def test_drivers_for_every_churned_customer(world):
    con = world["con"]
    missing, extra, dup = con.execute(
        """select (select count(*) from customers c where churn_date is not null
                   and not exists (select 1 from drivers d where d.customer_id = c.customer_id)),
                  (select count(*) from drivers d join customers c using (customer_id) where c.churn_date is null),
                  (select count(*) - count(distinct customer_id) from drivers)"""
    ).fetchone()
    assert (missing, extra, dup) == (0, 0, 0)
    values = {r[0] for r in con.execute("select distinct dominant_driver from drivers").fetchall()}
    assert values <= set(FAMILIES)
    assert len(values) >= 5  # a varied world, not one dominant story


def test_cutoff_on_last_day_of_a_whole_number_of_weeks(tmp_path):
    # 91 days = 13 whole weeks: the cutoff on the last day falls just after the last week
    cfg = SyntheticConfig(n_customers=400, start_date=date(2024, 1, 1), end_date=date(2024, 3, 31), seed=1)
    _run(tmp_path, cfg, cutoffs=[date(2024, 2, 29), date(2024, 3, 31)], horizon=14)
    con = duckdb.connect()
    c = f"read_parquet('{tmp_path / 'raw' / 'customers.parquet'}')"
    o = f"read_parquet('{tmp_path / 'truth' / 'oracle.parquet'}')"
    expected = con.execute(
        f"select count(*) from {c} where churn_date is null or churn_date > date '2024-03-31'"
    ).fetchone()[0]
    got = con.execute(f"select count(*) from {o} where cutoff = date '2024-03-31'").fetchone()[0]
    assert got == expected > 0


# --------------------------------------------------------------------------
# Drivers at the cutoffs
# --------------------------------------------------------------------------
def _truth_frame(root: Path) -> pd.DataFrame:
    """drivers_at_cutoff joined with the customers and the oracle, with day indices and the renewal in the horizon."""
    start = SyntheticConfig().start_date
    dac = pq.read_table(root / "truth" / "drivers_at_cutoff.parquet").to_pandas()
    cust = pq.read_table(root / "raw" / "customers.parquet",
                         columns=["customer_id", "signup_date", "plan", "contract", "channel", "region"]).to_pandas()
    orc = pq.read_table(root / "truth" / "oracle.parquet").to_pandas()
    df = dac.merge(cust, on="customer_id", how="left", validate="many_to_one")
    df = df.merge(orc, on=["customer_id", "cutoff"], how="left", validate="one_to_one")
    df["sd"] = [(d - start).days for d in df["signup_date"]]
    df["cd"] = [(d - start).days for d in df["cutoff"]]

    # the next renewal of an annual customer: the first anniversary of the signup after the cutoff
    # (day of month clipped to the month's length, i.e. 29 Feb -> 28 Feb)
    def next_anniversary(s: date, d: date) -> int:
        for k in range(1, 10):
            y = s.year + k
            a = date(y, s.month, min(s.day, calendar.monthrange(y, s.month)[1]))
            if a > d:
                return (a - start).days
        raise AssertionError("no anniversary")

    annual = (df["contract"] == "annual").to_numpy()
    rn = np.full(len(df), -1, dtype=np.int64)
    rn[annual] = [next_anniversary(s, d) for s, d in zip(df["signup_date"][annual], df["cutoff"][annual])]
    df["rn"] = rn
    df["renews"] = annual & (rn > df["cd"].to_numpy()) & (rn <= df["cd"].to_numpy() + H)
    return df


@pytest.fixture(scope="module")
def truth(world) -> pd.DataFrame:
    return _truth_frame(world["root"])


def test_drivers_at_cutoff_one_row_per_oracle_row_and_relative_true_driver(world, truth):
    root = world["root"]
    dac = pq.read_table(root / "truth" / "drivers_at_cutoff.parquet")
    orc = pq.read_table(root / "truth" / "oracle.parquet")
    assert dac.num_rows == orc.num_rows > 10_000
    # the same (customer, cutoff) pairs, even in the same order
    assert dac["customer_id"].equals(orc["customer_id"]) and dac["cutoff"].equals(orc["cutoff"])
    assert list(dac.column_names) == ["customer_id", "cutoff", *FAMILIES, "true_driver"]
    values = np.stack([truth[f].to_numpy() for f in FAMILIES], axis=1)
    assert np.isfinite(values).all()
    assert truth["contract"].notna().all() and truth["oracle_probability"].notna().all()
    # the reference: the mean over *all* the world's customers active at the cutoff with the same contract
    # (the world has 3 chunks, so a chunk's mean would not do)
    ref = truth.groupby(["cutoff", "contract"])[list(FAMILIES)].transform("mean").to_numpy()
    rel = values - ref
    expected = np.argmax(rel, axis=1)
    got = truth["true_driver"].map({f: i for i, f in enumerate(FAMILIES)}).to_numpy()
    top2 = np.sort(rel, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 1e-9  # not a tie up to the rounding of the means
    assert clear.mean() > 0.99
    assert (got[clear] == expected[clear]).all()
    assert (rel[np.arange(len(rel)), got] >= rel.max(axis=1) - 1e-9).all()
    # every family is somebody's driver, and the summary counts the file's rows
    counts = truth["true_driver"].value_counts()
    assert set(counts.index) == set(FAMILIES)
    assert world["summary"]["true_drivers_at_cutoff"] == {f: int(counts[f]) for f in FAMILIES}


def test_drivers_at_cutoff_are_the_oracle_hazard(truth):
    """Rebuild the frozen oracle probability from the contributions alone: base + the six families is the hazard
    logit of the first horizon week (the week containing D + 1), the renewal is in ``tenure``."""
    df = truth
    sd, cd, rn = df["sd"].to_numpy(), df["cd"].to_numpy(), df["rn"].to_numpy()
    renews = df["renews"].to_numpy()
    contrib = np.stack([df[f].to_numpy() for f in FAMILIES])
    assert renews.sum() > 100

    def early(tenure):
        return EARLY_LIFE * np.exp(-np.maximum(0, tenure) / EARLY_LIFE_DAYS)

    early0 = early(7 * ((cd + 1) // 7) - sd)
    # tenure = early life at the start of the cutoff's week + recent down/upgrade + the renewal in the horizon
    rest = df["tenure"].to_numpy() - early0 - RENEWAL_BOOST * renews
    plan_terms = np.array([0.0, DOWNGRADE, UPGRADE, DOWNGRADE + UPGRADE])
    assert (np.abs(rest[:, None] - plan_terms[None, :]).min(axis=1) < 1e-9).all()
    # attributes: channel + region + plan at signup
    attr = (CHANNEL_EFFECT[df["channel"].map(CHANNELS.index).to_numpy()]
            + REGION_EFFECT[df["region"].map(REGIONS.index).to_numpy()]
            + PLAN_EFFECT[df["plan"].map(PLANS.index).to_numpy()])
    assert np.allclose(df["attributes"].to_numpy(), attr, rtol=0, atol=1e-12)
    assert (df["usage"] >= 0).all() and (df["billing"] >= 0).all()
    # the oracle from the contributions
    base = BASE_LOGIT[(df["contract"] == "annual").to_numpy().astype(int)]
    lg_static = base + contrib.sum(axis=0) - RENEWAL_BOOST * renews - early0
    log_surv = np.zeros(len(df))
    for d in np.unique(cd):
        m = cd == d
        for k in range((d + 1) // 7, (d + H) // 7 + 1):
            a, b = max(d + 1, 7 * k), min(d + H, 7 * k + 6)
            lg = lg_static[m] + early(7 * k - sd[m])
            q = 1.0 - (1.0 - 1.0 / (1.0 + np.exp(-lg))) ** ((b - a + 1) / 7.0)
            ren = renews[m] & (rn[m] >= a) & (rn[m] <= b)
            q = np.where(ren, 1.0 / (1.0 + np.exp(-(lg + RENEWAL_BOOST))), q)
            log_surv[m] += np.log1p(-q)
    prob = -np.expm1(log_surv)
    oracle = df["oracle_probability_frozen"].to_numpy()
    assert np.allclose(prob, oracle, rtol=1e-9, atol=1e-15), np.abs(prob / oracle - 1).max()


def test_renewal_in_the_horizon_counts_for_tenure(truth):
    annual = truth[truth["contract"] == "annual"]
    renews = annual["renews"].to_numpy()
    tenure = annual["tenure"].to_numpy()
    assert 100 < renews.sum() < 0.5 * renews.size
    # the renewal's log-odds is in tenure: every renewing annual customer above every other annual customer
    assert tenure[renews].min() > tenure[~renews].max()
    # and it is their true driver, against the annual customers' reference
    assert (annual["true_driver"][renews] == "tenure").mean() > 0.95


def test_drivers_at_cutoff_same_bytes_for_any_number_of_workers(tmp_path):
    digests = []
    for name, workers in (("a", 1), ("b", 2)):
        _run(tmp_path / name, SyntheticConfig(n_customers=1500, seed=3, chunk_customers=600, workers=workers))
        path = tmp_path / name / "truth" / "drivers_at_cutoff.parquet"
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    assert pq.ParquetFile(tmp_path / "a" / "truth" / "drivers_at_cutoff.parquet").metadata.num_rows > 0


def test_drivers_at_cutoff_empty_without_cutoffs(tmp_path):
    summary = _run(tmp_path, SyntheticConfig(n_customers=300, seed=1), cutoffs=[date(2026, 1, 31)])
    t = pq.read_table(tmp_path / "truth" / "drivers_at_cutoff.parquet")
    assert t.num_rows == 0 and {f.name: f.type for f in t.schema} == EXPECTED_SCHEMAS["drivers_at_cutoff"]
    assert summary["true_drivers_at_cutoff"] == {f: 0 for f in FAMILIES}
