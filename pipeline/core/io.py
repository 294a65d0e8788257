"""File outputs written atomically: Parquet, JSON, spreadsheet-safe CSV, and streams of Arrow tables.

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
        _fsync(tmp_path)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _fsync(path: Path) -> None:
    """Flush a finished file to disk before it is renamed into place (a crash then leaves old or new, never half)."""
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


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


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(df: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Defuse spreadsheet formulas: prefix ``'`` to text cells starting with = + - @ tab or CR.

    Follows the OWASP CSV-injection guidance for cells that came from customer data.

    Args:
        df: the table to be written.
        columns: the columns to treat; None means every text (object, string
            or categorical) column. Numeric columns are never changed.

    Returns:
        A copy of ``df`` with the affected cells prefixed.
    """
    out = df.copy()
    targets = columns if columns is not None else list(df.columns)
    for col in targets:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)
                or isinstance(s.dtype, pd.CategoricalDtype)):
            continue
        values = s.astype(object)
        is_text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        text = values.where(is_text, "").astype(str)
        risky = text.str.startswith(_FORMULA_START).to_numpy(dtype=bool) & is_text
        if risky.any():
            values = values.copy()
            values[risky] = "'" + text[risky]
            out[col] = values
    return out


def write_csv_for_spreadsheet(df: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV that Excel and Google Sheets open correctly, atomically, with formulas defused.

    UTF-8 with a byte-order mark (so Excel shows Japanese text correctly); text
    cells that would run as formulas get a leading ``'`` (:func:`neutralise_formulas`).

    Args:
        df: the table.
        path: destination file.
    """
    with atomic_path(path) as tmp:
        neutralise_formulas(df).to_csv(tmp, index=False, encoding="utf-8-sig")


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
