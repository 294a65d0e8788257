"""Checks on the raw contract tables, run as SQL inside DuckDB (on the typed tables of ``features/staging.py``).

Every rule is a SQL predicate that is TRUE on an offending row. All rules of a
table are evaluated in one scan; failures are reported with the file, the
column, the rule, how many rows break it and up to five examples. In strict
mode any failure stops the run; in lenient mode the offending rows are moved to
a quarantine table with their reasons, and kept + rejected always equals read.

The SQL is plain ANSI (CASE, window counts, joins) apart from TRY_CAST, so the
same checks port to Spark SQL (``try_cast``) when the data outgrows one machine.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import duckdb

from features.contract import COLUMNS, CONTACT_GROUPS, ContractError, RawTable
from features.sql import ident, literal
from features.staging import ReadRules, trimmed_text

__all__ = ["MAX_ABS_VALUE", "Failure", "Rule", "TableResult", "check_table", "empty_table_failure",
           "rejected_share_error", "row_rules"]


@dataclasses.dataclass(frozen=True)
class Rule:
    """One row-level check: ``predicate`` is TRUE on a row that breaks it."""

    column: str
    rule: str
    problem: str
    predicate: str


@dataclasses.dataclass(frozen=True)
class Failure:
    """A rule that some rows break."""

    table: str
    path: Path
    column: str
    rule: str
    problem: str
    n_rows: int
    n_read: int
    examples: tuple[str, ...]
    is_csv: bool
    hint: str = ""      # the likely cause, when one can be seen (``features/ids.py``)

    def message(self) -> str:
        where = "lines" if self.is_csv else "rows"
        return (
            f"{self.path}: column '{self.column}', rule '{self.rule}': {self.n_rows:,} of {self.n_read:,} rows "
            f"{self.problem} ({where} {', '.join(self.examples)})" + (f"; {self.hint}" if self.hint else "")
        )


@dataclasses.dataclass
class TableResult:
    """What validation kept and rejected of one table."""

    name: str
    path: Path
    n_read: int
    n_kept: int
    n_rejected: int
    failures: list[Failure]


MAX_ABS_VALUE = 1e12  # an event value beyond a trillion is a typo or a placeholder, never a measurement


def _parse_rules(table: str, present: tuple[str, ...], raw_text: tuple[str, ...]) -> list[Rule]:
    """Required columns, and values that do not parse (only a column whose text was kept can fail to)."""
    rules = []
    for column, (target, required) in COLUMNS[table].items():
        col, raw = ident(column), ident(column + "__raw")
        kept = column in raw_text
        if required:
            rules.append(Rule(column, "required", "are empty",
                              f"t.{raw} IS NULL AND t.{col} IS NULL" if kept else f"t.{col} IS NULL"))
        if column == "customer_id" and kept:
            rules.append(Rule(column, "type", "are not whole numbers or text (an id such as 1.5)",
                              f"t.{raw} IS NOT NULL AND t.{col} IS NULL"))
        if kept and target != "VARCHAR":
            what = {"DATE": "a date (YYYY-MM-DD)", "TIMESTAMP": "a datetime (YYYY-MM-DD HH:MM:SS)",
                    "DOUBLE": "a number"}[target]
            rules.append(Rule(column, "type", f"are not {what}", f"t.{raw} IS NOT NULL AND t.{col} IS NULL"))
    return rules


def _time_rules(column: str, what: str, sql: str, future: bool) -> list[Rule]:
    """A timestamp or date column may be neither after the as-of date nor after today."""
    rules = [Rule(column, "not_after_as_of", f"{what} after the data's as-of date",
                  f"{sql} >= :as_of_end" + (f" AND {sql} < :today_end" if future else ""))]
    if future:
        rules.append(Rule(column, "not_in_future", f"{what} after today, :today (a mistyped year?)",
                          f"{sql} >= :today_end"))
    return rules


def _churn_rules(future: bool) -> list[Rule]:
    """A churn date is a date of the data like any other (it moves the as-of date), so only an explicit
    ``data.as_of`` before it or a date after today (a mistyped year) breaks a rule."""
    churn = "CAST(t.churn_date AS TIMESTAMP)"
    rules = [Rule("churn_date", "churn_not_after_as_of", "have a churn_date after the data's as-of date (a customer "
                  "who has given notice but not left yet has no churn_date; or set data.as_of)",
                  f"{churn} >= :as_of_end" + (f" AND {churn} < :today_end" if future else ""))]
    if future:
        rules.append(Rule("churn_date", "not_in_future", "have a churn_date after today, :today (a mistyped year?)",
                          f"{churn} >= :today_end"))
    return rules


def _value_rules(read: ReadRules) -> list[Rule]:
    signed = ", ".join(literal(t.strip().lower()) for t in read.signed_event_types)
    unsigned_type = f" AND lower(t.event_type) NOT IN ({signed})" if signed else ""
    return [
        Rule("value", "finite", "are NaN or infinite", "NOT isfinite(t.value)"),
        Rule("value", "range", f"are beyond ±{MAX_ABS_VALUE:,.0f} (a typo or a placeholder such as 1e308)",
             f"isfinite(t.value) AND abs(t.value) > {MAX_ABS_VALUE}"),
        Rule("value", "not_negative", "are negative for an event type that cannot be (list the types that may, such "
             "as refunds, in validate.signed_event_types)",
             f"t.value < 0 AND isfinite(t.value) AND abs(t.value) <= {MAX_ABS_VALUE}{unsigned_type}"),
    ]


def _contact_rules(future: bool) -> list[Rule]:
    groups = ", ".join(literal(g) for g in CONTACT_GROUPS)
    return [
        Rule("group", "contact_or_holdout", f"have a group other than {' or '.join(CONTACT_GROUPS)}",
             f"t.{ident('group')} IS NOT NULL AND lower(t.{ident('group')}) NOT IN ({groups})"),
        Rule("customer_id", "once_per_campaign", "list a customer more than once in the same campaign",
             "t.customer_id IS NOT NULL AND t.campaign_id IS NOT NULL AND "
             "count(*) OVER (PARTITION BY t.customer_id, t.campaign_id) > 1"),
        Rule("customer_value", "finite", "are NaN, infinite or negative",
             "t.customer_value IS NOT NULL AND (NOT isfinite(t.customer_value) OR t.customer_value < 0)"),
        *_time_rules("assigned_at", "have an assigned_at", "CAST(t.assigned_at AS TIMESTAMP)", future),
    ]


def row_rules(table: str, present: tuple[str, ...], read: ReadRules = ReadRules(),
              raw_text: tuple[str, ...] | None = None) -> list[Rule]:
    """The row-level rules of one contract table.

    Args:
        table: a contract table name.
        present: the columns the file has.
        read: how values are read; with ``today``, nothing may be stamped after it.
        raw_text: the columns whose text as read the staged table kept (None: every present column).

    Returns:
        The rules; referential ones assume a ``c`` alias joined on customer_id
        (the accepted customers), an ``a`` alias (every customer_id in the
        customers file, accepted or not), a ``:as_of_end`` placeholder for the
        first instant after the as-of date and ``:today_end`` for the first after today.
    """
    rules = _parse_rules(table, present, present if raw_text is None else raw_text)
    future = read.today is not None
    if table == "customers":
        rules += [
            Rule("customer_id", "unique", "share a customer_id with another row",
                 "t.customer_id IS NOT NULL AND count(*) OVER (PARTITION BY t.customer_id) > 1"),
            Rule("churn_date", "churn_not_before_signup", "have a churn_date before their signup_date",
                 "t.churn_date < t.signup_date"),
            *_time_rules("signup_date", "have a signup_date", "CAST(t.signup_date AS TIMESTAMP)", future),
            *_churn_rules(future),
        ]
    else:
        ts = {"events": "timestamp", "tickets": "opened_at", "contacts": "contacted_at"}[table]
        rules += [
            Rule("customer_id", "known_customer", "belong to no customer in the customers table",
                 "t.customer_id IS NOT NULL AND c.customer_id IS NULL AND a.customer_id IS NULL"),
            # A customer row rejected by another rule takes its events and tickets with it;
            # saying "no such customer" would send the user looking for the wrong problem.
            Rule("customer_id", "customer_rejected",
                 "belong to a customer whose own row was rejected (see the customers failures)",
                 "t.customer_id IS NOT NULL AND c.customer_id IS NULL AND a.customer_id IS NOT NULL"),
            Rule(ts, "not_before_signup", "are stamped before the customer's signup_date",
                 f"t.{ident(ts)} < CAST(c.signup_date AS TIMESTAMP)"),
            *_time_rules(ts, "are stamped", f"t.{ident(ts)}", future),
        ]
    if table == "events":
        rules += _value_rules(read)
    if table == "contacts":
        rules += _contact_rules(future)
    if table == "tickets":
        rules += [
            Rule("resolved_at", "not_before_opened", "are resolved before they were opened",
                 "t.resolved_at < t.opened_at"),
            *_time_rules("resolved_at", "are resolved", "t.resolved_at", future),
            Rule("satisfaction", "range_1_5", "have a satisfaction outside 1-5",
                 "t.satisfaction IS NOT NULL AND "
                 "(NOT isfinite(t.satisfaction) OR t.satisfaction < 1 OR t.satisfaction > 5)"),
        ]
    return rules


def _example_sql(rule: Rule, is_csv: bool, raw_text: tuple[str, ...]) -> str:
    row = "t._row + 1" if is_csv else "t._row"
    raw = f"t.{ident(rule.column + '__raw')}" if rule.column in raw_text else trimmed_text(f"t.{ident(rule.column)}")
    return (
        f"CAST({row} AS VARCHAR) || ': ' || COALESCE('''' || {raw} || '''', "
        f"CAST(t.{ident(rule.column)} AS VARCHAR), 'empty')"
    )


def check_table(
    con: duckdb.DuckDBPyConnection, table: RawTable, as_of: dt.date, customers_table: str = "customers_ok",
    all_customers_table: str = "typed_customers", read: ReadRules = ReadRules(),
) -> tuple[list[Failure], int]:
    """Evaluate every row rule of a staged table and flag offending rows.

    Creates ``flags_<name>`` with ``_row`` and ``_reasons`` for the rows that break a rule (none: an empty
    table). The rules are counted in one scan; the examples and the flags are looked up only for the rules
    that some rows break, so a clean table costs one pass.

    Args:
        con: the connection holding ``typed_<name>`` (see ``stage_table``).
        table: the raw table.
        as_of: the data's as-of date; nothing may be stamped after the end of it.
        customers_table: the table of accepted customers for referential checks.
        all_customers_table: every customer row read, accepted or not (tells an
            unknown customer from a rejected one).

    Returns:
        The failures and the number of rows read.
    """
    staged = tuple(con.sql(f"SELECT * FROM typed_{table.name} LIMIT 0").columns)
    raw_text = tuple(c[:-len("__raw")] for c in staged if c.endswith("__raw"))
    rules = row_rules(table.name, table.columns, read, raw_text)
    as_of_end = f"TIMESTAMP '{as_of + dt.timedelta(days=1)} 00:00:00'"
    today = read.today or dt.date.max - dt.timedelta(days=1)
    today_end = f"TIMESTAMP '{today + dt.timedelta(days=1)} 00:00:00'"
    preds = [f"COALESCE({r.predicate.replace(':as_of_end', as_of_end).replace(':today_end', today_end)}, false)"
             for r in rules]
    rules = [dataclasses.replace(r, problem=r.problem.replace(":today", today.isoformat())) for r in rules]
    join = "" if table.name == "customers" else (
        f"LEFT JOIN {customers_table} AS c USING (customer_id) "
        f"LEFT JOIN (SELECT DISTINCT customer_id FROM {all_customers_table}) AS a ON a.customer_id = t.customer_id")
    # A window rule (a duplicate id) must see every row, so each rule is a column of one pass over the table.
    con.execute(f"CREATE OR REPLACE TEMP VIEW checked_{table.name} AS SELECT t.*, "
                + ", ".join(f"{p} AS f{i}" for i, p in enumerate(preds)) + f" FROM typed_{table.name} AS t {join}")
    n_read, *counts = con.sql(f"SELECT count(*), {', '.join(f'count_if(f{i})' for i in range(len(rules)))} "
                              f"FROM checked_{table.name}").fetchall()[0]
    broken = [i for i, n in enumerate(counts) if n]
    failures = []
    for i in broken:
        examples = [r[0] for r in con.sql(
            f"SELECT {_example_sql(rules[i], table.is_csv, raw_text)} FROM checked_{table.name} AS t "
            f"WHERE f{i} ORDER BY _row LIMIT 5").fetchall()]
        failures.append(Failure(table.name, table.path, rules[i].column, rules[i].rule, rules[i].problem,
                                int(counts[i]), int(n_read), tuple(examples), table.is_csv))
    reasons = " || ".join(f"CASE WHEN f{i} THEN '{rules[i].column}:{rules[i].rule};' ELSE '' END" for i in broken)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE flags_{table.name} AS "
        + (f"SELECT _row, rtrim({reasons}, ';') AS _reasons FROM checked_{table.name} "
           f"WHERE {' OR '.join(f'f{i}' for i in broken)}" if broken else
           "SELECT CAST(NULL AS BIGINT) AS _row, CAST(NULL AS VARCHAR) AS _reasons LIMIT 0")
    )
    return failures, int(n_read)


def rejected_share_error(table: RawTable, n_read: int, n_rejected: int, max_share: float,
                         failures: list[Failure]) -> ContractError | None:
    """Lenient mode quarantines rows, but losing most of a table (ids that do not match) is a broken export."""
    if not n_read or n_rejected / n_read <= max_share:
        return None
    lines = "\n  ".join(f.message() for f in failures if f.table == table.name)
    return ContractError(
        f"{table.path}: lenient mode would quarantine {n_rejected:,} of the {n_read:,} rows of table "
        f"'{table.name}' ({n_rejected / n_read:.1%}), more than validate.max_rejected_share {max_share:g} "
        f"({max_share:.0%}); nothing written downstream. Fix the file, or raise validate.max_rejected_share if "
        f"losing these rows is intended:\n  {lines}")


def empty_table_failure(table: RawTable, n_read: int) -> ContractError | None:
    """An empty required table is an error, not zero rows of work."""
    if n_read == 0 and table.name in ("customers", "events"):
        return ContractError(
            f"{table.path}: table '{table.name}' has a header but no rows; the pipeline needs at least one"
        )
    return None
