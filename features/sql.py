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

    def days_to_anniversary(self, start: str, day: str, months: int) -> str:
        """Days from ``day`` to the next date after it that is a whole number of ``months`` after ``start``.

        Month ends clip (a signup on 31 January has its monthly anniversary on 29 February).
        """
        if self.name == "spark":
            k = f"floor(months_between({day}, {start}) / {months})"
            nxt = (f"CASE WHEN add_months({start}, CAST(({k}) * {months} AS INT)) > {day} "
                   f"THEN add_months({start}, CAST(({k}) * {months} AS INT)) "
                   f"ELSE add_months({start}, CAST(({k} + 1) * {months} AS INT)) END")
            return f"datediff({nxt}, {day})"
        k = f"(date_diff('month', {start}, {day}) // {months})"
        at = f"CAST({start} + to_months(CAST({k} * {months} AS INTEGER)) AS DATE)"
        after = f"CAST({start} + to_months(CAST(({k} + 1) * {months} AS INTEGER)) AS DATE)"
        return f"date_diff('day', {day}, CASE WHEN {at} > {day} THEN {at} ELSE {after} END)"

    def latest(self, value: str, order: str) -> str:
        """Aggregate: ``value`` of the row with the largest ``order``; among rows tied on it, the largest ``value``.

        A bare ``max_by(value, order)`` keeps whichever tied row the scan meets first, so two events of the same
        second could give either value from one run to the next. Rows whose ``order`` is NULL are skipped.
        DuckDB returns the value through the composite key, so -0.0 comes back as 0.0.
        """
        key = f"struct({order}, {value})" if self.name == "spark" else f"({order}, {value})"
        return f"max_by({value}, CASE WHEN {order} IS NOT NULL THEN {key} END)"

    def previous(self, expr: str, partition: str, order: str) -> str:
        """The latest non-NULL ``expr`` of the rows before this one in ``partition`` ordered by ``order``."""
        if self.name == "spark":
            return (f"last({expr}, true) OVER (PARTITION BY {partition} ORDER BY {order} "
                    "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)")
        return f"lag({expr} IGNORE NULLS) OVER (PARTITION BY {partition} ORDER BY {order})"

    def bit(self, index: str, wide: bool = False) -> str:
        """The integer with only bit ``index`` set (a 128-bit integer when ``wide``: DuckDB's HUGEINT)."""
        if self.name == "spark":
            return f"shiftleft(CAST(1 AS BIGINT), CAST({index} AS INT))"
        kind = "HUGEINT" if wide else "BIGINT"
        return f"(CAST(1 AS {kind}) << CAST({index} AS {kind}))"

    def hours_between(self, start: str, end: str) -> str:
        if self.name == "spark":
            return f"((unix_timestamp({end}) - unix_timestamp({start})) / 3600.0)"
        return f"(date_diff('second', {start}, {end}) / 3600.0)"
