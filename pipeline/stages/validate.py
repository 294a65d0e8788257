"""Stage validate: check the raw contract tables and write typed, clean copies.

Reads ``data.raw_dir``; writes ``data/interim/validated/`` (typed Parquet plus
``manifest.json`` with the as-of date), ``data/interim/rejected/`` and
``data/interim/validation_report.json``. In strict mode any broken rule stops
the stage with every failure listed and nothing written downstream. How files
are read (encodings, delimiters, headers) is ``features/raw_files.py``; how
values are typed and checked, ``features/validation.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import tempfile
from pathlib import Path

import duckdb

from features.as_of import as_of_date
from features.attributes import attribute_sql
from features.contract import COLUMNS, TABLES, ContractError, RawTable
from features.ids import explain_unknown_ids
from features.raw_files import csv_error, open_table
from features.sql import ident
from features.staging import ReadRules, stage_table
from features.validation import Failure, check_table, empty_table_failure, rejected_share_error
from pipeline.core import config, duck
from pipeline.core.duck import column_types
from pipeline.core.io import atomic_dir, remove_outputs, write_json

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Options:
    """How the raw files are read and how much lenient mode may quarantine (``data:`` and ``validate:`` params)."""

    encoding: str = "auto"
    timezone: str = "UTC"
    exclude_columns: tuple[str, ...] = ()
    signed_event_types: tuple[str, ...] = ()
    max_rejected_share: float = 0.5
    today: dt.date | None = dataclasses.field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).date())

    @property
    def read(self) -> ReadRules:
        return ReadRules(self.timezone, self.today, self.signed_event_types)


def _open_tables(con: duckdb.DuckDBPyConnection, raw_dir: Path, options: Options,
                 work_dir: Path) -> dict[str, RawTable]:
    """Find, read and stage every contract table of the folder (``typed_<name>`` tables)."""
    if not raw_dir.is_dir():
        raise ContractError(f"{raw_dir}: raw data folder does not exist (set data.raw_dir in params.yaml)")
    present: dict[str, RawTable] = {}
    for name in TABLES:
        table = open_table(con, raw_dir, name, work_dir, options.encoding, options.exclude_columns)
        if table is None:
            continue
        try:
            stage_table(con, table, options.read)
        except duckdb.InvalidInputException as exc:
            raise csv_error(table, exc) from None
        for header in table.ignored:
            log.warning("%s: column %r is not part of table '%s' and is ignored", table.path, header, name)
        present[name] = table
    return present


def _check(con: duckdb.DuckDBPyConnection, present: dict[str, RawTable], as_of: dt.date,
           mode: str, read: ReadRules) -> tuple[list[Failure], dict[str, dict]]:
    """Evaluate every rule; in strict mode any failure stops here with all of them listed."""
    failures: list[Failure] = []
    results: dict[str, dict] = {}
    for name, table in present.items():
        fails, n_read = check_table(con, table, as_of, "customers_ok", read=read)
        empty = empty_table_failure(table, n_read)
        if empty is not None:
            raise empty
        if name != "customers":
            fails = explain_unknown_ids(con, fails, table, present["customers"])
        failures += fails
        results[name] = {"file": str(table.path), "rows_read": n_read}
        if table.is_csv:
            results[name].update(encoding=table.encoding, delimiter=table.delimiter)
        if table.ignored:
            results[name]["ignored_columns"] = list(table.ignored)
        if table.excluded:
            results[name]["excluded_columns"] = {h: "data.exclude_columns" for h in table.excluded}
        if name == "customers":
            con.execute("CREATE OR REPLACE TEMP TABLE customers_ok AS SELECT t.* FROM typed_customers t "
                        "ANTI JOIN flags_customers f USING (_row)")
    if failures and mode == "strict":
        lines = "\n  ".join(f.message() for f in failures)
        raise ContractError(
            f"validation failed in strict mode ({len(failures)} rule(s) broken; nothing written downstream; "
            f"set validate.mode: lenient to quarantine the rows instead):\n  {lines}")
    for f in failures:
        log.warning("quarantined: %s", f.message())
    return failures, results


def _nothing_left(con: duckdb.DuckDBPyConnection, present: dict[str, RawTable], failures: list[Failure]) -> None:
    """Lenient mode may quarantine rows, but not every row of a required table: then there is nothing to model."""
    for name in ("customers", "events"):
        n_read = con.sql(f"SELECT count(*) FROM typed_{name}").fetchall()[0][0]
        n_bad = con.sql(f"SELECT count(*) FROM flags_{name}").fetchall()[0][0]
        if n_read and n_bad == n_read:
            rules = sorted({f"{f.column}: {f.rule}" for f in failures if f.table == name})
            raise ContractError(
                f"{present[name].path}: every one of its {n_read:,} rows breaks a rule ({'; '.join(rules)}), so "
                f"lenient mode would quarantine the whole table '{name}' and leave nothing to model; fix the file "
                "(validate.mode: strict lists the problems with examples)")


def _too_many_rejected(con: duckdb.DuckDBPyConnection, present: dict[str, RawTable], failures: list[Failure],
                       max_share: float) -> None:
    """Lenient mode stops when it would quarantine more than ``validate.max_rejected_share`` of a table."""
    for name in ("customers", "events", "tickets"):
        if name not in present:
            continue
        n_read, n_bad = con.sql(f"SELECT (SELECT count(*) FROM typed_{name}), (SELECT count(*) FROM flags_{name})"
                                ).fetchall()[0]
        error = rejected_share_error(present[name], int(n_read), int(n_bad), max_share, failures)
        if error is not None:
            raise error


def _write_rejected(con: duckdb.DuckDBPyConnection, present: dict[str, RawTable], results: dict[str, dict],
                    rejected_dir: Path) -> None:
    """Quarantine the offending rows with their reasons; count kept and rejected rows per table."""
    with atomic_dir(rejected_dir) as rej_tmp:
        for name in present:
            n_rej = con.sql(f"SELECT count(*) FROM flags_{name}").fetchall()[0][0]
            results[name]["rows_rejected"] = int(n_rej)
            results[name]["rows_kept"] = results[name]["rows_read"] - int(n_rej)
        write_json({n: r.get("rows_rejected", 0) for n, r in results.items()}, rej_tmp / "rejected_counts.json")
        for name in present:
            if results[name]["rows_rejected"]:
                con.sql(f"SELECT s.*, f._reasons AS reason FROM src_{name} s JOIN flags_{name} f USING (_row) "
                        f"ORDER BY s._row").write_parquet(str(rej_tmp / f"{name}.parquet"))


def _write_validated(con: duckdb.DuckDBPyConnection, present: dict[str, RawTable], results: dict[str, dict],
                     validated_dir: Path, raw_dir: Path, as_of: dt.date) -> None:
    """The kept rows as typed Parquet, in file order (row groups of a fixed size: the bytes do not depend on the
    number of threads), and the manifest the later stages read."""
    with atomic_dir(validated_dir) as out:
        types = column_types(con, "SELECT * FROM typed_customers")
        attrs, left_out = attribute_sql(con, present["customers"], types)
        for name, why in left_out.items():
            log.warning("%s: column %r is left out of the features: %s (list it in data.exclude_columns to say so)",
                        present["customers"].path, name, why)
        if left_out:
            results["customers"].setdefault("excluded_columns", {}).update(left_out)
        selects = {
            "customers": "customer_id, signup_date, churn_date"
                         + "".join(f", {sql} AS {ident(name)}" for name, sql in attrs.items()),
            "events": "customer_id, timestamp, lower(event_type) AS event_type, COALESCE(value, 1.0) AS value",
            "tickets": "customer_id, opened_at, lower(category) AS category, resolved_at, satisfaction",
            "contacts": ", ".join(f"lower({ident(c)}) AS {ident(c)}" if c in ("group", "risk_tier") else ident(c)
                                  for c in COLUMNS["contacts"]),
        }
        for name in TABLES:
            target = out / f"{name}.parquet"
            if name not in present:
                con.sql("SELECT " + ", ".join(f"CAST(NULL AS {t}) AS {ident(c)}" for c, (t, _) in COLUMNS[name].items())
                        + " LIMIT 0").write_parquet(str(target))
                if name != "contacts":  # a campaign table that is not there changes nothing the report said before
                    results[name] = {"file": None, "rows_read": 0, "rows_kept": 0, "rows_rejected": 0}
                continue
            # The staged table is in file order: with nothing rejected it is read as it is, in parallel.
            kept = (f"typed_{name} t" if not results[name]["rows_rejected"] else
                    f"(SELECT t.* FROM typed_{name} t ANTI JOIN flags_{name} f USING (_row) ORDER BY t._row) t")
            duck.write_in_order(con, f"SELECT {selects[name]} FROM {kept}", target)
        manifest = {"as_of": as_of.isoformat(), "raw_dir": str(raw_dir), "attributes": list(attrs),
                    "rows": {n: r["rows_kept"] for n, r in results.items()}}
        write_json(manifest, out / "manifest.json")


def validate(raw_dir: Path, validated_dir: Path, rejected_dir: Path, report_path: Path,
             mode: str, as_of: dt.date | None, options: Options = Options()) -> dict:
    """Validate the raw folder and write the clean tables.

    Args:
        raw_dir: folder with the contract tables.
        validated_dir: where the typed, clean tables go.
        rejected_dir: where lenient mode quarantines offending rows.
        report_path: the JSON report of rows read, kept and rejected.
        mode: ``strict`` or ``lenient``.
        as_of: the data's as-of date, or None to take the latest date in the data.
        options: how the files are read (encoding, time zone, excluded columns, signed event types, today).

    Returns:
        The report dict.
    """
    remove_outputs(validated_dir, rejected_dir, report_path)
    with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
        con = duck.connect(Path(tmp) / "validate.duckdb", temp_directory=tmp, timezone=options.timezone)
        con.execute("SET preserve_insertion_order = true")
        present = _open_tables(con, raw_dir, options, Path(tmp) / "utf8")
        as_of = as_of_date(con, tuple(present), as_of, options.today).date
        failures, results = _check(con, present, as_of, mode, options.read)
        _nothing_left(con, present, failures)
        _too_many_rejected(con, present, failures, options.max_rejected_share)
        _write_rejected(con, present, results, rejected_dir)
        _write_validated(con, present, results, validated_dir, raw_dir, as_of)
        con.close()
    report = {
        "mode": mode,
        "as_of": as_of.isoformat(),
        "tables": results,
        "failures": [
            {"table": f.table, "file": str(f.path), "column": f.column, "rule": f.rule,
             "rows": f.n_rows, "examples": list(f.examples), **({"likely_cause": f.hint} if f.hint else {})}
            for f in failures
        ],
    }
    write_json(report, report_path)
    return report


def main(params_path: Path = Path("params.yaml"), validated_dir: Path = Path("data/interim/validated"),
         rejected_dir: Path = Path("data/interim/rejected"),
         report_path: Path = Path("data/interim/validation_report.json")) -> dict:
    """Run the validate stage from params."""
    params = config.Params.load(params_path)
    data = params.data
    vp = params.validate
    options = Options(encoding=data.encoding, timezone=data.timezone, exclude_columns=data.exclude_columns,
                      signed_event_types=vp.signed_event_types, max_rejected_share=vp.max_rejected_share)
    return validate(Path(data.raw_dir), validated_dir, rejected_dir, report_path, vp.mode, data.as_of, options)
