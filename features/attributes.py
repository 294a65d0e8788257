"""Customer attributes: their feature types, and the columns that must never become features (personal data).

A column ``data.exclude_columns`` names never enters the pipeline (see
:func:`features.contract.column_names`). Beyond those, a text column is left
out of the features, with a warning, when it identifies people rather than
describing them: its values look like e-mail addresses or phone numbers, or,
on at least ``MIN_ROWS_FOR_UNIQUE`` customers, every customer has a value of
its own (a name, an address, an external id). Such a column would be useless
to the model and its values would end up in the model's files.
"""

from __future__ import annotations

import duckdb

from features.contract import RawTable, attribute_columns
from features.sql import ident

MIN_ROWS_FOR_UNIQUE = 50
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_PHONE = r"^\+?[0-9][0-9 ().\-/]{6,}$"
_NUMERIC = {"DOUBLE", "FLOAT", "REAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER",
            "USMALLINT", "UTINYINT"}


def _text(q: str) -> str:
    return f"NULLIF(trim(CAST({q} AS VARCHAR)), '')"


def _identifying(con: duckdb.DuckDBPyConnection, q: str, customers: str) -> str | None:
    """Why a text column identifies customers (None: it describes them)."""
    text = _text(q)
    n, distinct, emails, phones = con.sql(
        f"SELECT count({text}), count(DISTINCT {text}), count_if(regexp_matches({text}, '{_EMAIL}')), "
        f"count_if(regexp_matches({text}, '{_PHONE}') AND length(regexp_replace({text}, '[^0-9]', '', 'g')) >= 7) "
        f"FROM {customers}").fetchall()[0]
    if n == 0:
        return None
    if emails >= 0.8 * n:
        return "its values are e-mail addresses"
    if phones >= 0.8 * n:
        return "its values are phone numbers"
    if n >= MIN_ROWS_FOR_UNIQUE and distinct == n:
        return f"every one of its {n:,} values belongs to one customer only (a name or an id)"
    return None


def attribute_sql(con: duckdb.DuckDBPyConnection, table: RawTable, types: dict[str, str],
                  customers: str = "customers_ok") -> tuple[dict[str, str], dict[str, str]]:
    """Each attribute's SQL over ``customers``, and the ones left out with the reason.

    Numbers become DOUBLE features; text that is numeric everywhere becomes DOUBLE
    too; other text and booleans stay categorical text.

    Returns:
        ``({name: sql}, {name: why it is left out})``.
    """
    out: dict[str, str] = {}
    left_out: dict[str, str] = {}
    for column in attribute_columns(table):
        q = ident(column)
        src_type = str(types[column])
        if src_type in _NUMERIC or src_type.startswith("DECIMAL"):
            out[column] = f"CAST({q} AS DOUBLE)"
            continue
        text = _text(q)
        sql = f"SELECT count({text}), count(TRY_CAST({text} AS DOUBLE)) FROM {customers}"
        n_text, n_num = con.sql(sql).fetchall()[0]
        if n_text > 0 and n_text == n_num and src_type != "BOOLEAN":
            out[column] = f"TRY_CAST({text} AS DOUBLE)"
            continue
        why = None if src_type == "BOOLEAN" else _identifying(con, q, customers)
        if why is not None:
            left_out[column] = why
            continue
        out[column] = text
    return out, left_out
