"""Customer ranges: the featurize stage builds its customers a range at a time, so that memory stays bounded.

Each range's query filters the events and tickets by customer id. When the
files are clustered by customer (each Parquet row group holds a run of ids,
as the validated synthetic world is), that filter skips most row groups; when
they are not, as in most exports, every range would read the whole log again.
Then the tables are written once, split by range, and each range reads only
its own part.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from pipeline.core import duck

log = logging.getLogger(__name__)

SPLIT = ("events", "tickets")


def customer_ranges(con: duckdb.DuckDBPyConnection, n_chunks: int) -> list[tuple[str | None, str | None]]:
    """Split the customers into ``n_chunks`` contiguous id ranges of (nearly) equal size.

    Args:
        con: a connection with the ``customers`` view.
        n_chunks: how many ranges.

    Returns:
        ``(lower, upper)`` bounds, ``lower <= customer_id < upper``, None for an open end.
    """
    if n_chunks <= 1:
        return [(None, None)]
    bounds = [r[0] for r in con.sql(
        "SELECT customer_id FROM (SELECT customer_id, row_number() OVER (ORDER BY customer_id) - 1 AS i "
        f"FROM customers) WHERE i > 0 AND i % ceil((SELECT count(*) FROM customers) / {int(n_chunks)}) = 0 "
        "ORDER BY customer_id").fetchall()]
    edges: list[str | None] = [None, *bounds, None]
    return list(zip(edges[:-1], edges[1:]))


def clustered(path: Path, column: str = "customer_id") -> bool:
    """Whether the file's row groups hold ascending, non-overlapping runs of ``column`` (by their statistics)."""
    meta = pq.ParquetFile(path).metadata
    if meta.num_row_groups <= 1:
        return True
    index = meta.schema.to_arrow_schema().get_field_index(column)
    previous = None
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(index).statistics
        if stats is None or not stats.has_min_max:
            return False
        if previous is not None and stats.min < previous:
            return False
        previous = stats.max
    return True


class RangeTables:
    """The ``events`` and ``tickets`` views of one customer range at a time.

    Args:
        con: the stage's connection (views ``customers``, ``events``, ``tickets`` over ``validated_dir``).
        ranges: the customer ranges, in order.
        validated_dir: the validated tables.
        work_dir: where a table that is not clustered by customer is split by range (removed with it).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, ranges: list[tuple[str | None, str | None]],
                 validated_dir: Path, work_dir: Path):
        self.con, self.validated_dir, self.work_dir = con, Path(validated_dir), Path(work_dir)
        self.split = [] if len(ranges) <= 1 else [
            name for name in SPLIT if not clustered(self.validated_dir / f"{name}.parquet")]
        if self.split:
            self._write(ranges)

    def _write(self, ranges: list[tuple[str | None, str | None]]) -> None:
        """One pass over each unclustered table: every row goes to its range's folder."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        lowers = [lo for lo, _ in ranges[1:]]
        self.con.execute("CREATE OR REPLACE TEMP TABLE range_bounds (lower VARCHAR, range_index INTEGER)")
        self.con.executemany("INSERT INTO range_bounds VALUES (?, ?)", [(lo, i + 1) for i, lo in enumerate(lowers)])
        # Each customer's range, from the small customers table; the log then meets it in a hash join.
        self.con.execute("CREATE OR REPLACE TEMP TABLE customer_range AS SELECT c.customer_id, "
                         "COALESCE(b.range_index, 0) AS range_index FROM customers c "
                         "ASOF LEFT JOIN range_bounds b ON c.customer_id >= b.lower")
        # A thread buffers rows for every range it meets before it flushes them: bound that, or a log split
        # into many ranges holds most of a range per range in memory at once.
        self.con.execute("SET partitioned_write_flush_threshold = 65536")
        for name in self.split:
            log.info("%s is not ordered by customer: splitting it by customer range once", name)
            rel = self.con.sql(f"SELECT t.*, r.range_index FROM {name} t JOIN customer_range r USING (customer_id)")
            rel.write_parquet(str(self.work_dir / name), partition_by=["range_index"], write_partition_columns=False)

    def select(self, i: int) -> None:
        """Point the views at range ``i``'s rows (an unsplit table keeps its view over the whole file)."""
        for name in self.split:
            folder = self.work_dir / name / f"range_index={i}"
            files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
            if files:
                self.con.read_parquet([str(f) for f in files]).create_view(name, replace=True)
            else:   # no rows in this range: the same columns, none of the rows
                duck.view_parquet(self.con, name, self.validated_dir / f"{name}.parquet")
                self.con.sql(f"SELECT * FROM {name} LIMIT 0").create_view(name, replace=True)
