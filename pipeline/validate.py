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
from features.validation import check_table, empty_table_failure, stage_table
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


def _attribute_sql(con: duckdb.DuckDBPyConnection, table: RawTable) -> list[str]:
    """Numbers become DOUBLE features; text and booleans stay categorical text."""
    out = []
    types = column_types(con, "SELECT * FROM typed_customers")
    for column in attribute_columns(table):
        q = ident(column)
        src_type = str(types[column])
        if src_type in {"DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"} or src_type.startswith("DECIMAL"):
            out.append(f"CAST({q} AS DOUBLE) AS {q}")
            continue
        text = f"NULLIF(trim(CAST({q} AS VARCHAR)), '')"
        n_text, n_num = con.sql(
            f"SELECT count({text}), count(TRY_CAST({text} AS DOUBLE)) FROM customers_ok").fetchall()[0]
        if n_text > 0 and n_text == n_num and src_type != "BOOLEAN":
            out.append(f"TRY_CAST({text} AS DOUBLE) AS {q}")
        else:
            out.append(f"{text} AS {q}")
    return out


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
    if not raw_dir.is_dir():
        raise ContractError(f"{raw_dir}: raw data folder does not exist (set data.raw_dir in params.yaml)")
    with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
        con = duck.connect(Path(tmp) / "validate.duckdb", temp_directory=tmp)
        con.execute("SET preserve_insertion_order = true")
        present: dict[str, RawTable] = {}
        for name in TABLES:
            table = open_table(con, raw_dir, name)
            if table is not None:
                stage_table(con, table)
                present[name] = table
        as_of = _as_of(con, present, as_of)
        failures, results = [], {}
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

        with atomic_dir(rejected_dir) as rej_tmp:
            for name, table in present.items():
                n_rej = con.sql(f"SELECT count(*) FROM flags_{name} WHERE _reasons IS NOT NULL").fetchall()[0][0]
                results[name]["rows_rejected"] = int(n_rej)
                results[name]["rows_kept"] = results[name]["rows_read"] - int(n_rej)
            write_json({n: r.get("rows_rejected", 0) for n, r in results.items()}, rej_tmp / "rejected_counts.json")
            for name in present:
                n_rej = results[name]["rows_rejected"]
                if n_rej:
                    con.sql(f"SELECT s.*, f._reasons AS reason FROM src_{name} s JOIN flags_{name} f USING (_row) "
                            f"WHERE f._reasons IS NOT NULL ORDER BY s._row").write_parquet(str(rej_tmp / f"{name}.parquet"))
        with atomic_dir(validated_dir) as out:
            attrs = _attribute_sql(con, present["customers"])
            selects = {
                "customers": f"customer_id, signup_date, churn_date{''.join(', ' + a for a in attrs)}",
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
            manifest = {
                "as_of": as_of.isoformat(),
                "raw_dir": str(raw_dir),
                "attributes": [a.rsplit(" AS ", 1)[1].strip('"') for a in attrs],
                "rows": {n: r["rows_kept"] for n, r in results.items()},
            }
            write_json(manifest, out / "manifest.json")
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
