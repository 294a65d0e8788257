"""Reading a raw contract table into its contract types, inside DuckDB.

:func:`stage_table` makes ``typed_<name>``: every contract column cast to its
type (NULL where the text does not parse), the data row number, and the text
as read of each column whose cast can fail, so the rules of
``features/validation.py`` can tell "empty" from "does not parse" and show what
the file says. Timestamps are converted to the data's time zone
(:class:`ReadRules`); an id written as ``1.0`` reads ``1``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb

from features.contract import COLUMNS, DEFAULTS, RawTable, attribute_columns, check_columns
from features.raw_files import ROW, raw_view
from features.sql import ident, literal

# Whitespace a spreadsheet leaves around a value: spaces, tabs, line ends and the no-break space.
_WHITESPACE = literal(" \t\r\n\u00a0")
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                  "UBIGINT", "UHUGEINT")
# An ISO timestamp with an offset (Z, +09:00, -0500, +09) ends like this.
_OFFSET = r"(Z|z|[+-]\d{2}(:?\d{2})?)$"


@dataclasses.dataclass(frozen=True)
class ReadRules:
    """How values are read: the time zone timestamps are converted to, and today's date (nothing may be later)."""

    timezone: str = "UTC"
    today: dt.date | None = None
    signed_event_types: tuple[str, ...] = ()


def trimmed_text(raw: str) -> str:
    """SQL: the value as text without surrounding whitespace, NULL when nothing is left."""
    return f"NULLIF(trim(CAST({raw} AS VARCHAR), {_WHITESPACE}), '')"


def _to_timestamp(raw: str, source_type: str, tz: str) -> str:
    """A naive timestamp in the data's time zone ``tz`` (the connection's TimeZone is ``tz`` too).

    An ISO text with an offset (``+09:00``, ``Z``) and a time-zone-aware Parquet
    column are converted to ``tz``; a text without offset is already in ``tz``.
    """
    if source_type == "TIMESTAMP WITH TIME ZONE":
        return f"timezone({literal(tz)}, {raw})"
    if source_type.startswith("TIMESTAMP") or source_type == "DATE":
        return f"CAST({raw} AS TIMESTAMP)"
    text = trimmed_text(raw)
    return (f"CASE WHEN regexp_matches({text}, {literal(_OFFSET)}) "
            f"THEN timezone({literal(tz)}, TRY_CAST({text} AS TIMESTAMPTZ)) ELSE TRY_CAST({text} AS TIMESTAMP) END")


def _to_id(raw: str, source_type: str) -> str:
    """Ids as text: whole numbers without a decimal part (an id written as 1.0 in Parquet is ``1``)."""
    if source_type in _FLOAT_TYPES or source_type.startswith("DECIMAL"):
        return f"CASE WHEN {raw} = round({raw}) THEN CAST(CAST({raw} AS HUGEINT) AS VARCHAR) END"
    if source_type in _NUMERIC_TYPES:
        return f"CAST({raw} AS VARCHAR)"
    return trimmed_text(raw)


def _typed_expr(column: str, target: str, source_type: str, tz: str) -> str:
    """Cast a raw column to its contract type; NULL where it does not parse."""
    raw = f"src.{ident(column)}"
    if target == "VARCHAR":
        return _to_id(raw, source_type) if column == "customer_id" else trimmed_text(raw)
    if target == "TIMESTAMP":
        return _to_timestamp(raw, source_type, tz)
    if target == "DATE":
        if source_type == "DATE":
            return raw
        return f"COALESCE(TRY_CAST({trimmed_text(raw)} AS DATE), CAST({_to_timestamp(raw, source_type, tz)} AS DATE))"
    if source_type == target:
        return raw
    return f"TRY_CAST({trimmed_text(raw)} AS {target})"


def _rawtrimmed_text(column: str) -> str:
    return trimmed_text(f"src.{ident(column)}")


def _source_types(con: duckdb.DuckDBPyConnection, table: RawTable) -> dict[str, str]:
    rel = con.sql(f"SELECT * FROM {raw_view(table)} LIMIT 0")
    return {name: str(t) for name, t in zip(rel.columns, rel.types)}


def _keeps_rawtrimmed_text(column: str, target: str, source_type: str) -> bool:
    """Whether the staged table keeps the column's text as read, beside its typed value.

    The text is needed where the cast can fail or change the value (a text timestamp, an id written as a
    float): a rule then tells "empty" from "does not parse", and the examples show what the file says. Where
    the file's column already has the contract type (or is text for a text column), the typed value is the
    text, so nothing is copied.
    """
    if target == "VARCHAR":
        return column == "customer_id" and (source_type in _FLOAT_TYPES or source_type.startswith("DECIMAL"))
    if target == "TIMESTAMP":
        return not ((source_type.startswith("TIMESTAMP") and source_type != "TIMESTAMP WITH TIME ZONE")
                    or source_type == "DATE")
    return source_type != target


def stage_table(con: duckdb.DuckDBPyConnection, table: RawTable, read: ReadRules = ReadRules()) -> None:
    """Create view ``src_<name>`` (row number + column names) and ``typed_<name>``.

    ``typed_<name>`` holds the contract columns cast to their types, ``_row``
    (1-based data row), and for each column whose cast can fail its text as
    read (``<column>__raw``), for the rules and the examples. It is built in
    parallel and in file order: a Parquet file's row numbers come with its scan.
    """
    check_columns(table)
    select = ", ".join(ident(c) for c in table.columns)
    row = ROW if ROW in _source_types(con, table) else f"row_number() OVER () AS {ROW}"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW src_{table.name} AS "
        f"SELECT {row}, {select} FROM {raw_view(table)}"
    )
    types = _source_types(con, table)
    parts = ["src._row AS _row"]
    for column, (target, _) in COLUMNS[table.name].items():
        if column in table.columns:
            parts.append(f"{_typed_expr(column, target, types[column], read.timezone)} AS {ident(column)}")
            if _keeps_rawtrimmed_text(column, target, types[column]):
                parts.append(f"{_rawtrimmed_text(column)} AS {ident(column + '__raw')}")
        else:
            default = DEFAULTS.get((table.name, column), "NULL")
            parts.append(f"CAST({default} AS {target}) AS {ident(column)}")
    if table.name == "customers":
        for column in attribute_columns(table):
            parts.append(f"src.{ident(column)} AS {ident(column)}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE typed_{table.name} AS SELECT {', '.join(parts)} FROM src_{table.name} AS src"
    )
