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

from features.columns import ACTIVE_DAYS, ACTIVE_TYPES, EVENTS, SELECT, TICKETS, Column, FeatureConfig, FeatureInfo, all_columns
from features.sql import Dialect, ident, literal


def calendar_tables(cutoffs: list[dt.date], first_day: dt.date, lookback_days: int) -> tuple[pd.DataFrame, pd.DataFrame]:
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
                customer_range: tuple[str | None, str | None] = (None, None)) -> tuple[str, list[FeatureInfo]]:
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

    Returns:
        The SQL text and the feature dictionary in column order.
    """
    columns = all_columns(cfg, d)
    return _query(cfg, d, columns, customer_range), [c.info for c in columns]


def _query(cfg: FeatureConfig, d: Dialect, columns: list[Column], customer_range: tuple[str | None, str | None]) -> str:
    """The SQL text: a spine of active (customer, cutoff) pairs, LEFT JOINed to one aggregate per source."""
    big, active_pred = cfg.big_window, cfg.active_predicate
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
daily AS (
    SELECT customer_id, {d.to_date('timestamp')} AS day, event_type, count(*) AS n,
           -- Exact decimal sums: a parallel sum of doubles depends on thread order in its last bits,
           -- which would change LightGBM's bin edges and break bit-for-bit reruns.
           sum(CAST(value AS DECIMAL(38, 9))) AS v
    FROM events
    WHERE {in_range('customer_id')}
    GROUP BY customer_id, {d.to_date('timestamp')}, event_type
),
ev AS (
    SELECT dl.customer_id, dc.cutoff, dl.event_type, dl.n, dl.v, dc.age
    FROM daily dl JOIN day_cutoff dc ON dl.day = dc.day
    WHERE dc.age < {cfg.lookback_days}
),
ev_agg AS (
    SELECT customer_id, cutoff, {_aggregate(columns, EVENTS)}
    FROM ev GROUP BY customer_id, cutoff
),
act AS (
    SELECT DISTINCT customer_id, cutoff, age FROM ev WHERE {active_pred} AND age < {big}
),
gaps AS (
    SELECT customer_id, cutoff, max(gap) AS longest_gap FROM (
        SELECT customer_id, cutoff,
               COALESCE(lead(age) OVER (PARTITION BY customer_id, cutoff ORDER BY age), {big}) - age - 1 AS gap
        FROM act
        UNION ALL
        SELECT customer_id, cutoff, min(age) AS gap FROM act GROUP BY customer_id, cutoff
    ) x GROUP BY customer_id, cutoff
),
last_in_bucket AS (
    SELECT dl.customer_id, db.cutoff, max(dl.day) AS last_day
    FROM daily dl JOIN day_bucket db ON dl.day = db.day
    WHERE {active_pred.replace('event_type', 'dl.event_type')}
    GROUP BY dl.customer_id, db.cutoff
),
last_seen AS (
    SELECT s.customer_id, s.cutoff,
           max(b.last_day) OVER (PARTITION BY s.customer_id ORDER BY s.cutoff
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS last_day
    FROM spine s LEFT JOIN last_in_bucket b ON b.customer_id = s.customer_id AND b.cutoff = s.cutoff
),
rare AS (
    SELECT e.customer_id, e.timestamp, e.event_type, e.value, s.cutoff, s.cutoff_end
    FROM events e JOIN spine s ON e.customer_id = s.customer_id
    WHERE e.event_type IN {rare_types}
      AND e.timestamp < s.cutoff_end AND {in_range('e.customer_id')}
),
fee AS (
    SELECT customer_id, cutoff,
           max_by(value, timestamp) AS fee_now,
           max_by(CASE WHEN timestamp < cutoff_end - INTERVAL {big} DAY THEN value END,
                  CASE WHEN timestamp < cutoff_end - INTERVAL {big} DAY THEN timestamp END) AS fee_then
    FROM rare WHERE event_type IN {fee_types}
    GROUP BY customer_id, cutoff
),
pc AS (
    SELECT customer_id, cutoff, count(*) AS plan_changes FROM rare
    WHERE event_type = {plan_change}
    GROUP BY customer_id, cutoff
),
nps AS (
    SELECT customer_id, cutoff, max_by(value, timestamp) AS nps_last, {d.to_date('max(timestamp)')} AS nps_day
    FROM rare WHERE event_type = {literal(cfg.nps_event_type)}
    GROUP BY customer_id, cutoff
),
days_agg AS (
    SELECT customer_id, cutoff, {_aggregate(columns, ACTIVE_DAYS)} FROM act GROUP BY customer_id, cutoff
),
types_agg AS (
    SELECT customer_id, cutoff, {_aggregate(columns, ACTIVE_TYPES)} FROM (
        SELECT customer_id, cutoff, event_type, min(age) AS first_age FROM ev
        WHERE {active_pred} AND age < {big} GROUP BY customer_id, cutoff, event_type
    ) x GROUP BY customer_id, cutoff
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
){_history_ctes(cfg, d) if cfg.history else ""}
SELECT s.customer_id, s.cutoff,
       {', '.join(_selected(c) for c in columns)}
FROM spine s
JOIN customers c ON c.customer_id = s.customer_id
LEFT JOIN ev_agg e ON e.customer_id = s.customer_id AND e.cutoff = s.cutoff
LEFT JOIN days_agg da ON da.customer_id = s.customer_id AND da.cutoff = s.cutoff
LEFT JOIN types_agg ta ON ta.customer_id = s.customer_id AND ta.cutoff = s.cutoff
LEFT JOIN gaps g ON g.customer_id = s.customer_id AND g.cutoff = s.cutoff
LEFT JOIN last_seen ls ON ls.customer_id = s.customer_id AND ls.cutoff = s.cutoff
LEFT JOIN fee ON fee.customer_id = s.customer_id AND fee.cutoff = s.cutoff
LEFT JOIN pc ON pc.customer_id = s.customer_id AND pc.cutoff = s.cutoff
LEFT JOIN nps ON nps.customer_id = s.customer_id AND nps.cutoff = s.cutoff
LEFT JOIN tk_agg tka ON tka.customer_id = s.customer_id AND tka.cutoff = s.cutoff{
    chr(10) + "LEFT JOIN hist h ON h.customer_id = s.customer_id AND h.cutoff = s.cutoff" if cfg.history else ""}
ORDER BY s.cutoff, s.customer_id
"""


def _history_ctes(cfg: FeatureConfig, d: Dialect) -> str:
    """CTEs ``act_gaps``, ``hist_bucket``, ``type_bucket`` and ``hist``: whole-history running totals per cutoff.

    Each day is counted in its bucket (the first cutoff on or after it) and the
    buckets are summed over the spine's cutoffs in order, so a total at cutoff T
    reads only days up to T. A gap between two active days belongs to the bucket
    of its later day, so it is known only once it has closed.
    """
    active = cfg.active_predicate
    per_type: list[str] = []   # per bucket
    running: list[str] = []    # per spine row: the running total over the buckets up to it
    for t, s in cfg.event_slugs.items():
        is_t = f"event_type = {literal(t)}"
        n, last = ident(f"n_{s}"), ident(f"l_{s}")
        per_type += [f"sum(CASE WHEN {is_t} THEN n ELSE 0 END) AS {n}", f"max(CASE WHEN {is_t} THEN dl.day END) AS {last}"]
        running += [f"COALESCE(sum(tb.{n}) OVER w, 0) AS {n}", f"max(tb.{last}) OVER w AS {last}"]
        if t in cfg.value_sum_event_types:
            v, days = ident(f"v_{s}"), ident(f"d_{s}")
            per_type += [f"sum(CASE WHEN {is_t} THEN v END) AS {v}", f"count(CASE WHEN {is_t} THEN 1 END) AS {days}"]
            running += [f"COALESCE(sum(tb.{v}) OVER w, 0) AS {v}", f"COALESCE(sum(tb.{days}) OVER w, 0) AS {days}"]
    per_type.append(f"sum(CASE WHEN {active} THEN n ELSE 0 END) AS n_total")
    running.append("COALESCE(sum(tb.n_total) OVER w, 0) AS n_total")
    return f""",
act_gaps AS (
    SELECT customer_id, day,
           {d.days_between('lag(day) OVER (PARTITION BY customer_id ORDER BY day)', 'day')} AS gap
    FROM (SELECT DISTINCT customer_id, day FROM daily WHERE {active}) x
),
hist_bucket AS (
    SELECT g.customer_id, db.cutoff, count(*) AS active_days, min(g.day) AS first_day, max(g.day) AS last_day,
           sum(g.gap) AS gap_sum, sum(g.gap * g.gap) AS gap_sq, max(g.gap) AS gap_max, count(g.gap) AS n_gaps
    FROM act_gaps g JOIN day_bucket db ON g.day = db.day
    GROUP BY g.customer_id, db.cutoff
),
type_bucket AS (
    SELECT dl.customer_id, db.cutoff, {', '.join(per_type)}
    FROM daily dl JOIN day_bucket db ON dl.day = db.day
    GROUP BY dl.customer_id, db.cutoff
),
hist AS (
    SELECT s.customer_id, s.cutoff,
           sum(hb.active_days) OVER w AS active_days, min(hb.first_day) OVER w AS first_active_day,
           max(hb.last_day) OVER w AS last_active_day, sum(hb.gap_sum) OVER w AS gap_sum,
           sum(hb.gap_sq) OVER w AS gap_sq, max(hb.gap_max) OVER w AS gap_max, sum(hb.n_gaps) OVER w AS n_gaps,
           {', '.join(running)}
    FROM spine s
    LEFT JOIN hist_bucket hb ON hb.customer_id = s.customer_id AND hb.cutoff = s.cutoff
    LEFT JOIN type_bucket tb ON tb.customer_id = s.customer_id AND tb.cutoff = s.cutoff
    WINDOW w AS (PARTITION BY s.customer_id ORDER BY s.cutoff ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)"""


def dictionary_frame(info: list[FeatureInfo], families: dict[str, str] | None = None) -> pd.DataFrame:
    """The feature dictionary as a table: name, family (``families``, by kind of business, else by name), meaning,
    window, unit."""
    return pd.DataFrame(
        [(f.name, (families or {}).get(f.name) or f.family, f.meaning, f.window, f.unit) for f in info],
        columns=["feature", "family", "meaning", "window", "unit"],
    )


def features_from_frames(customers: pd.DataFrame, events: pd.DataFrame, tickets: pd.DataFrame,
                         cutoffs: list[dt.date], cfg: FeatureConfig) -> pd.DataFrame:
    """Compute the features for in-memory tables (tests, notebooks, small data).

    Args:
        customers: validated customers (customer_id, signup_date, churn_date, attributes).
        events: validated events (customer_id, timestamp, event_type, value).
        tickets: validated tickets (customer_id, opened_at, category, resolved_at, satisfaction).
        cutoffs: observation dates.
        cfg: what to compute.

    Returns:
        One row per active (customer, cutoff), as the featurize stage writes it.
    """
    import duckdb

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
