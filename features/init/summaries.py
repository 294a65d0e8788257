"""The few numbers ``churn init`` derives from, read with DuckDB from the validated tables (any size of data).

Each query returns a small frame (one row per event type, per customer column, or per repeat customer); the
choices themselves are made on those frames (:mod:`features.init.kind`, :mod:`features.init.passive`, ...).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from features.init.passive import by_name
from features.sql import ident, literal

_KEYS = ("customer_id", "signup_date", "churn_date")


def _list(values: list[str]) -> str:
    return "[" + ", ".join(literal(v) for v in values) + "]::VARCHAR[]"


def churn_dates(con: duckdb.DuckDBPyConnection, customers: str) -> tuple[int, int]:
    """``(customers, customers with a churn date)``."""
    n, n_churn = con.sql(f"SELECT count(*), count(churn_date) FROM {customers}").fetchall()[0]
    return int(n), int(n_churn)


def first_event(con: duckdb.DuckDBPyConnection, events: str) -> dt.date | None:
    """The first event's date."""
    first = con.sql(f"SELECT CAST(min(timestamp) AS DATE) FROM {events}").fetchall()[0][0]
    return first


def event_types(con: duckdb.DuckDBPyConnection, events: str) -> pd.DataFrame:
    """One row per type: ``event_type``, ``n`` and ``n_shared``, its events on a day the same customer has an
    event of another type whose name does not say passive (:func:`features.init.passive.by_name`)."""
    names = [r[0] for r in con.sql(f"SELECT DISTINCT event_type FROM {events} ORDER BY 1").fetchall()]
    named = _list([t for t in names if by_name(t)])
    return con.sql(f"""
        WITH d AS (SELECT customer_id, event_type, CAST(timestamp AS DATE) AS day, count(*) AS n
                   FROM {events} GROUP BY ALL),
        act AS (SELECT customer_id, day, count(*) AS k FROM d
                WHERE NOT list_contains({named}, event_type) GROUP BY ALL)
        SELECT d.event_type, sum(d.n)::BIGINT AS n,
               coalesce(sum(d.n) FILTER (WHERE coalesce(act.k, 0)
                        - CASE WHEN list_contains({named}, d.event_type) THEN 0 ELSE 1 END > 0), 0)::BIGINT
                   AS n_shared
        FROM d LEFT JOIN act USING (customer_id, day) GROUP BY 1 ORDER BY n DESC, 1""").df()


def median_gaps(con: duckdb.DuckDBPyConnection, events: str, passive: list[str]) -> pd.Series:
    """Each repeat customer's median gap in days between two days with an active (not passive) event."""
    return con.sql(f"""
        WITH days AS (SELECT DISTINCT customer_id, CAST(timestamp AS DATE) AS day FROM {events}
                      WHERE NOT list_contains({_list(passive)}, event_type)),
        gaps AS (SELECT customer_id, day - lag(day) OVER (PARTITION BY customer_id ORDER BY day) AS gap FROM days)
        SELECT customer_id, median(gap) AS median_gap FROM gaps WHERE gap IS NOT NULL
        GROUP BY 1 ORDER BY 1""").df()["median_gap"]


def text_columns(con: duckdb.DuckDBPyConnection, customers: str) -> pd.DataFrame:
    """One row per text customer attribute, in the table's order: ``column``, ``n`` and ``distinct``."""
    rel = con.sql(f"SELECT * FROM {customers}")
    rows = []
    for name, kind in zip(rel.columns, rel.types):
        if name in _KEYS or str(kind) != "VARCHAR":
            continue
        n, distinct = con.sql(f"SELECT count({ident(name)}), count(DISTINCT {ident(name)}) "
                              f"FROM {customers}").fetchall()[0]
        rows.append({"column": name, "n": int(n), "distinct": int(distinct)})
    return pd.DataFrame(rows, columns=["column", "n", "distinct"])
