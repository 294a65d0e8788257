"""Why the ids of two files fail to match, when it can be seen: said in the ``known_customer`` failure.

Unknown ids are rarely unknown customers. Most often both files name the same
customers in different forms: leading zeros in one file and not in the other
(``00123`` and ``123``, typically because one export stored the ids as numbers:
a float column ``123.0`` keeps no zeros), decimals written as text (``123.0``),
upper and lower case, or spaces inside the id. The unknown ids are compared
with the customers' ids once each difference is undone, in one DuckDB join
(vectorised; no row loop), and the differences that make them match are named.
"""

from __future__ import annotations

import dataclasses

import duckdb

from features.contract import RawTable
from features.validation import Failure

__all__ = ["explain_unknown_ids", "unknown_id_cause"]


def _ws(x: str) -> str:
    """SQL: the id without any whitespace (a no-break or ideographic space included)."""
    return f"regexp_replace({x}, '[\\s\\x{{00A0}}\\x{{3000}}]+', '', 'g')"


def _no_decimals(x: str) -> str:
    return f"regexp_replace({_ws(x)}, '\\.0+$', '')"


def _zeros(x: str) -> str:
    return f"regexp_extract({_no_decimals(x)}, '^0*')"


def _base(x: str) -> str:
    return f"ltrim({_no_decimals(x)}, '0')"


def _key(x: str) -> str:
    """SQL: the id with every difference this module knows undone."""
    return f"lower({_base(x)})"


def _id_text(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, bool]:
    """The id as the file wrote it (its text, for a float column) and whether the column is a float column."""
    floats = "customer_id__raw" in con.sql(f"SELECT * FROM typed_{name} LIMIT 0").columns
    return ("customer_id__raw" if floats else "customer_id"), floats


def _pairs_sql(con: duckdb.DuckDBPyConnection, name: str) -> str:
    u_text, _ = _id_text(con, name)
    k_text, _ = _id_text(con, "customers")
    key = _key
    return (
        f"WITH u AS (SELECT DISTINCT t.customer_id AS u, t.{u_text} AS u_text FROM typed_{name} t "
        f"ANTI JOIN typed_customers a USING (customer_id) WHERE t.customer_id IS NOT NULL), "
        f"k AS (SELECT DISTINCT customer_id AS k, {k_text} AS k_text FROM typed_customers "
        f"WHERE customer_id IS NOT NULL AND {key('customer_id')} <> ''), "
        f"p AS (SELECT u, u_text, k, k_text, {_zeros('u')} <> {_zeros('k')} AS zeros, "
        f"{_zeros('k')} <> '' AS zeros_in_customers, "
        f"regexp_matches({_ws('u')}, '\\.0+$') <> regexp_matches({_ws('k')}, '\\.0+$') AS decimals, "
        f"{_base('u')} <> {_base('k')} AS cases, ({_ws('u')} <> u OR {_ws('k')} <> k) AS spaces "
        f"FROM u JOIN k ON {key('u')} = {key('k')}) "
    )


def _example(column: str) -> str:
    """The first pair (by customer id) a difference explains, as two texts."""
    return f"min(k) FILTER (WHERE {column}), arg_min(u_text, k) FILTER (WHERE {column}), " \
           f"arg_min(k_text, k) FILTER (WHERE {column})"


def unknown_id_cause(con: duckdb.DuckDBPyConnection, table: RawTable, customers: RawTable) -> str:
    """The likely cause of ``table``'s unknown customer ids, or ``""`` when none can be seen.

    Args:
        con: a connection holding ``typed_customers`` and ``typed_<table>`` (``features/staging.py``).
        table: the events, tickets or contacts file whose ids belong to no customer.
        customers: the customers file.

    Returns:
        A sentence naming the differences (leading zeros, a float column, decimals, case, spaces), an example
        pair, and how many of the unknown ids match a customer once they are undone.
    """
    _, u_float = _id_text(con, table.name)
    _, k_float = _id_text(con, "customers")
    row = con.sql(
        _pairs_sql(con, table.name)
        + "SELECT (SELECT count(DISTINCT u) FROM u), count(DISTINCT u), count_if(zeros AND zeros_in_customers), "
        + ", ".join(_example(c) for c in ("zeros", "decimals", "cases", "spaces")) + " FROM p").fetchall()[0]
    n_unknown, n_matched, n_zeros_in_customers, *examples = row
    if not n_matched:
        return ""
    here, there = table.path.name, customers.path.name
    causes = []
    for i, what in enumerate(("zeros", "decimals", "cases", "spaces")):
        _, u_text, k_text = examples[3 * i: 3 * i + 3]
        if u_text is None:
            continue
        pair = f"'{k_text}' in {there}, '{u_text}' in {here}"
        if what == "zeros":
            with_zeros, other, other_float = ((there, here, u_float) if n_zeros_in_customers else
                                              (here, there, k_float))
            cause = f"leading zeros in {with_zeros} and not in {other} ({pair})"
            if other_float:
                cause += f"; {other} stores customer_id as a float column, and a number keeps no leading zeros"
        else:
            cause = {"decimals": f"ids written with decimals in one file ({pair})",
                     "cases": f"upper and lower case ({pair})",
                     "spaces": f"spaces inside the ids ({pair})"}[what]
        causes.append(cause)
    return (f"likely cause: {'; and '.join(causes)}: {n_matched:,} of the {n_unknown:,} unknown ids match a "
            f"customer once that is undone; export customer_id as text in the same form in both files")


def explain_unknown_ids(con: duckdb.DuckDBPyConnection, failures: list[Failure], table: RawTable,
                        customers: RawTable) -> list[Failure]:
    """``failures`` with the likely cause added to ``table``'s ``known_customer`` failure, when one is seen."""
    out = []
    for f in failures:
        if f.table == table.name and f.rule == "known_customer":
            cause = unknown_id_cause(con, table, customers)
            f = dataclasses.replace(f, hint=cause) if cause else f
        out.append(f)
    return out
