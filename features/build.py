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

import dataclasses
import datetime as dt
import re

import pandas as pd

from features.catalog import family_of


@dataclasses.dataclass(frozen=True)
class Dialect:
    """The few SQL spellings that differ between engines."""

    name: str = "duckdb"

    def days_between(self, start: str, end: str) -> str:
        """Whole days from date ``start`` to date ``end``."""
        if self.name == "spark":
            return f"datediff({end}, {start})"
        return f"date_diff('day', {start}, {end})"

    def to_date(self, expr: str) -> str:
        return f"CAST({expr} AS DATE)"

    def end_of_day(self, date_expr: str) -> str:
        """The first instant after day ``date_expr``."""
        return f"(CAST({date_expr} AS TIMESTAMP) + INTERVAL 1 DAY)"

    def hours_between(self, start: str, end: str) -> str:
        if self.name == "spark":
            return f"((unix_timestamp({end}) - unix_timestamp({start})) / 3600.0)"
        return f"(date_diff('second', {start}, {end}) / 3600.0)"


@dataclasses.dataclass(frozen=True)
class FeatureConfig:
    """What to compute; event types and categories are resolved from the data."""

    windows: tuple[int, ...] = (7, 30, 90)
    decline_window_days: int = 30
    event_types: tuple[str, ...] = ()
    value_sum_event_types: tuple[str, ...] = ("session",)
    passive_event_types: tuple[str, ...] = ("payment_failed", "plan_change", "price_change", "nps")
    fee_event_types: tuple[str, ...] = ("plan_change", "price_change")
    nps_event_type: str = "nps"
    ticket_categories: tuple[str, ...] = ()
    complaint_category: str = "complaint"
    slow_resolution_hours: float = 72.0
    slope_weeks: int = 8
    attributes: tuple[str, ...] = ()
    fee_attribute: str | None = "monthly_fee"
    contract_attribute: str | None = "contract"

    @property
    def lookback_days(self) -> int:
        """How far back any windowed feature reads."""
        return max(max(self.windows), 2 * self.decline_window_days, 7 * self.slope_weeks)


@dataclasses.dataclass(frozen=True)
class FeatureInfo:
    """One row of the feature dictionary."""

    name: str
    meaning: str
    window: str
    unit: str

    @property
    def family(self) -> str:
        return family_of(self.name)


def slug(value: str) -> str:
    """A column-name-safe version of an event type or category."""
    s = re.sub(r"[^0-9a-z]+", "_", str(value).lower()).strip("_")
    return s or "blank"


def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
    parts = ([f"{column} >= {_lit(lower)}"] if lower is not None else []) + \
            ([f"{column} < {_lit(upper)}"] if upper is not None else [])
    return " AND ".join(parts) or "TRUE"


def chunk_count(n_events: int, n_customers: int, chunk_events: int) -> int:
    """How many customer ranges to build separately so that each holds about ``chunk_events`` events."""
    if n_customers <= 1 or n_events <= chunk_events:
        return 1
    return min(n_customers, -(-n_events // chunk_events))


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
    info: list[FeatureInfo] = []
    ev_cols: list[str] = []
    windows = cfg.windows
    big = max(windows)
    dw = cfg.decline_window_days
    active_types = [t for t in cfg.event_types if t not in cfg.passive_event_types]
    active_pred = "event_type NOT IN (" + ", ".join(_lit(t) for t in cfg.passive_event_types) + ")" if cfg.passive_event_types else "TRUE"

    def add(cols: list[str], expr: str, name: str, meaning: str, window: str, unit: str) -> None:
        cols.append(f"{expr} AS {_q(name)}")
        info.append(FeatureInfo(name, meaning, window, unit))

    # --- usage: counts, value sums, change vs the previous window -------------
    for t in cfg.event_types:
        s = slug(t)
        for w in windows:
            add(ev_cols, f"sum(CASE WHEN event_type = {_lit(t)} AND age < {w} THEN n ELSE 0 END)",
                f"events_{s}_count_{w}d", f"Number of '{t}' events in the last {w} days", f"{w}d", "events")
        if t in cfg.value_sum_event_types:
            for w in windows:
                add(ev_cols, f"CAST(sum(CASE WHEN event_type = {_lit(t)} AND age < {w} THEN v ELSE 0 END) AS DOUBLE)",
                    f"events_{s}_value_sum_{w}d", f"Total value of '{t}' events in the last {w} days", f"{w}d", "value units")
    for w in windows:
        add(ev_cols, f"sum(CASE WHEN {active_pred} AND age < {w} THEN n ELSE 0 END)",
            f"events_total_count_{w}d", f"Number of activity events (all types) in the last {w} days", f"{w}d", "events")
    change_types = [(slug(t), f"event_type = {_lit(t)}") for t in active_types] + [("total", active_pred)]
    for s, pred in change_types:
        last = f"sum(CASE WHEN {pred} AND age < {dw} THEN n ELSE 0 END)"
        prev = f"sum(CASE WHEN {pred} AND age >= {dw} AND age < {2 * dw} THEN n ELSE 0 END)"
        add(ev_cols, f"CAST({last} - {prev} AS DOUBLE) / NULLIF({prev}, 0)",
            f"events_{s}_change_{dw}d_vs_prev_{dw}d",
            f"Relative change of '{s}' events, last {dw} days vs the {dw} before (-1 = stopped, 0 = flat)",
            f"{dw}d vs prev {dw}d", "ratio")
        add(ev_cols, f"{last} - {prev}", f"events_{s}_diff_{dw}d_vs_prev_{dw}d",
            f"'{s}' events in the last {dw} days minus those in the {dw} before", f"{dw}d vs prev {dw}d", "events")
    k = cfg.slope_weeks
    xbar = (k - 1) / 2.0
    sxx = sum((i - xbar) ** 2 for i in range(k))
    add(ev_cols,
        f"sum(CASE WHEN {active_pred} AND age < {7 * k} THEN ({k - 1} - floor(age / 7) - {xbar}) * n ELSE 0 END) / {sxx}",
        f"usage_weekly_slope_{7 * k}d",
        f"Trend of weekly activity over the last {k} weeks (events per week, per week; negative = declining)",
        f"{7 * k}d", "events/week per week")
    # --- engagement -------------------------------------------------------------
    # Distinct counts come from pre-deduplicated rows (act: customer, cutoff, active day; typ: first day
    # of each activity type): count(DISTINCT) inside the wide aggregate is several times slower.
    days_cols: list[str] = []
    types_cols: list[str] = []
    for w in windows:
        add(days_cols, f"count(CASE WHEN age < {w} THEN 1 END)",
            f"active_days_{w}d", f"Days with any activity in the last {w} days", f"{w}d", "days")
        add(types_cols, f"count(CASE WHEN first_age < {w} THEN 1 END)",
            f"distinct_event_types_{w}d", f"Different kinds of activity used in the last {w} days", f"{w}d", "types")
    weeks_big = max(1, big // 7)
    add(days_cols, f"CAST(count(DISTINCT CASE WHEN age < {7 * weeks_big} THEN floor(age / 7) END) AS DOUBLE) / {weeks_big}",
        f"weeks_active_share_{7 * weeks_big}d", f"Share of the last {weeks_big} weeks with any activity", f"{7 * weeks_big}d", "share 0-1")

    eng_cols: list[str] = []
    add(eng_cols, f"COALESCE(g.longest_gap, {big})", f"longest_gap_days_{big}d",
        f"Longest run of days without activity in the last {big} days", f"{big}d", "days")
    add(eng_cols, f"{d.days_between('ls.last_day', 's.cutoff')}", "days_since_last_event",
        "Days since the last activity event (empty if never active)", "all history", "days")

    # --- tenure / lifecycle ---------------------------------------------------------
    base_cols: list[str] = []
    add(base_cols, d.days_between("s.signup_date", "s.cutoff"), "tenure_days", "Days since signup", "all history", "days")
    if cfg.contract_attribute and cfg.contract_attribute in cfg.attributes:
        contract = f"lower(CAST(c.{_q(cfg.contract_attribute)} AS VARCHAR))"
        cycle = (f"CASE WHEN {contract} LIKE '%two%' THEN 730 WHEN {contract} LIKE '%annual%' OR {contract} LIKE '%year%' "
                 f"THEN 365 ELSE 30 END")
    else:
        cycle = "30"
    add(base_cols, f"{cycle} - ({d.days_between('s.signup_date', 's.cutoff')} % {cycle})", "days_to_renewal",
        "Days until the next contract renewal (annual contracts renew yearly, others monthly)", "at cutoff", "days")

    rare_cols: list[str] = []
    fee_types = "(" + ", ".join(_lit(t) for t in cfg.fee_event_types) + ")" if cfg.fee_event_types else "(NULL)"
    add(rare_cols, "COALESCE(pc.plan_changes, 0)", "plan_changes_count", "Plan changes since signup", "all history", "changes")
    fee_attr = f"c.{_q(cfg.fee_attribute)}" if cfg.fee_attribute and cfg.fee_attribute in cfg.attributes else "NULL"
    add(rare_cols, f"COALESCE(fee.fee_now, {fee_attr})", "monthly_fee", "Monthly fee at the cutoff", "at cutoff", "currency")
    add(rare_cols,
        f"(COALESCE(fee.fee_now, {fee_attr}) - COALESCE(fee.fee_then, {fee_attr})) / NULLIF(COALESCE(fee.fee_then, {fee_attr}), 0)",
        f"price_change_pct_{big}d", f"Relative change of the monthly fee over the last {big} days", f"{big}d", "ratio")
    add(rare_cols, "nps.nps_last", "nps_last_score", "Latest NPS survey answer (0-10)", "all history", "score")
    add(rare_cols, d.days_between("nps.nps_day", "s.cutoff"), "days_since_last_nps", "Days since the latest NPS answer", "all history", "days")

    # --- complaints / support ---------------------------------------------------
    tk_cols: list[str] = []
    known_resolved = "(resolved_at IS NOT NULL AND resolved_at < cutoff_end)"
    slow = (f"(({known_resolved} AND {d.hours_between('opened_at', 'resolved_at')} > {cfg.slow_resolution_hours}) OR "
            f"(NOT {known_resolved} AND {d.hours_between('opened_at', 'cutoff_end')} > {cfg.slow_resolution_hours}))")
    for w in windows:
        add(tk_cols, f"count(CASE WHEN age < {w} THEN 1 END)", f"tickets_count_{w}d",
            f"Support tickets opened in the last {w} days", f"{w}d", "tickets")
        for cat in cfg.ticket_categories:
            add(tk_cols, f"count(CASE WHEN age < {w} AND category = {_lit(cat)} THEN 1 END)",
                f"tickets_{slug(cat)}_count_{w}d", f"'{cat}' tickets opened in the last {w} days", f"{w}d", "tickets")
    add(tk_cols, f"min(age)", "days_since_last_ticket", "Days since the latest ticket was opened", "all history", "days")
    add(tk_cols, f"count(CASE WHEN NOT {known_resolved} THEN 1 END)", "tickets_open_count",
        "Tickets still open at the cutoff", "at cutoff", "tickets")
    for w in windows:
        if w < 30:
            continue
        sat = f"CASE WHEN age < {w} AND {known_resolved} THEN satisfaction END"
        add(tk_cols, f"avg({sat})", f"satisfaction_mean_{w}d",
            f"Average satisfaction (1-5) of tickets resolved by the cutoff, opened in the last {w} days", f"{w}d", "score 1-5")
        add(tk_cols, f"min({sat})", f"satisfaction_min_{w}d",
            f"Lowest satisfaction (1-5) of tickets resolved by the cutoff, opened in the last {w} days", f"{w}d", "score 1-5")
        add(tk_cols, f"count(CASE WHEN age < {w} AND {slow} THEN 1 END)", f"tickets_slow_resolution_count_{w}d",
            f"Tickets from the last {w} days that took (or have been open) more than {cfg.slow_resolution_hours:g} hours",
            f"{w}d", "tickets")
        add(tk_cols, f"greatest(count(CASE WHEN age < {w} AND category = {_lit(cfg.complaint_category)} THEN 1 END) - 1, 0)",
            f"complaints_repeat_count_{w}d", f"Complaints in the last {w} days beyond the first", f"{w}d", "tickets")

    attr_cols = [f"c.{_q(a)} AS {_q(a)}" for a in cfg.attributes
                 if a not in {"customer_id", "signup_date", "churn_date"} and a != cfg.fee_attribute]
    for a in cfg.attributes:
        if a not in {"customer_id", "signup_date", "churn_date"} and a != cfg.fee_attribute:
            info.append(FeatureInfo(a, f"Customer attribute '{a}' as recorded in the customers table", "static", "as given"))

    ev_names = [c.rsplit(" AS ", 1)[1] for c in ev_cols]
    days_names = [c.rsplit(" AS ", 1)[1] for c in days_cols]
    types_names = [c.rsplit(" AS ", 1)[1] for c in types_cols]
    eng_order = [c.rsplit(" AS ", 1)[1] for pair in zip(days_cols, types_cols) for c in pair] + days_names[len(types_cols):]
    tk_names = [c.rsplit(" AS ", 1)[1] for c in tk_cols]
    zero_fill = {n for n in ev_names} | set(days_names) | set(types_names) | {n for n in tk_names if "count" in n}
    def outer(names: list[str], alias: str) -> list[str]:
        return [f"COALESCE({alias}.{n}, 0) AS {n}" if n in zero_fill and not re.search(r"_change_\d+d_vs_prev_", n) else f"{alias}.{n}" for n in names]

    big_lookback = cfg.lookback_days
    def in_range(column: str) -> str:
        return customer_range_predicate(column, *customer_range)
    rare_types = "(" + ", ".join(_lit(t) for t in (*cfg.fee_event_types, cfg.nps_event_type)) + ")"
    sql = f"""
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
    WHERE dc.age < {big_lookback}
),
ev_agg AS (
    SELECT customer_id, cutoff, {', '.join(ev_cols)}
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
    WHERE event_type = {_lit(cfg.fee_event_types[0]) if cfg.fee_event_types else 'NULL'}
    GROUP BY customer_id, cutoff
),
nps AS (
    SELECT customer_id, cutoff, max_by(value, timestamp) AS nps_last, {d.to_date('max(timestamp)')} AS nps_day
    FROM rare WHERE event_type = {_lit(cfg.nps_event_type)}
    GROUP BY customer_id, cutoff
),
days_agg AS (
    SELECT customer_id, cutoff, {', '.join(days_cols)} FROM act GROUP BY customer_id, cutoff
),
types_agg AS (
    SELECT customer_id, cutoff, {', '.join(types_cols)} FROM (
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
    SELECT customer_id, cutoff, {', '.join(tk_cols)}
    FROM tk GROUP BY customer_id, cutoff
)
SELECT s.customer_id, s.cutoff,
       {', '.join(outer(ev_names, 'e'))},
       {', '.join(c for n in eng_order for c in outer([n], 'da' if n in days_names else 'ta'))},
       {', '.join(eng_cols)},
       {', '.join(base_cols)},
       {', '.join(rare_cols)},
       {', '.join(outer(tk_names, 'tka'))}{''.join(', ' + a for a in attr_cols)}
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
LEFT JOIN tk_agg tka ON tka.customer_id = s.customer_id AND tka.cutoff = s.cutoff
ORDER BY s.cutoff, s.customer_id
"""
    return sql, info


def dictionary_frame(info: list[FeatureInfo]) -> pd.DataFrame:
    """The feature dictionary as a table: name, family, meaning, window, unit."""
    return pd.DataFrame(
        [(f.name, f.family, f.meaning, f.window, f.unit) for f in info],
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
