"""Customer-range parts of the feature table, and the one file they are stitched into.

The featurize stage builds customers in id ranges. Each range's rows are
sorted by (cutoff, customer_id) here (sorting the keys and taking the rows is
cheaper than DuckDB's sort of the wide rows) and split into one Arrow file per
cutoff; the stitcher then reads, for each cutoff in turn, that cutoff's
file of every range in customer order. Every row is read once, nothing is
sorted, and row groups have a fixed size, so the bytes of the stitched file do
not depend on how the customers were split. With a single range there is
nothing to stitch: its sorted rows are written straight into the same row
groups (:func:`write_whole`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from pipeline.core.io import atomic_path

ROW_GROUP_ROWS = 122_880   # DuckDB's default row group size


class Background:
    """One job at a time in a background thread: :meth:`submit` first waits for the previous job (so at most one
    range waits in memory beside the one being built) and re-raises its error."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._job: Future | None = None

    def submit(self, fn, *args) -> None:
        self.wait()
        self._job = self._pool.submit(fn, *args)

    def wait(self) -> None:
        job, self._job = self._job, None
        if job is not None:
            job.result()

    def __enter__(self) -> "Background":
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True)


def _cutoff_file(part: Path, k: int) -> Path:
    return part / f"cutoff-{k:05d}.arrow"


def cutoff_runs(table: pa.Table, cutoffs: list[dt.date], where: Path) -> Iterator[tuple[int, pa.Table]]:
    """The rows of each cutoff (its index in ``cutoffs``), ordered by customer; cutoffs without rows are skipped.

    Raises:
        RuntimeError: rows at a cutoff that is not in ``cutoffs`` (never dropped silently); ``where`` names them.
    """
    order = pc.sort_indices(table, sort_keys=[("cutoff", "ascending"), ("customer_id", "ascending")])
    days = pc.take(table["cutoff"], order)
    kept = 0
    for k, cutoff in enumerate(cutoffs):
        # the rows of one cutoff are a run of the sorted order: the columns are copied once
        mask = pc.equal(days, pa.scalar(cutoff, pa.date32()))
        n = pc.sum(mask).as_py() or 0
        if not n:
            continue
        lo = int(pc.index(days, pa.scalar(cutoff, pa.date32())).as_py())
        yield k, table.take(order.slice(lo, n))
        kept += n
    if kept != table.num_rows:
        raise RuntimeError(f"{where}: {table.num_rows - kept} of the range's {table.num_rows} rows are at a cutoff "
                           f"that is not one of the stage's {len(cutoffs)} cutoffs")


def known_cutoffs(table: pa.Table, cutoffs: list[dt.date], where: Path) -> pa.Table:
    """The table, if every row is at one of ``cutoffs``.

    Raises:
        RuntimeError: rows at a cutoff that is not in ``cutoffs`` (never dropped silently); ``where`` names them.
    """
    unknown = table.num_rows - (pc.sum(pc.is_in(table["cutoff"], pa.array(cutoffs, pa.date32()))).as_py() or 0)
    if unknown:
        raise RuntimeError(f"{where}: {unknown} of {table.num_rows} rows are at a cutoff that is not one of the "
                           f"stage's {len(cutoffs)} cutoffs")
    return table


def split_part(table: pa.Table, cutoffs: list[dt.date], part: Path) -> None:
    """Write one customer range's rows, ordered by customer, as one Arrow file per cutoff.

    Args:
        table: the range's feature rows, with ``customer_id`` and ``cutoff`` columns, in any order.
        cutoffs: the stage's cutoffs, in order.
        part: the range's folder (created).

    Raises:
        RuntimeError: rows at a cutoff that is not in ``cutoffs`` (never dropped silently).
    """
    part.mkdir(parents=True, exist_ok=True)
    for k, rows in cutoff_runs(table, cutoffs, part):
        with ipc.new_file(_cutoff_file(part, k), table.schema,
                          options=ipc.IpcWriteOptions(compression="lz4")) as writer:
            writer.write_table(rows)


def _read_parts(parts: list[Path], n_cutoffs: int) -> Iterator[pa.Table]:
    """The parts' rows cutoff by cutoff, and within a cutoff part by part (customer order)."""
    for k in range(n_cutoffs):
        for part in parts:
            file = _cutoff_file(part, k)
            if file.exists():
                with ipc.open_file(file) as reader:
                    yield reader.read_all()


def stitch(parts: list[Path], cutoffs: list[dt.date], schema: pa.Schema, path: Path) -> int:
    """Write the parts (folders of :func:`split_part`, in customer order) as one Parquet file ordered by cutoff.

    Returns:
        The number of rows written.
    """
    return write_in_row_groups(_read_parts(parts, len(cutoffs)), schema, path)


def write_whole(table: pa.Table, cutoffs: list[dt.date], path: Path) -> int:
    """Write the rows of every customer (one range) as the Parquet file :func:`stitch` would write from its parts.

    The same bytes as splitting the table and stitching the one part, without the round trip through Arrow files.

    Returns:
        The number of rows written.
    """
    return write_in_row_groups((rows for _, rows in cutoff_runs(table, cutoffs, path)), table.schema, path)


def write_in_row_groups(pieces: Iterable[pa.Table], schema: pa.Schema, path: Path) -> int:
    """Write the pieces, in order, as one Parquet file of row groups of ``ROW_GROUP_ROWS`` rows (the last shorter).

    The row groups do not depend on how the rows were cut into pieces, so neither do the bytes.

    Returns:
        The number of rows written.
    """
    buffer: list[pa.Table] = []
    buffered = written = 0
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, schema, compression="snappy") as writer:
        def flush(final: bool) -> None:
            nonlocal buffer, buffered, written
            if not buffer:
                return
            table = pa.concat_tables(buffer)
            keep = table.num_rows if final else table.num_rows - table.num_rows % ROW_GROUP_ROWS
            if keep:
                writer.write_table(table.slice(0, keep), row_group_size=ROW_GROUP_ROWS)
                written += keep
            rest = table.slice(keep)
            buffer, buffered = ([rest], rest.num_rows) if rest.num_rows else ([], 0)

        for rows in pieces:
            buffer.append(rows)
            buffered += rows.num_rows
            if buffered >= ROW_GROUP_ROWS:
                flush(final=False)
        flush(final=True)
    return written
