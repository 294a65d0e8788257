"""The data's as-of date: the extract date the whole pipeline measures time against.

With ``data.as_of`` unset it is the latest date found in any date column of the
contract tables: events, signups, churn dates, tickets opened and resolved,
campaign contacts. A churn date recorded in the export has happened by the time
of the extract (a customer who left on 2024-03-01 while the events end in
February), so it counts like any other date. Two guards keep a typo from moving
every cutoff: dates after today are never taken (they are reported by
validation's ``not_in_future`` rules), and a latest date more than a year after
every other one (2204 for 2024, 2099 for a churn date) stops the run and asks
for the fix or for ``data.as_of``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import duckdb

from features.contract import ContractError
from features.sql import ident, literal

log = logging.getLogger(__name__)

# (table, column) of every date or timestamp column of the contract tables, in the order they are named.
DATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("events", "timestamp"), ("customers", "signup_date"), ("customers", "churn_date"), ("tickets", "opened_at"),
    ("tickets", "resolved_at"), ("contacts", "contacted_at"), ("contacts", "assigned_at"),
)
MAX_GAP_DAYS = 365     # a latest date this far after every other date is a mistyped year, not the extract date
QUIET_DAYS = 7         # an as-of date this far after the last event is worth a warning: an extract has events
                       #   up to about its own day, so later dates may be notices (churns not happened yet)


@dataclasses.dataclass(frozen=True)
class AsOf:
    """The as-of date and where it came from (``data.as_of`` or the date columns that hold it)."""

    date: dt.date
    source: tuple[str, ...]


def _latest_dates(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], today: dt.date | None,
                  n: int) -> list[tuple[dt.date, list[str]]]:
    """The ``n`` latest distinct dates (not after today) of every date column, each with the columns holding it."""
    parts = [f"SELECT DISTINCT CAST({ident(column)} AS DATE) AS d, {literal(f'{table}.{column}')} AS src "
             f"FROM typed_{table}" for table, column in DATE_COLUMNS if table in tables]
    cap = f" AND d <= DATE '{today.isoformat()}'" if today is not None else ""
    return [(d, list(src)) for d, src in con.sql(
        f"SELECT d, list(src ORDER BY src) FROM ({' UNION ALL '.join(parts)}) WHERE d IS NOT NULL{cap} "
        f"GROUP BY d ORDER BY d DESC LIMIT {n}").fetchall()]


def _last_event_day(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    return con.sql("SELECT max(CAST(timestamp AS DATE)) FROM typed_events").fetchall()[0][0]


def as_of_date(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], given: dt.date | None,
               today: dt.date | None) -> AsOf:
    """The data's as-of date: ``given`` (``data.as_of``), else the latest date in the data not after today.

    Args:
        con: a connection holding the staged ``typed_<table>`` tables (``features/staging.py``).
        tables: the contract tables present (customers and events at least).
        given: ``data.as_of``; when set it is the answer, and later dates are reported by validation.
        today: today's date; later dates never become the as-of date (None: no cap, for tests).

    Returns:
        The date and the columns it was read from.

    Raises:
        ContractError: no date parses at all, or the latest date is more than a year after every other one.
    """
    if given is not None:
        return AsOf(given, ("data.as_of",))
    latest = _latest_dates(con, tables, today, 2)
    if not latest:
        raise ContractError("no parseable dates in customers.signup_date or events.timestamp; cannot tell the data's "
                            "as-of date")
    (day, source), *rest = latest
    if rest and (day - rest[0][0]).days > MAX_GAP_DAYS:
        raise ContractError(
            f"the latest date in the data, {day}, is {(day - rest[0][0]).days} days after every other date (the "
            f"next is {rest[0][0]}; the latest is in {', '.join(source)}): a mistyped year? Fix it, or set "
            "data.as_of to the extract date (later rows are then reported as after the as-of date)")
    last_event = _last_event_day(con)
    if last_event is not None and (day - last_event).days > QUIET_DAYS:
        log.warning("the data's as-of date %s (from %s) is %d days after the last event (%s): the customers look "
                    "inactive over those days; set data.as_of if the extract date is earlier (a customer who has "
                    "given notice but not left yet has no churn_date)",
                    day, ", ".join(source), (day - last_event).days, last_event)
    log.info("the data's as-of date: %s (the latest date in %s)", day, ", ".join(source))
    return AsOf(day, tuple(source))
