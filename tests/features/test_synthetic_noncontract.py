"""Tests of the non-contract (retail) synthetic world (features/synthetic/noncontract/).

The oracle is checked against the realised outcomes of the generated tables
and against BG/NBD with the true parameters, computed here from the paper's
formula (Fader, Hardie and Lee 2005, "Counting your customers the easy way").
"""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy.stats import rankdata

from features.catalog import FAMILIES
from features.synthetic.noncontract import (
    ACTIVITY_EVENT_TYPES,
    EVENT_TYPES,
    PASSIVE_EVENT_TYPES,
    RAW_TABLES,
    SCHEMAS,
    TICKET_CATEGORIES,
    TRUTH_TABLES,
    NonContractConfig,
    NonContractSimulation,
)

H = 90
END = date(2024, 12, 31)
LOOKBACK = 90
USAGE_CLIP = 5.0


def _month_ends(first: date, last: date) -> list[date]:
    out, y, m = [], first.year, first.month
    while True:
        d = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
        if d > last:
            return out
        out.append(d)
        y, m = y + (m == 12), m % 12 + 1


# month ends from mid-2023 to the end of the data, plus one after the as-of date (ignored)
CUTOFFS = _month_ends(date(2023, 6, 1), END) + [date(2025, 3, 31)]
LABELLED = [c for c in CUTOFFS if c + timedelta(days=H) <= END]


def _simulate(cfg: NonContractConfig, cutoffs=CUTOFFS, horizon=H) -> tuple[dict[str, pa.Table], dict]:
    sim = NonContractSimulation(cfg, cutoffs, horizon)
    parts: dict[str, list[pa.Table]] = {}
    for name, table in sim.tables():
        parts.setdefault(name, []).append(table)
    tables = {name: pa.concat_tables(parts[name]) if name in parts else SCHEMAS[name].empty_table()
              for name in SCHEMAS}
    return tables, sim.summary()


def _digests(tables: dict[str, pa.Table]) -> dict[str, str]:
    out = {}
    for name, table in tables.items():
        buf = io.BytesIO()
        pq.write_table(table, buf)
        out[name] = hashlib.sha256(buf.getvalue()).hexdigest()
    return out


def bgnbd_no_purchase(cfg: NonContractConfig, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray,
                      horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """BG/NBD with the true parameters: P(alive) and P(no purchase in the next ``horizon`` days).

    P(alive | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x)) ** (r + x)) and,
    given alive, lambda ~ Gamma(r + x, alpha + T), so
    P(no purchase in t | alive) = ((alpha + T) / (alpha + T + t)) ** (r + x).
    """
    r, alpha, a, b = cfg.r, cfg.alpha, cfg.a, cfg.b
    odds = a / np.maximum(b + x - 1.0, 1e-12) * ((alpha + big_t) / (alpha + t_x)) ** (r + x)
    p_alive = np.where(x > 0, 1.0 / (1.0 + odds), 1.0)
    return p_alive, 1.0 - p_alive + p_alive * ((alpha + big_t) / (alpha + big_t + horizon)) ** (r + x)


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    ranks = rankdata(scores)
    n_pos, n_neg = labels.sum(), (~labels).sum()
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _connect(tables: dict[str, pa.Table], cutoffs: list[date]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, table in tables.items():
        con.register(name, table)
    con.register("cutoffs", pa.table({"cutoff": pa.array(cutoffs, type=pa.date32())}))
    return con


def _eligible_and_outcomes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per cutoff, the customers eligible by the inactivity rule, their BG/NBD summary and the realised label.

    Computed from the events alone: eligible = first purchase by D and an activity event in the 90 days up to
    and including D; label ``y`` = no activity event in (D, D + H].
    """
    activity = ", ".join(f"'{t}'" for t in ACTIVITY_EVENT_TYPES)
    return con.execute(f"""
        WITH k AS (SELECT cutoff, CAST(cutoff AS TIMESTAMP) + INTERVAL 1 DAY AS cend FROM cutoffs),
        act AS (SELECT customer_id, timestamp AS ts, event_type FROM events WHERE event_type IN ({activity})),
        hist AS (
            SELECT a.customer_id, k.cutoff, any_value(k.cend) AS cend,
                   count(*) FILTER (WHERE a.event_type = 'purchase') - 1 AS x,
                   min(a.ts) AS first_ts, max(a.ts) AS last_ts
            FROM act a JOIN k ON a.ts < k.cend GROUP BY a.customer_id, k.cutoff),
        later AS (
            SELECT DISTINCT a.customer_id, k.cutoff FROM act a JOIN k
            ON a.ts >= k.cend AND a.ts < k.cend + INTERVAL {H} DAY)
        SELECT h.customer_id, h.cutoff, h.x,
               (epoch(h.last_ts) - epoch(h.first_ts)) / 86400.0 AS t_x,
               (epoch(h.cend) - epoch(h.first_ts)) / 86400.0 AS big_t,
               l.customer_id IS NULL AS y
        FROM hist h JOIN customers c USING (customer_id)
        LEFT JOIN later l ON l.customer_id = h.customer_id AND l.cutoff = h.cutoff
        WHERE c.signup_date <= h.cutoff AND h.last_ts >= h.cend - INTERVAL {LOOKBACK} DAY
        ORDER BY h.cutoff, h.customer_id
    """).df()


def _world(cfg: NonContractConfig) -> dict:
    tables, summary = _simulate(cfg)
    con = _connect(tables, [c for c in CUTOFFS if c <= END])
    elig = _eligible_and_outcomes(con)
    elig["cutoff"] = pd.to_datetime(elig["cutoff"]).dt.date
    truth = tables["oracle"].to_pandas().merge(tables["drivers_at_cutoff"].to_pandas(), on=["customer_id", "cutoff"])
    rows = elig.merge(truth, on=["customer_id", "cutoff"], how="outer", indicator=True)
    x, t_x, big_t = rows["x"].to_numpy(float), rows["t_x"].to_numpy(float), rows["big_t"].to_numpy(float)
    rows["bg_alive"], rows["bg"] = bgnbd_no_purchase(cfg, x, t_x, big_t, H)
    return {"cfg": cfg, "tables": tables, "summary": summary, "con": con, "rows": rows}


@pytest.fixture(scope="module")
def pure() -> dict:
    return _world(NonContractConfig(n_customers=12_000, seed=21, behaviour=0.0))


@pytest.fixture(scope="module")
def behavioural() -> dict:
    return _world(NonContractConfig(n_customers=12_000, seed=22, behaviour=1.0))


@pytest.fixture(params=["pure", "behavioural"])
def any_world(request) -> dict:
    return request.getfixturevalue(request.param)


def _labelled(world: dict) -> pd.DataFrame:
    rows = world["rows"]
    return rows[rows["cutoff"].isin(LABELLED)]


# --------------------------------------------------------------------------
# Determinism and config
# --------------------------------------------------------------------------
def test_determinism_and_worker_independence():
    base = dict(n_customers=2000, seed=3, chunk_customers=700)
    a = _digests(_simulate(NonContractConfig(**base))[0])
    b = _digests(_simulate(NonContractConfig(**base))[0])
    c = _digests(_simulate(NonContractConfig(**base, workers=2))[0])
    d = _digests(_simulate(NonContractConfig(**{**base, "seed": 4}))[0])
    assert a == b
    assert a == c, "the number of worker processes must not change the output"
    for name in SCHEMAS:
        assert a[name] != d[name], f"{name} identical for another seed"


def test_bad_config_is_rejected():
    for bad in (dict(n_customers=0), dict(start_date=date(2024, 1, 1), end_date=date(2023, 1, 1)),
                dict(r=0.0), dict(alpha=-1.0), dict(a=float("nan")), dict(b=0.0), dict(behaviour=-0.1),
                dict(chunk_customers=0), dict(workers=-1),
                dict(price_increases=((date(2024, 1, 1), "mars", 0.1),))):
        with pytest.raises(ValueError):
            NonContractConfig(**bad)
    with pytest.raises(ValueError):
        NonContractSimulation(NonContractConfig(n_customers=10), CUTOFFS, 0)


# --------------------------------------------------------------------------
# Data contract
# --------------------------------------------------------------------------
EXPECTED_SCHEMAS = {
    "customers": {"customer_id": pa.string(), "signup_date": pa.date32(), "channel": pa.string(),
                  "region": pa.string(), "loyalty_member": pa.bool_(), "favourite_colour": pa.string()},
    "events": {"customer_id": pa.string(), "timestamp": pa.timestamp("us"), "event_type": pa.string(),
               "value": pa.float64()},
    "tickets": {"customer_id": pa.string(), "opened_at": pa.timestamp("us"), "category": pa.string(),
                "resolved_at": pa.timestamp("us"), "satisfaction": pa.int64()},
    "oracle": {"customer_id": pa.string(), "cutoff": pa.date32(), "oracle_probability": pa.float64()},
    "drivers": {"customer_id": pa.string(), "dominant_driver": pa.string()},
    "drivers_at_cutoff": {"customer_id": pa.string(), "cutoff": pa.date32(), **{f: pa.float64() for f in FAMILIES},
                          "true_driver": pa.string()},
}


def test_schemas(behavioural):
    assert set(RAW_TABLES) | set(TRUTH_TABLES) == set(SCHEMAS) == set(EXPECTED_SCHEMAS)
    for name, expected in EXPECTED_SCHEMAS.items():
        assert {f.name: f.type for f in SCHEMAS[name]} == expected, name
        assert behavioural["tables"][name].schema.equals(SCHEMAS[name]), name
        assert behavioural["tables"][name].num_rows > 0, name


def test_customers_in_first_purchase_order(behavioural):
    con = behavioural["con"]
    n, n_ids, bad_id = con.execute(
        "select count(*), count(distinct customer_id), "
        "count(*) filter (where not regexp_full_match(customer_id, 'R[0-9]{7}')) from customers").fetchone()
    assert n == n_ids == 12_000 and bad_id == 0
    first = con.execute("""
        select c.customer_id, c.signup_date, min(e.timestamp) as first_ts,
               arg_min(e.event_type, e.timestamp) as first_type
        from customers c join events e using (customer_id) where e.event_type = 'purchase'
        group by all order by c.customer_id""").df()
    assert len(first) == n, "every customer has a first purchase"
    assert (pd.to_datetime(first["signup_date"]) == first["first_ts"].dt.floor("D")).all()
    assert first["first_ts"].is_monotonic_increasing, "ids follow the first-purchase order"
    before = con.execute("""select count(*) from events e join customers c using (customer_id)
                            where e.timestamp < c.signup_date""").fetchone()[0]
    assert before == 0
    assert con.execute("select count(*) from customers where channel is null or region is null "
                       "or loyalty_member is null or favourite_colour is null").fetchone()[0] == 0


def test_events_within_each_customers_life():
    """Nothing before the first purchase or after the data; purchases stop at the hidden death."""
    from features.synthetic.noncontract.simulate import simulate_chunk
    from features.synthetic.noncontract.world import first_purchase_seconds, make_world

    cfg = NonContractConfig(n_customers=3000, seed=5)
    world = make_world(cfg)
    res = simulate_chunk(cfg, world, 0, first_purchase_seconds(cfg, world.n_days), (), H)
    ev, cu = res["events"], res["customers"]
    assert (ev["sec"] >= cu["t1_sec"][ev["cust"]]).all()
    assert (ev["sec"] < world.n_days * 86_400).all()
    death = cu["death_sec"]
    buying = np.isin(ev["type"], [EVENT_TYPES.index(t) for t in ACTIVITY_EVENT_TYPES])
    dead = death[ev["cust"]] >= 0
    assert (ev["sec"][buying & dead] <= death[ev["cust"]][buying & dead]).all()
    last_buy = np.full(cfg.n_customers, -1, dtype=np.int64)
    np.maximum.at(last_buy, ev["cust"][buying], ev["sec"][buying])
    at_purchase = cu["driver"] == FAMILIES.index("usage")
    assert (death[at_purchase] == last_buy[at_purchase]).all(), "a BG/NBD dropout dies at its last purchase"
    between = (cu["driver"] >= 0) & ~at_purchase
    assert between.any() and at_purchase.any()
    assert (death[between] % (7 * 86_400) == 0).all() and (last_buy[between] < death[between]).all()
    assert ((cu["driver"] >= 0) == (death >= 0)).all()
    assert (res["tickets"]["open"] >= cu["t1_sec"][res["tickets"]["cust"]]).all()


def test_events_sorted_by_customer_and_time(behavioural):
    t = behavioural["tables"]["events"]
    ids = t["customer_id"].to_numpy(zero_copy_only=False)
    ts = t["timestamp"].to_numpy()
    same = ids[1:] == ids[:-1]
    assert (ids[1:] >= ids[:-1]).all()
    assert (ts[1:][same] >= ts[:-1][same]).all()
    assert behavioural["con"].execute("select count(*) from events where timestamp >= date '2025-01-01' "
                                      "or not isfinite(value)").fetchone()[0] == 0


def test_purchase_and_items_paired(behavioural):
    con = behavioural["con"]
    types = {r[0] for r in con.execute("select distinct event_type from events").fetchall()}
    assert types == set(EVENT_TYPES) == set(ACTIVITY_EVENT_TYPES) | set(PASSIVE_EVENT_TYPES)
    unpaired = con.execute("""
        with p as (select customer_id, timestamp, count(*) as n from events where event_type = 'purchase' group by all),
             i as (select customer_id, timestamp, count(*) as n from events where event_type = 'items' group by all)
        select count(*) from p full join i using (customer_id, timestamp)
        where p.n is null or i.n is null or p.n != i.n""").fetchone()[0]
    assert unpaired == 0
    bad = con.execute("""select count(*) from events where
        (event_type = 'purchase' and value <= 0) or (event_type = 'items' and (value < 1 or value != round(value)))
        or (event_type = 'email_open' and value != 1)""").fetchone()[0]
    assert bad == 0


def test_price_notices_go_to_the_region(behavioural):
    cfg, con = behavioural["cfg"], behavioural["con"]
    got = con.execute("""select cast(e.timestamp as date) as day, c.region, min(e.value), max(e.value), count(*)
                         from events e join customers c using (customer_id) where e.event_type = 'price_change'
                         group by all order by all""").fetchall()
    level = {r: 1.0 for r in ("north", "south", "east", "west")}
    expected = []
    for when, region, pct in sorted(cfg.price_increases):
        for r in sorted(level):
            if region in ("all", r):
                level[r] = round(level[r] * (1 + pct), 4)
                n = con.execute("select count(*) from customers where region = ? and signup_date < ?",
                                [r, when]).fetchone()[0]
                expected.append((when, r, level[r], level[r], n))
    assert sorted(got) == sorted(expected)


def test_tickets_valid(behavioural):
    con = behavioural["con"]
    bad = con.execute(f"""select count(*) from tickets t join customers c using (customer_id)
        where t.opened_at < c.signup_date or t.opened_at >= date '2025-01-01' or t.resolved_at < t.opened_at
           or t.resolved_at >= date '2025-01-01' or t.satisfaction < 1 or t.satisfaction > 5
           or (t.resolved_at is null and t.satisfaction is not null)
           or t.category not in ({", ".join(f"'{c}'" for c in TICKET_CATEGORIES)})""").fetchone()[0]
    assert bad == 0
    n_bad_delivery = con.execute("select count(*) from tickets where category = 'delivery'").fetchone()[0]
    assert n_bad_delivery > 0.5 * behavioural["summary"]["n_tickets"]


# --------------------------------------------------------------------------
# The world is retailer-like
# --------------------------------------------------------------------------
def test_inactivity_label_rate_is_retailer_like(any_world):
    rows = _labelled(any_world)
    assert 0.40 <= rows["y"].mean() <= 0.70
    s = any_world["summary"]
    assert 1.5 <= s["purchases_per_customer"] <= 6.0
    assert s["n_oracle_rows"] == any_world["tables"]["oracle"].num_rows


# --------------------------------------------------------------------------
# Ground truth
# --------------------------------------------------------------------------
def test_oracle_rows_are_exactly_the_eligible_customers(any_world):
    rows = any_world["rows"]
    assert (rows["_merge"] == "both").all(), rows["_merge"].value_counts().to_dict()
    assert set(rows["cutoff"]) == {c for c in CUTOFFS if c <= END}
    o = any_world["tables"]["oracle"].to_pandas()
    assert not o.duplicated(["customer_id", "cutoff"]).any()
    assert o["oracle_probability"].between(0, 1).all()


def test_oracle_is_calibrated(any_world):
    rows = _labelled(any_world)
    assert abs(rows["y"].mean() - rows["oracle_probability"].mean()) < 0.015
    bins = pd.qcut(rows["oracle_probability"], 10, duplicates="drop")
    table = rows.groupby(bins, observed=True).agg(oracle=("oracle_probability", "mean"), observed=("y", "mean"))
    assert (table["observed"] - table["oracle"]).abs().max() < 0.035, table


def test_pure_process_oracle_is_bgnbd(pure):
    rows = _labelled(pure)
    np.testing.assert_allclose(pure["rows"]["oracle_probability"], pure["rows"]["bg"], atol=1e-6)
    y = rows["y"].to_numpy(bool)
    auc_oracle, auc_bg = _auc(rows["oracle_probability"].to_numpy(), y), _auc(rows["bg"].to_numpy(), y)
    assert abs(auc_oracle - auc_bg) < 0.005


def test_behavioural_oracle_beats_bgnbd(behavioural):
    rows = _labelled(behavioural)
    y = rows["y"].to_numpy(bool)
    auc_oracle, auc_bg = _auc(rows["oracle_probability"].to_numpy(), y), _auc(rows["bg"].to_numpy(), y)
    assert auc_oracle >= auc_bg + 0.01, (auc_oracle, auc_bg)
    assert auc_oracle > 0.65


def test_behaviour_zero_has_no_behavioural_hazard(pure):
    dac = pure["tables"]["drivers_at_cutoff"].to_pandas()
    for family in FAMILIES[1:]:
        assert (dac[family] == 0).all(), family
    assert set(pure["tables"]["drivers"]["dominant_driver"].to_pylist()) == {"usage"}
    assert set(dac["true_driver"]) == {"usage"}
    assert pure["summary"]["n_dead_between_purchases"] == 0
    assert pure["summary"]["n_dead"] == pure["tables"]["drivers"].num_rows


def test_behavioural_world_has_every_driver(behavioural):
    dac = behavioural["tables"]["drivers_at_cutoff"].to_pandas()
    for family in FAMILIES:
        assert dac[family].std() > 0, family
    assert set(dac["true_driver"]) == set(FAMILIES)
    drivers = behavioural["tables"]["drivers"]["dominant_driver"].to_pylist()
    assert set(drivers) == set(FAMILIES)
    assert behavioural["summary"]["n_dead_between_purchases"] > 0


def test_usage_is_the_pure_bgnbd_log_odds_of_not_alive(any_world):
    rows = any_world["rows"]
    with np.errstate(divide="ignore"):
        log_odds = np.log1p(-rows["bg_alive"]) - np.log(rows["bg_alive"])
    expected = np.clip(np.where(rows["x"] > 0, log_odds, -USAGE_CLIP), -USAGE_CLIP, USAGE_CLIP)
    np.testing.assert_allclose(rows["usage"], expected, atol=1e-6)


def test_true_driver_is_the_argmax_of_relative_contributions(behavioural):
    """One chunk here (12 000 < chunk_customers), so the reference is the mean over all eligible of the channel."""
    rows = behavioural["rows"].merge(behavioural["tables"]["customers"].to_pandas(), on="customer_id")
    contrib = rows[list(FAMILIES)]
    ref = contrib.groupby([rows["cutoff"], rows["channel"]]).transform("mean")
    relative = (contrib - ref).to_numpy()
    expected = np.array(FAMILIES)[np.argmax(relative, axis=1)]
    assert (rows["true_driver"].to_numpy() == expected).all()


def test_no_effect_attribute_has_no_effect(behavioural):
    rows = behavioural["rows"].merge(behavioural["tables"]["customers"].to_pandas(), on="customer_id")
    per_profile = rows.groupby(["channel", "region", "loyalty_member"])["attributes"].nunique()
    assert (per_profile == 1).all(), "the attributes term depends on channel, region and loyalty only"


def test_drivers_name_each_dead_customer_once(behavioural):
    d = behavioural["tables"]["drivers"].to_pandas()
    assert d["customer_id"].is_unique
    assert set(d["dominant_driver"]) <= set(FAMILIES)
    assert len(d) == behavioural["summary"]["n_dead"]
