"""Stage validate: check the raw contract tables and write typed, clean copies.

Reads ``data.raw_dir``; writes ``data/interim/validated/`` (typed Parquet plus
``manifest.json`` with the as-of date), ``data/interim/rejected/`` and
``data/interim/validation_report.json``. In strict mode any broken rule stops
the stage with every failure listed and nothing written downstream.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from pathlib import Path

import duckdb

from features.contract import TABLES, ContractError, RawTable, attribute_columns, open_table
from features.sql import ident
from features.validation import Failure, check_table, empty_table_failure, stage_table
from pipeline import config
from pipeline import duck
from pipeline.duck import column_types
from pipeline.io import atomic_dir, remove_outputs, write_json

log = logging.getLogger(__name__)


def _as_of(con: duckdb.DuckDBPyConnection, present: dict[str, RawTable], given: dt.date | None) -> dt.date:
    if given is not None:
        return given
    parts = ["SELECT max(CAST(timestamp AS DATE)) AS d FROM typed_events",
             "SELECT max(signup_date) FROM typed_customers"]
    if "tickets" in present:
        parts.append("SELECT max(CAST(opened_at AS DATE)) FROM typed_tickets")
    as_of = con.sql(f"SELECT max(d) FROM ({' UNION ALL '.join(parts)})").fetchall()[0][0]
    if as_of is None:
        raise ContractError("no parseable dates in customers.signup_date or events.timestamp; cannot tell the data's as-of date")
    return as_of


def _attribute_sql(con: duckdb.DuckDBPyConnection, table: RawTable) -> dict[str, str]:
    """Attribute name -> its SQL: numbers become DOUBLE features; text and booleans stay categorical text."""
    out: dict[str, str] = {}
    types = column_types(con, "SELECT * FROM typed_customers")
    for column in attribute_columns(table):
        q = ident(column)
        src_type = str(types[column])
        if src_type in {"DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"} or src_type.startswith("DECIMAL"):
            out[column] = f"CAST({q} AS DOUBLE)"
            continue
        text = f"NULLIF(trim(CAST({q} AS VARCHAR)), '')"
        n_text, n_num = con.sql(
            f"SELECT count({text}), count(TRY_CAST({text} AS DOUBLE)) FROM customers_ok").fetchall()[0]
        if n_text > 0 and n_text == n_num and src_type != "BOOLEAN":
            out[column] = f"TRY_CAST({text} AS DOUBLE)"
        else:
            out[column] = text
    return out


def _open_tables(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> dict[str, RawTable]:
    """Find, read and stage every contract table of the folder (``typed_<name>`` views)."""
    if not raw_dir.is_dir():
        raise ContractError(f"{raw_dir}: raw data folder does not exist (set data.raw_dir in params.yaml)")
    present: dict[str, RawTable] = {}
    for name in TABLES:
        table = open_table(con, raw_dir, name)
        if table is not None:
            stage_table(con, table)
            present[name] = table
    return present


def _check(con: duckdb.DuckDBPyConnection, present: dict[str, RawTable], as_of: dt.date,
           mode: str) -> tuple[list[Failure], dict[str, dict]]:
    """Evaluate every rule; in strict mode any failure stops here with all of them listed."""
    failures: list[Failure] = []
    results: dict[str, dict] = {}
    for name, table in present.items():
        fails, n_read = check_table(con, table, as_of, "customers_ok")
        empty = empty_table_failure(table, n_read)
        if empty is not None:
            raise empty
        failures += fails
        results[name] = {"file": str(table.path), "rows_read": n_read}
        if table.is_csv:
            results[name]["encoding"] = table.encoding
        if name == "customers":
            con.execute("CREATE OR REPLACE TEMP TABLE customers_ok AS SELECT t.* FROM typed_customers t "
                        "JOIN flags_customers f USING (_row) WHERE f._reasons IS NULL")
    if failures and mode == "strict":
        lines = "\n  ".join(f.message() for f in failures)
        raise ContractError(
            f"validation failed in strict mode ({len(failures)} rule(s) broken; nothing written downstream; "
            f"set validate.mode: lenient to quarantine the rows instead):\n  {lines}")
    for f in failures:
        log.warning("quarantined: %s", f.message())
    return failures, results


def _write_rejected(con: duckdb.DuckDBPyConnection, present: dict[str, RawTable], results: dict[str, dict],
                    rejected_dir: Path) -> None:
    """Quarantine the offending rows with their reasons; count kept and rejected rows per table."""
    with atomic_dir(rejected_dir) as rej_tmp:
        for name in present:
            n_rej = con.sql(f"SELECT count(*) FROM flags_{name} WHERE _reasons IS NOT NULL").fetchall()[0][0]
            results[name]["rows_rejected"] = int(n_rej)
            results[name]["rows_kept"] = results[name]["rows_read"] - int(n_rej)
        write_json({n: r.get("rows_rejected", 0) for n, r in results.items()}, rej_tmp / "rejected_counts.json")
        for name in present:
            if results[name]["rows_rejected"]:
                con.sql(f"SELECT s.*, f._reasons AS reason FROM src_{name} s JOIN flags_{name} f USING (_row) "
                        f"WHERE f._reasons IS NOT NULL ORDER BY s._row").write_parquet(str(rej_tmp / f"{name}.parquet"))


def _write_validated(con: duckdb.DuckDBPyConnection, present: dict[str, RawTable], results: dict[str, dict],
                     validated_dir: Path, raw_dir: Path, as_of: dt.date) -> None:
    """The kept rows as typed Parquet, in file order, and the manifest the later stages read."""
    with atomic_dir(validated_dir) as out:
        attrs = _attribute_sql(con, present["customers"])
        selects = {
            "customers": "customer_id, signup_date, churn_date"
                         + "".join(f", {sql} AS {ident(name)}" for name, sql in attrs.items()),
            "events": "customer_id, timestamp, lower(event_type) AS event_type, COALESCE(value, 1.0) AS value",
            "tickets": "customer_id, opened_at, lower(category) AS category, resolved_at, satisfaction",
        }
        for name in TABLES:
            target = out / f"{name}.parquet"
            if name not in present:
                con.sql("SELECT CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS TIMESTAMP) AS opened_at, "
                        "CAST(NULL AS VARCHAR) AS category, CAST(NULL AS TIMESTAMP) AS resolved_at, "
                        "CAST(NULL AS DOUBLE) AS satisfaction LIMIT 0").write_parquet(str(target))
                results[name] = {"file": None, "rows_read": 0, "rows_kept": 0, "rows_rejected": 0}
                continue
            con.sql(f"SELECT {selects[name]} FROM typed_{name} t JOIN flags_{name} f USING (_row) "
                    f"WHERE f._reasons IS NULL ORDER BY t._row").write_parquet(str(target))
        manifest = {"as_of": as_of.isoformat(), "raw_dir": str(raw_dir), "attributes": list(attrs),
                    "rows": {n: r["rows_kept"] for n, r in results.items()}}
        write_json(manifest, out / "manifest.json")


def validate(raw_dir: Path, validated_dir: Path, rejected_dir: Path, report_path: Path,
             mode: str, as_of: dt.date | None) -> dict:
    """Validate the raw folder and write the clean tables.

    Args:
        raw_dir: folder with the contract tables.
        validated_dir: where the typed, clean tables go.
        rejected_dir: where lenient mode quarantines offending rows.
        report_path: the JSON report of rows read, kept and rejected.
        mode: ``strict`` or ``lenient``.
        as_of: the data's as-of date, or None to take the latest date in the data.

    Returns:
        The report dict.
    """
    remove_outputs(validated_dir, rejected_dir, report_path)
    with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
        con = duck.connect(Path(tmp) / "validate.duckdb", temp_directory=tmp)
        con.execute("SET preserve_insertion_order = true")
        present = _open_tables(con, raw_dir)
        as_of = _as_of(con, present, as_of)
        failures, results = _check(con, present, as_of, mode)
        _write_rejected(con, present, results, rejected_dir)
        _write_validated(con, present, results, validated_dir, raw_dir, as_of)
        con.close()
    report = {
        "mode": mode,
        "as_of": as_of.isoformat(),
        "tables": results,
        "failures": [
            {"table": f.table, "file": str(f.path), "column": f.column, "rule": f.rule,
             "rows": f.n_rows, "examples": list(f.examples)} for f in failures
        ],
    }
    write_json(report, report_path)
    return report


def main(params_path: Path = Path("params.yaml"), validated_dir: Path = Path("data/interim/validated"),
         rejected_dir: Path = Path("data/interim/rejected"),
         report_path: Path = Path("data/interim/validation_report.json")) -> dict:
    """Run the validate stage from params."""
    params = config.load_params(params_path)
    data = config.section(params, "data", params_path)
    mode = config.section(params, "validate", params_path).mode
    return validate(Path(data.raw_dir), validated_dir, rejected_dir, report_path, mode, data.as_of)
