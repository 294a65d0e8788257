"""Point-in-time behavioural features, computed in SQL.

One query builds every feature for every (customer, cutoff) pair where the
customer is active at the cutoff. The event log is never loaded into pandas:
DuckDB reads it straight from Parquet, pre-aggregates it to one row per
customer, day and event type, and pairs each day with the cutoffs whose
look-back covers it through a small calendar table (an equi-join, no range
join). The SQL is plain ANSI plus a few functions that ``Dialect`` isolates,
so that the same logic runs on Spark SQL when the data outgrows one machine.

Point-in-time rule: a cutoff D is the end of day D. Every expression below
only reads rows stamped before ``D + 1 day`` (events, ticket openings), and
ticket facts that arrive later (resolution, satisfaction) only once they were
known at D.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from features.catalog import fact_map
from features.columns import all_columns
from features.spec import EVENTS, MASK_BITS, SELECT, TICKETS, Column, FeatureConfig, FeatureInfo, count_of, value_of
from features.sql import Dialect, ident, literal


def calendar_tables(cutoffs: list[dt.date], first_day: dt.date,
                    lookback_days: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Small calendar tables that turn range conditions into equi-joins.

    Args:
        cutoffs: the observation dates.
        first_day: the earliest day with data.
        lookback_days: the longest window any feature reads.

    Returns:
        ``day_cutoff`` (day, cutoff, age): every day inside a cutoff's look-back,
        with ``age`` = days before the cutoff (0 = the cutoff day itself); and
        ``day_bucket`` (day, cutoff): every day mapped to the first cutoff on or after it.
    """
    cutoffs = sorted(cutoffs)
    rows = [(c - dt.timedelta(days=a), c, a) for c in cutoffs for a in range(lookback_days)]
    day_cutoff = pd.DataFrame(rows, columns=["day", "cutoff", "age"])
    buckets = []
    start = min(first_day, cutoffs[0]) if cutoffs else first_day
    prev = start - dt.timedelta(days=1)
    for c in cutoffs:
        n = (c - prev).days
        buckets += [(prev + dt.timedelta(days=i + 1), c) for i in range(n)]
        prev = c
    day_bucket = pd.DataFrame(buckets, columns=["day", "cutoff"])
    for frame in (day_cutoff, day_bucket):
        for col in ("day", "cutoff"):
            frame[col] = pd.to_datetime(frame[col]).dt.date
    day_cutoff["age"] = day_cutoff["age"].astype("int32")
    return day_cutoff, day_bucket


def customer_range_predicate(column: str, lower: str | None, upper: str | None) -> str:
    """SQL for ``lower <= column < upper`` on customer ids (either bound may be open)."""
    parts = ([f"{column} >= {literal(lower)}"] if lower is not None else []) + \
            ([f"{column} < {literal(upper)}"] if upper is not None else [])
    return " AND ".join(parts) or "TRUE"


def chunk_count(n_events: int, n_customers: int, chunk_events: int) -> int:
    """How many customer ranges to build separately so that each holds about ``chunk_events`` events."""
    if n_customers <= 1 or n_events <= chunk_events:
        return 1
    return min(n_customers, -(-n_events // chunk_events))


def _aggregate(columns: list[Column], source: str) -> str:
    return ", ".join(f"{c.expr} AS {ident(c.name)}" for c in columns if c.source == source)


def _selected(column: Column) -> str:
    """The final select's expression of one column, NULL-safe for the LEFT JOINs of the aggregates."""
    if column.source is SELECT:
        return f"{column.expr} AS {ident(column.name)}"
    ref = f"{column.source}.{ident(column.name)}"
    return f"COALESCE({ref}, 0) AS {ident(column.name)}" if column.zero_fill else ref


def feature_sql(cfg: FeatureConfig, d: Dialect = Dialect(),
                customer_range: tuple[str | None, str | None] = (None, None),
                ordered: bool = True) -> tuple[str, list[FeatureInfo]]:
    """Build the feature query and its dictionary.

    The query reads relations ``customers``, ``events``, ``tickets``,
    ``cutoffs`` (cutoff), ``day_cutoff`` and ``day_bucket`` (see
    ``calendar_tables``) and returns one row per active (customer, cutoff).
    Every feature of a customer depends on that customer's rows only, so the
    query can run on ranges of customer ids one at a time (bounded memory on
    any data size) and the results concatenate to the same table.

    Args:
        cfg: what to compute.
        d: the SQL dialect.
        customer_range: ``(lower, upper)``: only customers with ``lower <= customer_id < upper``
            (None: open bound).
        ordered: rows ordered by cutoff, then customer (False: in no particular order, for a caller that sorts
            the keys itself; DuckDB's sort of the wide rows is a large part of the query).

    Returns:
        The SQL text and the feature dictionary in column order.
    """
    columns = all_columns(cfg, d)
    sql = _query(cfg, d, columns, customer_range)
    return (sql + "ORDER BY s.cutoff, s.customer_id\n" if ordered else sql), [c.info for c in columns]


def _query(cfg: FeatureConfig, d: Dialect, columns: list[Column], customer_range: tuple[str | None, str | None]) -> str:
    """The SQL text: a spine of active (customer, cutoff) pairs, LEFT JOINed to one aggregate per source."""
    big = cfg.big_window
    fee_types = "(" + ", ".join(literal(t) for t in cfg.fee_event_types) + ")" if cfg.fee_event_types else "(NULL)"
    rare_types = "(" + ", ".join(literal(t) for t in (*cfg.fee_event_types, cfg.nps_event_type)) + ")"
    plan_change = literal(cfg.fee_event_types[0]) if cfg.fee_event_types else "NULL"

    def in_range(column: str) -> str:
        return customer_range_predicate(column, *customer_range)

    return f"""
WITH spine AS (
    SELECT c.customer_id, k.cutoff, c.signup_date, {d.end_of_day('k.cutoff')} AS cutoff_end
    FROM customers c CROSS JOIN cutoffs k
    WHERE c.signup_date <= k.cutoff AND (c.churn_date IS NULL OR c.churn_date > k.cutoff)
      AND {in_range('c.customer_id')}
),
{_daily_ctes(cfg, d, in_range('customer_id'))},
ev AS (
    SELECT dl.*, dc.cutoff, dc.age
    FROM daily dl JOIN day_cutoff dc ON dl.day = dc.day
    WHERE dc.age < {cfg.lookback_days}
),
ev_agg AS (
    SELECT customer_id, cutoff, {_aggregate(columns, EVENTS)}, {_engagement_aggregates(cfg)}
    FROM ev GROUP BY customer_id, cutoff
),
types_tail AS (
    -- activity types without a bit in the daily mask: the first day of each in the window, per cutoff
    SELECT customer_id, cutoff, {", ".join(f"count(CASE WHEN first_age < {w} THEN 1 END) AS {ident(f'types_{w}d')}"
                                           for w in cfg.windows)}
    FROM (
        SELECT t.customer_id, dc.cutoff, t.event_type, min(dc.age) AS first_age
        FROM (SELECT DISTINCT customer_id, {d.to_date('timestamp')} AS day, event_type FROM events
              WHERE {_tail_predicate(cfg)} AND {in_range('customer_id')}) t
        JOIN day_cutoff dc ON t.day = dc.day
        WHERE dc.age < {big}
        GROUP BY t.customer_id, dc.cutoff, t.event_type
    ) x GROUP BY customer_id, cutoff
),
rare AS (
    SELECT e.customer_id, e.timestamp, e.event_type, e.value, s.cutoff, s.cutoff_end
    FROM events e JOIN spine s ON e.customer_id = s.customer_id
    WHERE e.event_type IN {rare_types}
      AND e.timestamp < s.cutoff_end AND {in_range('e.customer_id')}
),
fee AS (
    SELECT customer_id, cutoff,
           {d.latest('value', 'timestamp')} AS fee_now,
           {d.latest(f'CASE WHEN timestamp < cutoff_end - INTERVAL {big} DAY THEN value END',
                     f'CASE WHEN timestamp < cutoff_end - INTERVAL {big} DAY THEN timestamp END')} AS fee_then
    FROM rare WHERE event_type IN {fee_types}
    GROUP BY customer_id, cutoff
),
pc AS (
    SELECT customer_id, cutoff, count(*) AS plan_changes FROM rare
    WHERE event_type = {plan_change}
    GROUP BY customer_id, cutoff
),
nps AS (
    SELECT customer_id, cutoff, {d.latest('value', 'timestamp')} AS nps_last, {d.to_date('max(timestamp)')} AS nps_day
    FROM rare WHERE event_type = {literal(cfg.nps_event_type)}
    GROUP BY customer_id, cutoff
),
tk AS (
    SELECT t.customer_id, s.cutoff, s.cutoff_end, t.category, t.opened_at, t.resolved_at, t.satisfaction,
           {d.days_between(d.to_date('t.opened_at'), 's.cutoff')} AS age
    FROM tickets t JOIN spine s ON t.customer_id = s.customer_id
    WHERE t.opened_at < s.cutoff_end AND {in_range('t.customer_id')}
),
tk_agg AS (
    SELECT customer_id, cutoff, {_aggregate(columns, TICKETS)}
    FROM tk GROUP BY customer_id, cutoff
),
{_history_ctes(cfg, d)}
SELECT s.customer_id, s.cutoff,
       {', '.join(_selected(c) for c in columns)}
FROM spine s
JOIN customers c ON c.customer_id = s.customer_id
LEFT JOIN ev_agg e ON e.customer_id = s.customer_id AND e.cutoff = s.cutoff
LEFT JOIN types_tail tt ON tt.customer_id = s.customer_id AND tt.cutoff = s.cutoff
LEFT JOIN hist h ON h.customer_id = s.customer_id AND h.cutoff = s.cutoff
LEFT JOIN fee ON fee.customer_id = s.customer_id AND fee.cutoff = s.cutoff
LEFT JOIN pc ON pc.customer_id = s.customer_id AND pc.cutoff = s.cutoff
LEFT JOIN nps ON nps.customer_id = s.customer_id AND nps.cutoff = s.cutoff
LEFT JOIN tk_agg tka ON tka.customer_id = s.customer_id AND tka.cutoff = s.cutoff
"""


def _mask(cfg: FeatureConfig, d: Dialect) -> str:
    """SQL: the bit of the row's activity type in the kinds-of-activity mask (NULL for a type without one)."""
    types = cfg.mask_types
    if not types:
        return "CAST(NULL AS BIGINT)"
    wide = len(types) > MASK_BITS
    cases = " ".join(f"WHEN {literal(t)} THEN {d.bit(str(i), wide)}" for i, t in enumerate(types))
    return f"CASE event_type {cases} END"


def _tail_predicate(cfg: FeatureConfig) -> str:
    """SQL: the row is an activity event whose type has no bit in the mask."""
    if not cfg.mask_types:
        return cfg.active_predicate
    return f"{cfg.active_predicate} AND event_type NOT IN ({', '.join(literal(t) for t in cfg.mask_types)})"


def _daily_ctes(cfg: FeatureConfig, d: Dialect, in_range: str) -> str:
    """CTEs ``daily_raw`` and ``daily``: one row per customer and day with a count column per event type.

    ``n_<type>`` counts that day's events of each type, ``n_total`` its activity events, ``v_<type>`` the exact
    sum of their values (a parallel sum of doubles depends on thread order in its last bits, which would change
    LightGBM's bin edges and break bit-for-bit reruns), ``types_mask`` has a bit per kind of activity used that
    day, and ``gap`` is the days since the previous active day (on active days only).
    """
    per_type: list[str] = []
    for t, s in cfg.event_slugs.items():
        is_t = f"event_type = {literal(t)}"
        per_type.append(f"count(CASE WHEN {is_t} THEN 1 END) AS {count_of(s)}")
        if t in cfg.value_sum_event_types:
            per_type.append(f"sum(CASE WHEN {is_t} THEN CAST(value AS DECIMAL(38, 9)) END) AS {value_of(s)}")
    per_type.append(f"count(CASE WHEN {cfg.active_predicate} THEN 1 END) AS {count_of('total')}")
    per_type.append(f"bit_or({_mask(cfg, d)}) AS types_mask")
    active = f"{count_of('total')} > 0"
    previous = d.previous(f"CASE WHEN {active} THEN day END", "customer_id", "day")
    return f"""daily_raw AS (
    SELECT customer_id, {d.to_date('timestamp')} AS day, {', '.join(per_type)}
    FROM events
    WHERE {in_range}
    GROUP BY customer_id, {d.to_date('timestamp')}
),
daily AS (
    SELECT *, CASE WHEN {active} THEN {d.days_between(previous, 'day')} END AS gap FROM daily_raw
)"""


def _engagement_aggregates(cfg: FeatureConfig) -> str:
    """ev_agg's helper columns: kinds of activity per window (from the mask) and the longest gap in the window.

    A gap ends on an active day and reaches back to the previous active day, or to the window's start when that
    day is older; the time from the latest active day to the cutoff is a gap too.
    """
    big, active = cfg.big_window, f"{count_of('total')} > 0"
    types = [f"bit_count(bit_or(CASE WHEN age < {w} THEN types_mask END)) AS {ident(f'types_{w}d')}"
             for w in cfg.windows]
    in_window = f"{active} AND age < {big}"
    longest = (f"CAST(greatest(max(CASE WHEN {in_window} THEN least(COALESCE(gap, {big} - age), {big} - age) - 1 END), "
               f"min(CASE WHEN {in_window} THEN age END)) AS INTEGER) AS longest_gap")
    return ", ".join(types + [longest])


def _history_ctes(cfg: FeatureConfig, d: Dialect) -> str:
    """CTEs ``bucket`` and ``hist``: whole-history running totals per cutoff.

    Each day is counted in its bucket (the first cutoff on or after it) and a
    total at cutoff T sums the customer's buckets up to T, so it reads only days
    up to T (a join and one aggregate: cheaper than a running window per total).
    A gap between two active days belongs to the bucket of its later day, so it
    is known only once it has closed. Without history features only the last
    active day is kept (``days_since_last_event``).
    """
    active = f"{count_of('total')} > 0"
    per_bucket = [f"max(CASE WHEN {active} THEN dl.day END) AS last_day"]
    running = ["max(b.last_day) AS last_active_day"]
    if cfg.history:
        per_bucket += [f"count(CASE WHEN {active} THEN 1 END) AS active_days",
                       f"min(CASE WHEN {active} THEN dl.day END) AS first_day",
                       "sum(gap) AS gap_sum", "sum(gap * gap) AS gap_sq", "max(gap) AS gap_max",
                       "count(gap) AS n_gaps"]
        running += ["sum(b.active_days) AS active_days", "min(b.first_day) AS first_active_day",
                    "sum(b.gap_sum) AS gap_sum", "sum(b.gap_sq) AS gap_sq",
                    "max(b.gap_max) AS gap_max", "sum(b.n_gaps) AS n_gaps"]
        for t, s in cfg.event_slugs.items():
            n, last = count_of(s), ident(f"l_{s}")
            per_bucket += [f"sum({n}) AS {n}", f"max(CASE WHEN {n} > 0 THEN dl.day END) AS {last}"]
            running += [f"COALESCE(sum(b.{n}), 0) AS {n}", f"max(b.{last}) AS {last}"]
            if t in cfg.value_sum_event_types:
                v, days = value_of(s), ident(f"d_{s}")
                per_bucket += [f"sum({v}) AS {v}", f"count(CASE WHEN {n} > 0 THEN 1 END) AS {days}"]
                running += [f"COALESCE(sum(b.{v}), 0) AS {v}", f"COALESCE(sum(b.{days}), 0) AS {days}"]
        total = count_of("total")
        per_bucket.append(f"sum({total}) AS {total}")
        running.append(f"COALESCE(sum(b.{total}), 0) AS {total}")
    return f"""bucket AS (
    SELECT dl.customer_id, db.cutoff, {', '.join(per_bucket)}
    FROM daily dl JOIN day_bucket db ON dl.day = db.day
    GROUP BY dl.customer_id, db.cutoff
),
hist AS (
    SELECT s.customer_id, s.cutoff, {', '.join(running)}
    FROM spine s
    LEFT JOIN bucket b ON b.customer_id = s.customer_id AND b.cutoff <= s.cutoff
    GROUP BY s.customer_id, s.cutoff
)"""


def dictionary_frame(info: list[FeatureInfo], families: dict[str, str] | None = None) -> pd.DataFrame:
    """The feature dictionary as a table: name, family (``families``, by kind of business, else by name), meaning,
    window, unit, and the fact it states (``features.catalog.fact_of``: one reason per fact)."""
    facts = fact_map([f.name for f in info], families)
    return pd.DataFrame(
        [(f.name, (families or {}).get(f.name) or f.family, f.meaning, f.window, f.unit, facts[f.name]) for f in info],
        columns=["feature", "family", "meaning", "window", "unit", "fact"],
    )
