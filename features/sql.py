"""SQL text helpers shared by the feature, label and validation queries: quoting and engine spellings.

Identifiers and string literals are quoted here and nowhere else. File paths
never go into SQL text: readers and writers take them through DuckDB's
relation API (``con.read_parquet(path)``, ``relation.write_parquet(path)``).
"""

from __future__ import annotations

import dataclasses


def ident(name: str) -> str:
    """A quoted SQL identifier (``"price plan"``), safe for any column name."""
    return '"' + str(name).replace('"', '""') + '"'


def literal(value: object) -> str:
    """A quoted SQL string literal (``'o''brien'``)."""
    return "'" + str(value).replace("'", "''") + "'"


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
