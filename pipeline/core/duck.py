"""DuckDB connections for the stages: bounded memory, tables read and written by path, never through SQL text.

A file path goes to DuckDB only through its relation API (``read_parquet``,
``read_csv``, ``write_parquet``) or its connection config, so any folder name
works, ``o'brien data/`` included.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

from features.sql import literal
from pipeline.core.io import atomic_path

DEFAULT_MEMORY_LIMIT = "2GB"
TABLES = ("customers", "events", "tickets")


def connect(database: str | Path = ":memory:", memory_limit: str | None = None,
            temp_directory: str | Path | None = None, threads: int | None = None,
            timezone: str = "UTC") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose memory is bounded: beyond ``memory_limit`` it spills to ``temp_directory``.

    Args:
        database: a database file, or ``:memory:``.
        memory_limit: e.g. ``"4GB"``. None: env ``CHURN_DUCKDB_MEMORY_LIMIT``, else ``DEFAULT_MEMORY_LIMIT``
            (DuckDB's own default, 80% of RAM, lets a 100M-event log take most of a shared machine).
        temp_directory: where to spill; None: ``<system temp>/churn-duckdb``.
        threads: DuckDB worker threads (None: env ``CHURN_DUCKDB_THREADS``, else DuckDB's default, one per core).
            No output depends on it.
        timezone: the session's TimeZone (``data.timezone``), so that no result depends on the machine's.

    Returns:
        The connection.
    """
    config = {
        "memory_limit": memory_limit or os.environ.get("CHURN_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT,
        "temp_directory": str(temp_directory or Path(tempfile.gettempdir()) / "churn-duckdb"),
    }
    threads = threads or os.environ.get("CHURN_DUCKDB_THREADS")
    if threads:
        config["threads"] = int(threads)
    con = duckdb.connect(str(database), config=config)
    con.execute(f"SET TimeZone = {literal(timezone)}")  # needs ICU, which DuckDB loads on first use
    return con


def view_parquet(con: duckdb.DuckDBPyConnection, name: str, path: str | Path) -> None:
    """Create (or replace) view ``name`` over a Parquet file; the file is scanned lazily."""
    con.read_parquet(str(path)).create_view(name, replace=True)


def connect_validated(validated_dir: str | Path, threads: int | None = None,
                      memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with views ``customers``, ``events`` and ``tickets`` over the validated tables.

    Args:
        validated_dir: the validate stage's output folder.
        threads: DuckDB worker threads (None: DuckDB's default).
        memory_limit: DuckDB's memory_limit (see :func:`connect`).

    Returns:
        The connection; the tables stay on disk and are scanned lazily.
    """
    con = connect(memory_limit=memory_limit, threads=threads)
    for name in TABLES:
        view_parquet(con, name, Path(validated_dir) / f"{name}.parquet")
    return con


def write_query(con: duckdb.DuckDBPyConnection, sql: str, path: str | Path) -> None:
    """Write a query's result to Parquet atomically, straight from the SQL engine."""
    with atomic_path(path) as tmp:
        con.sql(sql).write_parquet(str(tmp))


ROW_GROUP_ROWS = 122_880   # DuckDB's default row group size


def write_in_order(con: duckdb.DuckDBPyConnection, sql: str, path: str | Path) -> int:
    """Write a query's rows to Parquet atomically, in the order the query gives them, in row groups of a fixed size.

    DuckDB's own parallel writer forms row groups from the batches its threads produced, so the bytes would
    depend on the number of threads; streamed through Arrow into fixed row groups they do not.

    Returns:
        The number of rows written.
    """
    import pyarrow.parquet as pq

    reader = con.sql(sql).to_arrow_reader(ROW_GROUP_ROWS)
    written = 0
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, reader.schema, compression="snappy") as writer:
        pending: list = []
        size = 0
        for batch in reader:
            pending.append(batch)
            size += batch.num_rows
            while size >= ROW_GROUP_ROWS:
                table = pa_table(pending)
                writer.write_table(table.slice(0, ROW_GROUP_ROWS), row_group_size=ROW_GROUP_ROWS)
                rest = table.slice(ROW_GROUP_ROWS)
                pending, size, written = [rest], rest.num_rows, written + ROW_GROUP_ROWS
        if size or not written:
            writer.write_table(pa_table(pending, reader.schema), row_group_size=ROW_GROUP_ROWS)
            written += size
    return written


def pa_table(batches: list, schema=None):
    """One Arrow table of record batches or tables (``schema`` for none)."""
    import pyarrow as pa

    parts = [b if isinstance(b, pa.Table) else pa.Table.from_batches([b]) for b in batches]
    return pa.concat_tables(parts) if parts else schema.empty_table()


def column_types(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, str]:
    """Column name -> DuckDB type name of a query, without running it."""
    rel = con.sql(f"SELECT * FROM ({sql}) LIMIT 0")
    return {name: str(t) for name, t in zip(rel.columns, rel.types)}
