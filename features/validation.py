"""Checks on the raw contract tables, run as SQL inside DuckDB.

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

from features.contract import COLUMNS, DEFAULTS, ContractError, RawTable, attribute_columns, check_columns, raw_view
from features.sql import ident


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

    def message(self) -> str:
        where = "lines" if self.is_csv else "rows"
        return (
            f"{self.path}: column '{self.column}', rule '{self.rule}': {self.n_rows:,} of {self.n_read:,} rows "
            f"{self.problem} ({where} {', '.join(self.examples)})"
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


def _typed_expr(column: str, target: str, source_type: str) -> str:
    """Cast a raw column to its contract type; NULL where it does not parse."""
    raw = f"src.{ident(column)}"
    if source_type == target:
        return raw
    text = f"NULLIF(trim(CAST({raw} AS VARCHAR)), '')"
    if target == "DATE":
        return f"COALESCE(TRY_CAST({text} AS DATE), CAST(TRY_CAST({text} AS TIMESTAMP) AS DATE))"
    if target == "TIMESTAMP" and source_type == "DATE":
        return f"CAST({raw} AS TIMESTAMP)"
    if target == "VARCHAR":
        return text
    return f"TRY_CAST({text} AS {target})"


def _raw_text(column: str) -> str:
    return f"NULLIF(trim(CAST(src.{ident(column)} AS VARCHAR)), '')"


def _source_types(con: duckdb.DuckDBPyConnection, table: RawTable) -> dict[str, str]:
    rel = con.sql(f"SELECT * FROM {raw_view(table)} LIMIT 0")
    return {clean: str(t) for clean, t in zip(table.columns, rel.types)}


def stage_table(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    """Create view ``src_<name>`` (row number + clean column names) and ``typed_<name>``.

    ``typed_<name>`` holds the contract columns cast to their types, ``_row``
    (1-based data row), and for each cast column its text as read, for examples.
    """
    check_columns(table)
    select = ", ".join(f"{ident(table.source(c))} AS {ident(c)}" for c in table.columns)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW src_{table.name} AS "
        f"SELECT row_number() OVER () AS _row, {select} FROM {raw_view(table)}"
    )
    types = _source_types(con, table)
    parts = ["src._row AS _row"]
    for column, (target, _) in COLUMNS[table.name].items():
        if column in table.columns:
            parts.append(f"{_typed_expr(column, target, types[column])} AS {ident(column)}")
            parts.append(f"{_raw_text(column)} AS {ident(column + '__raw')}")
        else:
            default = DEFAULTS.get((table.name, column), "NULL")
            parts.append(f"CAST({default} AS {target}) AS {ident(column)}")
            parts.append(f"CAST(NULL AS VARCHAR) AS {ident(column + '__raw')}")
    if table.name == "customers":
        for column in attribute_columns(table):
            parts.append(f"src.{ident(column)} AS {ident(column)}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE typed_{table.name} AS SELECT {', '.join(parts)} FROM src_{table.name} AS src"
    )


def _parse_rules(table: str, present: tuple[str, ...]) -> list[Rule]:
    rules = []
    for column, (target, required) in COLUMNS[table].items():
        col, raw = ident(column), ident(column + "__raw")
        if required:
            rules.append(Rule(column, "required", "are empty", f"t.{raw} IS NULL AND t.{col} IS NULL"))
        if column in present and target != "VARCHAR":
            what = {"DATE": "a date (YYYY-MM-DD)", "TIMESTAMP": "a datetime (YYYY-MM-DD HH:MM:SS)", "DOUBLE": "a number"}[target]
            rules.append(Rule(column, "type", f"are not {what}", f"t.{raw} IS NOT NULL AND t.{col} IS NULL"))
    return rules


def row_rules(table: str, present: tuple[str, ...]) -> list[Rule]:
    """The row-level rules of one contract table.

    Args:
        table: a contract table name.
        present: the columns the file has.

    Returns:
        The rules; referential ones assume a ``c`` alias joined on customer_id
        (the accepted customers), an ``a`` alias (every customer_id in the
        customers file, accepted or not) and a ``:as_of_end`` placeholder for the
        first instant after the as-of date.
    """
    rules = _parse_rules(table, present)
    if table == "customers":
        rules += [
            Rule("customer_id", "unique", "share a customer_id with another row",
                 "t.customer_id IS NOT NULL AND count(*) OVER (PARTITION BY t.customer_id) > 1"),
            Rule("churn_date", "churn_not_before_signup", "have a churn_date before their signup_date",
                 "t.churn_date < t.signup_date"),
            Rule("signup_date", "not_after_as_of", "have a signup_date after the data's as-of date",
                 "CAST(t.signup_date AS TIMESTAMP) >= :as_of_end"),
        ]
    else:
        ts = "timestamp" if table == "events" else "opened_at"
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
            Rule(ts, "not_after_as_of", "are stamped after the data's as-of date",
                 f"t.{ident(ts)} >= :as_of_end"),
        ]
    if table == "events":
        rules.append(Rule("value", "finite", "are NaN or infinite", "NOT isfinite(t.value)"))
    if table == "tickets":
        rules += [
            Rule("resolved_at", "not_before_opened", "are resolved before they were opened",
                 "t.resolved_at < t.opened_at"),
            Rule("resolved_at", "not_after_as_of", "are resolved after the data's as-of date",
                 "t.resolved_at >= :as_of_end"),
            Rule("satisfaction", "range_1_5", "have a satisfaction outside 1-5",
                 "t.satisfaction IS NOT NULL AND (NOT isfinite(t.satisfaction) OR t.satisfaction < 1 OR t.satisfaction > 5)"),
        ]
    return rules


def _example_sql(rule: Rule, is_csv: bool) -> str:
    row = "t._row + 1" if is_csv else "t._row"
    raw = f"t.{ident(rule.column + '__raw')}"
    return (
        f"CAST({row} AS VARCHAR) || ': ' || COALESCE('''' || {raw} || '''', "
        f"CAST(t.{ident(rule.column)} AS VARCHAR), 'empty')"
    )


def check_table(
    con: duckdb.DuckDBPyConnection, table: RawTable, as_of: dt.date, customers_table: str = "customers_ok",
    all_customers_table: str = "typed_customers",
) -> tuple[list[Failure], int]:
    """Evaluate every row rule of a staged table and flag offending rows.

    Creates ``flags_<name>`` with ``_row`` and ``_reasons`` (NULL when the row is fine).

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
    rules = row_rules(table.name, table.columns)
    as_of_end = f"TIMESTAMP '{as_of + dt.timedelta(days=1)} 00:00:00'"
    preds = [r.predicate.replace(":as_of_end", as_of_end) for r in rules]
    join = "" if table.name == "customers" else (
        f"LEFT JOIN {customers_table} AS c USING (customer_id) "
        f"LEFT JOIN (SELECT DISTINCT customer_id FROM {all_customers_table}) AS a ON a.customer_id = t.customer_id")
    flag_cols = ", ".join(f"COALESCE({p}, false) AS f{i}" for i, p in enumerate(preds))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE rule_hits_{table.name} AS "
        f"SELECT t._row, {flag_cols}, "
        + ", ".join(f"CASE WHEN COALESCE({p}, false) THEN {_example_sql(r, table.is_csv)} END AS e{i}"
                    for i, (p, r) in enumerate(zip(preds, rules)))
        + f" FROM typed_{table.name} AS t {join}"
    )
    n_read = con.sql(f"SELECT count(*) FROM typed_{table.name}").fetchall()[0][0]
    counts = con.sql(
        f"SELECT {', '.join(f'count_if(f{i})' for i in range(len(rules)))} FROM rule_hits_{table.name}"
    ).fetchall()[0]
    failures = []
    for i, (rule, n) in enumerate(zip(rules, counts)):
        if n:
            examples = [r[0] for r in con.sql(
                f"SELECT e{i} FROM rule_hits_{table.name} WHERE f{i} ORDER BY _row LIMIT 5").fetchall()]
            failures.append(Failure(table.name, table.path, rule.column, rule.rule, rule.problem,
                                    int(n), int(n_read), tuple(examples), table.is_csv))
    reasons = " || ".join(
        f"CASE WHEN f{i} THEN '{r.column}:{r.rule};' ELSE '' END" for i, r in enumerate(rules)
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE flags_{table.name} AS "
        f"SELECT _row, NULLIF(rtrim({reasons}, ';'), '') AS _reasons FROM rule_hits_{table.name}"
    )
    return failures, int(n_read)


def empty_table_failure(table: RawTable, n_read: int) -> ContractError | None:
    """An empty required table is an error, not zero rows of work."""
    if n_read == 0 and table.name in ("customers", "events"):
        return ContractError(
            f"{table.path}: table '{table.name}' has a header but no rows; the pipeline needs at least one"
        )
    return None
