"""File outputs written atomically, and where the repository lives.

Every stage output goes to a temporary name in the same folder first and is
renamed into place, so a crash or a validation error never leaves a
half-written file, or a stale one that looks fresh.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd


def _sweep_stale(path: Path) -> None:
    """Remove temporaries that a killed earlier run left beside ``path`` (never the output itself)."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    Args:
        path: the final file name.

    Yields:
        A temporary file path in the same folder; removed if the block raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; swap it in for ``path`` on success.

    Args:
        path: the final folder.

    Yields:
        A fresh temporary folder; removed if the block raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_parquet_streams(tables: Iterable[tuple[str, Any]], paths: dict[str, Path], schemas: dict[str, Any],
                          row_group_size: int, compression: str = "zstd") -> dict[str, int]:
    """Stream ``(name, Arrow table)`` pairs into one Parquet file per name, all or nothing.

    Every file is written under a temporary name and renamed into place only
    when the whole stream has been written, so an error part-way leaves none of
    them (and no temporaries). A name that receives no rows still gets a file
    with its schema.

    Args:
        tables: the rows to write, in order, e.g. a generator of chunks.
        paths: table name -> final file.
        schemas: table name -> Arrow schema.
        row_group_size: rows per Parquet row group.
        compression: Parquet codec.

    Returns:
        Rows written per table.
    """
    import pyarrow.parquet as pq

    rows = {name: 0 for name in paths}
    with contextlib.ExitStack() as stack:
        tmps = {name: stack.enter_context(atomic_path(path)) for name, path in paths.items()}
        writers = {name: pq.ParquetWriter(tmps[name], schemas[name], compression=compression, write_statistics=True)
                   for name in paths}
        try:
            for name, table in tables:
                if table.num_rows:
                    writers[name].write_table(table, row_group_size=row_group_size)
                    rows[name] += table.num_rows
        finally:
            for writer in writers.values():
                writer.close()
    return rows


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    """Write a DataFrame to Parquet atomically, without the index."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)


def write_json(obj: Any, path: str | Path) -> None:
    """Write JSON atomically, keys sorted, so equal content gives equal bytes."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def read_json(path: str | Path) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def remove_outputs(*paths: str | Path) -> None:
    """Delete outputs of an earlier run so that a failed run leaves none that look fresh."""
    for p in map(Path, paths):
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def repo_root(start: str | Path | None = None) -> Path:
    """Return the user's repository root, also from inside a DVC experiment copy.

    ``dvc exp run --temp`` and queued experiments execute in a copy under
    ``<repo>/.dvc/tmp/exps/``; runs from there must land in the repository's own
    MLflow store, so the copy resolves to the repository that holds it.

    Args:
        start: where to start looking; the working directory by default.

    Returns:
        The folder holding ``dvc.yaml`` (outermost repository when nested in a DVC temp copy).
    """
    here = Path(start or os.getcwd()).resolve()
    parts = here.parts
    if ".dvc" in parts:
        idx = parts.index(".dvc")
        candidate = Path(*parts[:idx])
        if (candidate / "dvc.yaml").exists() or (candidate / ".dvc").is_dir():
            return candidate
    for folder in (here, *here.parents):
        if (folder / "dvc.yaml").exists():
            return folder
    return here


DEFAULT_MEMORY_LIMIT = "2GB"


def configure_duckdb(con, memory_limit: str | None = None, temp_directory: str | Path | None = None) -> None:
    """Bound a DuckDB connection's memory: beyond ``memory_limit`` it spills to ``temp_directory``.

    Args:
        con: the connection.
        memory_limit: e.g. ``"4GB"``. None: env ``CHURN_DUCKDB_MEMORY_LIMIT``, else ``DEFAULT_MEMORY_LIMIT``
            (DuckDB's own default, 80% of RAM, lets a 100M-event log take most of a shared machine).
        temp_directory: where to spill; None: ``<system temp>/churn-duckdb``.
    """
    limit = memory_limit or os.environ.get("CHURN_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT
    spill = str(temp_directory or Path(tempfile.gettempdir()) / "churn-duckdb")
    con.execute(f"SET temp_directory = '{spill.replace(chr(39), chr(39) * 2)}'")
    con.execute(f"SET memory_limit = '{str(limit).replace(chr(39), '')}'")


def connect_validated(validated_dir: str | Path, threads: int | None = None, memory_limit: str | None = None):
    """A DuckDB connection with views ``customers``, ``events`` and ``tickets`` over the validated tables.

    Args:
        validated_dir: the validate stage's output folder.
        threads: DuckDB worker threads (None: DuckDB's default).
        memory_limit: DuckDB's memory_limit (see ``configure_duckdb``).

    Returns:
        The connection; the tables stay on disk and are scanned lazily.
    """
    import duckdb

    validated_dir = Path(validated_dir)
    con = duckdb.connect()
    configure_duckdb(con, memory_limit)
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    for name in ("customers", "events", "tickets"):
        path = str(validated_dir / f"{name}.parquet").replace("'", "''")
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    return con


def copy_query(con, sql: str, path: str | Path) -> None:
    """Write a query's result to Parquet atomically, straight from the SQL engine."""
    with atomic_path(path) as tmp:
        con.execute(f"COPY ({sql}) TO '{str(tmp).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)")


def column_types(con, sql: str) -> dict[str, str]:
    """Column name -> DuckDB type name of a query, without running it."""
    rel = con.sql(f"SELECT * FROM ({sql}) LIMIT 0")
    return {name: str(t) for name, t in zip(rel.columns, rel.types)}
