"""The Spark engine (``engine: spark``): the featurize and label SQL, unchanged, run per customer bucket on Spark.

Events, customers and tickets are bucketed by a hash of ``customer_id``
(``spark.partitions`` buckets). Every feature and label of a customer reads only
that customer's rows, so each bucket runs the very query the DuckDB engine runs
(``features.build.feature_sql``, ``features.labels.label_sql``, ...) in a DuckDB
connection inside ``groupBy(bucket).applyInArrow``; the results are the same by
construction, and the parity test (``tests/pipeline/test_spark_parity.py``)
checks it on awkward data. No SQL is copied or transpiled here.

The small queries that decide what to compute (the most frequent event types,
the first event, the varying value types: ``pipeline.stages.featurize.feature_config``)
run as Spark SQL on the whole table through :class:`SparkQueries`, which hands
their (small) answers back as DuckDB relations.

A bucket is one Arrow table in one Python worker: it must fit in that worker's
memory (see the README, "Running on a cluster", for the measured need).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.sql import ident
from pipeline.core import config, duck

BUCKET, TABLE = "_bucket", "_table"
REPO = Path(__file__).resolve().parents[1]
EXECUTOR_DUCKDB_MEMORY = "1GB"   # per bucket query; DuckDB spills beyond it


def session(sp: config.SparkParams, timezone: str = "UTC"):
    """The Spark session of a stage: ``spark.master`` (None: the one spark-submit or the cluster gives).

    Local workers run this interpreter with this checkout first on their path, so that they import
    the same pipeline code as the driver (on a cluster the executors have the package installed).
    """
    from pyspark.sql import SparkSession

    if (sp.master or "").startswith("local"):   # a cluster's executors have their own Python and the package
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
        if str(REPO) not in paths:
            os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, paths)])
    builder = SparkSession.builder.appName("churn-pipeline")
    if sp.master:
        builder = builder.master(sp.master)
    for key, value in {"spark.sql.shuffle.partitions": str(sp.partitions), "spark.sql.session.timeZone": timezone,
                       "spark.ui.enabled": "false", "spark.sql.execution.arrow.pyspark.enabled": "true",
                       "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
                       # one task per bucket: coalescing small shuffle partitions would leave cores idle
                       "spark.sql.adaptive.coalescePartitions.enabled": "false",
                       # a bucket reaches Python in batches of this many rows: 10,000 (Spark's default) made
                       # featurize's Spark phase 78 s instead of 46 s on 10M events (bench/spark.py's world)
                       "spark.sql.execution.arrow.maxRecordsPerBatch": "200000", **sp.conf}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def read_tables(spark, input_dir: str, names: tuple[str, ...] = duck.TABLES, key: str | None = None) -> dict[str, Any]:
    """The validated tables as Spark DataFrames (``<input_dir>/<name>.parquet``, a file or a folder).

    Raises:
        ParamsError: (``key`` names the params key the folder came from) a table Spark cannot read.
        FileNotFoundError: the same, for the stage's own validated folder.
    """
    tables = {}
    for name in names:
        path = f"{str(input_dir).rstrip('/')}/{name}.parquet"
        try:
            tables[name] = spark.read.parquet(path)
        except Exception as exc:   # Spark's AnalysisException: PATH_NOT_FOUND, unreadable file, ...
            reason = str(exc).splitlines()[0]
            if key:
                raise config.ParamsError(f"{key}: {input_dir}: the validated {name} table {path} cannot be read "
                                         f"by Spark ({reason})") from None
            raise FileNotFoundError(f"{path}: the validated {name} table cannot be read by Spark ({reason}); "
                                    "run the validate stage first") from None
    return tables


class SparkQueries:
    """A stand-in for a DuckDB connection: ``sql`` runs on Spark, its small answer comes back as a DuckDB relation.

    ``register`` keeps small pandas tables (cutoffs, calendars): they become Spark views and are
    shipped whole to every bucket.
    """

    def __init__(self, spark, tables: dict[str, Any], timezone: str = "UTC"):
        self.spark, self.tables, self.timezone = spark, tables, timezone
        self.small: dict[str, pa.Table] = {}
        self._local = duck.connect(timezone=timezone)
        for name, frame in tables.items():
            frame.createOrReplaceTempView(name)

    def sql(self, text: str) -> duckdb.DuckDBPyRelation:
        return self._local.from_arrow(self.spark.sql(text).toArrow())

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self.small[name] = pa.Table.from_pandas(frame, preserve_index=False)
        self.spark.createDataFrame(frame).createOrReplaceTempView(name)

    def close(self) -> None:
        self._local.close()


def bucket_keys(spark, partitions: int) -> list[int]:
    """A grouping key per bucket that Spark's hash partitioning into ``partitions`` shuffle partitions sends to
    the partition of the same number (``pmod(hash(key), partitions)``, the partitioning's own Murmur3).

    Grouped by the bucket number itself, two buckets often share a shuffle partition (one task runs both, one
    after the other) and another partition is empty: on 10M events, 8 buckets, one core sat idle for the last
    9 s of the stage. With these keys every task gets exactly one bucket.
    """
    from pyspark.sql import functions as F

    found: dict[int, int] = {}
    start, size = 0, 64 * partitions   # every residue is hit within 64 candidates each, but for ~e^-64
    while len(found) < partitions:
        for part, key in spark.range(start, start + size).groupBy(
                F.pmod(F.hash("id"), F.lit(partitions)).alias("p")).agg(F.min("id")).collect():
            found.setdefault(int(part), int(key))
        start += size
    return [found[b] for b in range(partitions)]


def _bucket(df, keys: list[int]):
    """``df`` with its customer bucket's key first (:data:`BUCKET`): bucket ``pmod(xxhash64(customer_id), n)``,
    key ``keys[bucket]`` (:func:`bucket_keys`)."""
    from pyspark.sql import functions as F

    bucket = F.pmod(F.xxhash64("customer_id"), F.lit(len(keys))) + 1
    # long, as :func:`bucket_keys` hashed them: Murmur3 hashes an int literal differently and the keys would
    # meet in shared partitions again
    keys_col = F.array(*[F.lit(k).cast("long") for k in keys])
    return df.select(F.element_at(keys_col, bucket.cast("int")).alias(BUCKET),
                     *df.columns)


def _packed(tables: dict[str, Any], keys: list[int]):
    """The (small) tables as one frame: the bucket, the table's name, and each table's columns prefixed."""
    from pyspark.sql import functions as F

    frames = [_bucket(df, keys).select(BUCKET, F.lit(name).alias(TABLE),
                                             *[F.col(c).alias(f"{name}__{c}") for c in df.columns])
              for name, df in tables.items()]
    return functools.reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)


def _unpacked(batch: pa.Table, schemas: dict[str, pa.Schema]) -> dict[str, pa.Table]:
    """Split one bucket of the packed tables back into its tables, each with the columns and types it had."""
    out = {}
    for name, schema in schemas.items():
        rows = batch.filter(pc.equal(batch[TABLE], name))
        out[name] = pa.table([rows[f"{name}__{f.name}"].cast(f.type) for f in schema], schema=schema)
    return out


def run_sql(sql: str, tables: dict[str, pa.Table], timezone: str, threads: int | None = 1,
            memory_limit: str | None = None) -> pa.Table:
    """Run one query in a fresh DuckDB connection over Arrow tables (a bucket's).

    The tables are first copied into DuckDB's own storage: the feature query reads the events several
    times, and reading DuckDB's tables is cheaper than converting the Arrow columns at every scan (one
    bucket of bench/spark.py's world, 2.1M events: 3.4 s instead of 5.0 s, the same rows).
    """
    con = duck.connect(timezone=timezone, threads=threads, memory_limit=memory_limit)
    try:
        for name, table in tables.items():
            con.register(f"_arrow_{name}", table)
            con.execute(f"CREATE TABLE {ident(name)} AS SELECT * FROM {ident('_arrow_' + name)}")
            con.unregister(f"_arrow_{name}")
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def result_types(sql: str, tables: dict[str, pa.Table], timezone: str) -> dict[str, str]:
    """Column -> DuckDB type of a query's result, from empty tables of the same schemas (nothing runs)."""
    con = duck.connect(timezone=timezone, threads=1)
    try:
        for name, table in tables.items():
            con.register(name, table)
        return duck.column_types(con, sql)
    finally:
        con.close()


def _bucket_query(sql: str, big: str | None, schemas: dict[str, pa.Schema], small: dict[str, pa.Table],
                  out: pa.Schema, timezone: str, sink: str | None = None):
    """The function each bucket runs: its tables plus the small ones, the query, the result in Spark's types.

    With ``sink`` (a folder every worker can write) the result is written there as the bucket's Parquet file,
    from Python, and the function returns one row: that file and its row count (:data:`SINK_SCHEMA`).
    """
    def run(tables: dict[str, pa.Table]) -> pa.Table:
        return run_sql(sql, {**tables, **small}, timezone, memory_limit=EXECUTOR_DUCKDB_MEMORY).cast(out)

    def result(key, tables: dict[str, pa.Table]) -> pa.Table:
        if sink is None:
            return run(tables)
        return write_part(run(tables), Path(sink), f"part-{key[0].as_py()}.parquet")

    rest = {n: s for n, s in schemas.items() if n != big}
    if big is None:
        return lambda key, packed: result(key, _unpacked(packed, rest))
    # cogroup: (left, right) = (the big table's rows, the others packed)
    return lambda key, rows, packed: result(key, {**_unpacked(packed, rest), big: pa.table(
        [rows[f.name].cast(f.type) for f in schemas[big]], schema=schemas[big])})


SINK_SCHEMA = pa.schema([("path", pa.string()), ("rows", pa.int64())])


def write_part(table: pa.Table, folder: Path, name: str) -> pa.Table:
    """Write one bucket's result as ``folder/name``, whole or not at all (a retried task writes the same file
    again); return the row of :data:`SINK_SCHEMA` that names it."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return pa.table([pa.array([str(path)]), pa.array([table.num_rows], pa.int64())], schema=SINK_SCHEMA)


def query(q: SparkQueries, sql: str, partitions: int, tables: tuple[str, ...] = duck.TABLES, big: str = "events",
          sink: str | None = None):
    """Run ``sql`` per customer bucket on Spark.

    Only the tables the query names are shuffled. The big one (the event log) is cogrouped by bucket
    with the others packed into one frame, so that event rows carry only their own columns.

    Args:
        q: the session's tables and small registered tables.
        sql: a query that reads some of ``tables`` (and small tables); each result row belongs to one customer.
        partitions: how many buckets.
        tables: the tables bucketed by ``customer_id``.
        big: the largest of them.
        sink: a folder on a filesystem every worker and the driver share: each bucket writes its rows there
            itself (:func:`write_part`), and the frame holds one row per bucket (:data:`SINK_SCHEMA`).

    Returns:
        The Spark DataFrame of the results (or of the written files) and the DuckDB type of each result column
        (to cast back to).
    """
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    frames = {n: q.tables[n] for n in tables if re.search(rf"\b{re.escape(n)}\b", sql)}
    schemas = {name: to_arrow_schema(df.schema) for name, df in frames.items()}
    empty = {**{n: s.empty_table() for n, s in schemas.items()}, **q.small}
    types = result_types(sql, empty, q.timezone)
    spark_schema = from_arrow_schema(run_sql(f"SELECT * FROM ({sql}) LIMIT 0", empty, q.timezone).schema)
    big = big if big in frames else None
    run = _bucket_query(sql, big, schemas, q.small, to_arrow_schema(spark_schema), q.timezone, sink)
    if sink is not None:
        spark_schema = from_arrow_schema(SINK_SCHEMA)
    q.spark.conf.set("spark.sql.shuffle.partitions", str(partitions))   # a task per bucket (bucket_keys)
    keys = bucket_keys(q.spark, partitions)
    rest = _packed({n: df for n, df in frames.items() if n != big}, keys).groupBy(BUCKET)
    if big is None:
        return rest.applyInArrow(run, schema=spark_schema), types
    events = _bucket(frames[big], keys).groupBy(BUCKET)
    return events.cogroup(rest).applyInArrow(run, schema=spark_schema), types


def _local(path: str) -> Path | None:
    """The local folder of a path or ``file:`` URI (None for object storage such as ``s3a://``)."""
    if path.startswith("file:"):
        return Path(urllib.parse.urlparse(path).path)
    return None if "://" in path else Path(path)


def collect(q: SparkQueries, sql: str, sp: config.SparkParams, name: str,
            scratch: Path) -> tuple[list[str] | pa.Table, dict[str, str]]:
    """Run a stage's query per customer bucket; its rows as Parquet for the local output, and their DuckDB types.

    With ``spark.output_dir`` they go to ``<output_dir>/<name>/cutoff=.../`` through Spark's writer (its
    committer: no half-written folder) for the cluster's readers. A local folder comes back as the list of
    its Parquet files (DuckDB sorts them, spilling to disk); a table on object storage through Spark, as one
    Arrow table (the driver must hold it).

    Without, each bucket's Python worker writes its own rows to ``scratch`` (a local folder the caller
    removes), and the list of those files comes back. The rows never go back through the JVM: on
    bench/spark.py's world (10M events) Spark's writer spent about 14 s converting them back to its rows
    and writing them. That needs the workers to share the driver's filesystem, as in local mode.

    Raises:
        RuntimeError: a bucket's file is missing on the driver, or does not hold the rows its bucket wrote.
    """
    if sp.output_dir:
        frame, types = query(q, sql, sp.partitions)
        path = f"{sp.output_dir.rstrip('/')}/{name}"
        frame.write.mode("overwrite").partitionBy("cutoff").parquet(path)
        folder = _local(path)
        if folder is None:
            return frame.sparkSession.read.parquet(path).select(*frame.columns).toArrow(), types
        return sorted(str(p) for p in folder.rglob("*.parquet")), types
    frame, types = query(q, sql, sp.partitions, sink=str((scratch / name).resolve()))
    parts = sorted((r["path"], r["rows"]) for r in frame.collect())
    return [_checked_part(path, rows, len(parts)) for path, rows in parts], types


def _checked_part(path: str, rows: int, buckets: int) -> str:
    """``path``, once the driver has found there the ``rows`` its bucket wrote."""
    import pyarrow.parquet as pq

    if not Path(path).is_file():
        raise RuntimeError(f"{path}: a customer bucket's rows (one of {buckets}) were written where the driver "
                           "cannot read them; on a cluster whose workers do not share the driver's disk, set "
                           "spark.output_dir")
    found = pq.read_metadata(path).num_rows
    if found != rows:
        raise RuntimeError(f"{path}: holds {found} rows but its customer bucket wrote {rows}")
    return path


def _sorted_sql(con, result: list[str] | pa.Table, types: dict[str, str], as_doubles: bool = False) -> str:
    """The collected result as view ``result`` of ``con``; the query of its rows in DuckDB's types, ordered by
    (cutoff, customer_id) as the DuckDB engine's queries order them (``as_doubles``: 128-bit integers as DOUBLE,
    the type the Parquet writer gives them)."""
    if isinstance(result, pa.Table):
        con.register("result", result)
    elif result:
        con.read_parquet(result, hive_partitioning=True).create_view("result")
    else:   # Spark wrote no file: no rows
        con.register("result", pa.table({c: pa.array([], pa.null()) for c in types}))
    kinds = {c: "DOUBLE" if as_doubles and t == "HUGEINT" else t for c, t in types.items()}
    columns = ", ".join(f"CAST({ident(c)} AS {t}) AS {ident(c)}" for c, t in kinds.items())
    return f"SELECT {columns} FROM result ORDER BY cutoff, customer_id"


def write_sorted(result: list[str] | pa.Table, types: dict[str, str], path: Path, timezone: str = "UTC") -> None:
    """Write a collected result in DuckDB's types, ordered by (cutoff, customer_id) as the DuckDB engine's
    queries order it: the same bytes as the DuckDB engine writes."""
    con = duck.connect(timezone=timezone)
    try:
        duck.write_query(con, _sorted_sql(con, result, types), path)
    finally:
        con.close()


def connect(sp: config.SparkParams, validated_dir: Path) -> SparkQueries:
    """A stage's tables on Spark (``spark.input_dir``, else the stage's validated folder), behind DuckDB's
    ``sql``/``register``."""
    spark = session(sp)   # UTC, as duck.connect_validated: the validated timestamps are already local wall time
    return SparkQueries(spark, read_tables(spark, sp.input_dir or str(validated_dir),
                                           key="spark.input_dir" if sp.input_dir else None))


def write(q: SparkQueries, sql: str, sp: config.SparkParams, name: str, path: Path) -> None:
    """Run a stage's query per customer bucket and write it to ``path`` as the DuckDB engine would."""
    scratch = path.parent / f".{name}-spark"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        write_sorted(*collect(q, sql, sp, name, scratch), path, q.timezone)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def sorted_result(q: SparkQueries, sql: str, sp: config.SparkParams, name: str, scratch: Path,
                  batch_rows: int = 122_880) -> Iterator[pa.RecordBatchReader]:
    """Run a stage's query per customer bucket; its rows as Arrow batches of ``batch_rows``, ordered by
    (cutoff, customer_id), in the Arrow types the DuckDB engine's query gives (128-bit integers as DOUBLE).

    For a caller that writes the rows itself (featurize's fixed row groups): no sorted file is written and
    read back. DuckDB sorts the collected rows, spilling to disk, so the driver holds a batch at a time.
    ``scratch`` (a local folder) holds Spark's files while the batches are read; it is removed after.
    """
    shutil.rmtree(scratch, ignore_errors=True)
    con = duck.connect(timezone=q.timezone)
    try:
        result, types = collect(q, sql, sp, name, scratch)
        yield con.sql(_sorted_sql(con, result, types, as_doubles=True)).to_arrow_reader(batch_rows)
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
