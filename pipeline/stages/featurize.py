"""Stage featurize: point-in-time features at every cutoff and at the scoring date.

Reads ``data/interim/validated/``; writes ``data/features/features.parquet``
(one row per active customer and cutoff, ordered by cutoff then customer),
``feature_dictionary.csv`` and ``features_meta.json`` (cutoffs, scoring date,
feature and categorical columns).

Memory stays bounded on any event log: customers are split into id ranges of
about ``featurize.chunk_events`` events, DuckDB builds each range, and the
ranges are stitched into cutoff-major order with fixed row groups
(``pipeline/core/parts.py``), so the output is the same bytes whatever the number of
ranges.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa

from features.build import calendar_tables, chunk_count, dictionary_frame, feature_sql
from features.catalog import family_map
from features.columns import renamed_attributes
from features.cutoffs import schedule
from features.defaults import (
    CONTRACT_NAMES,
    EVENT_TYPE_SUMMARY_SQL,
    REVENUE_NAMES,
    auto_windows,
    find_column,
    summarise_event_types,
)
from features.spec import FeatureConfig
from features.sql import ident
from pipeline.core import config, duck
from pipeline.core.io import atomic_path, read_json, remove_outputs, write_json
from pipeline.core.parts import Background, known_cutoffs, split_part, stitch, write_in_row_groups, write_whole
from pipeline.core.ranges import RangeTables, customer_ranges
from pipeline.spark import engine as spark_engine

log = logging.getLogger(__name__)

SPECIAL = {"customer_id", "signup_date", "churn_date"}


def feature_config(con, feat: config.FeaturizeParams, attributes: tuple[str, ...], horizon_days: int,
                   as_of: dt.date, kind: str = "subscription") -> FeatureConfig:
    """What to compute: the featurize params plus what the data holds.

    Args:
        con: a connection with the ``events`` and ``tickets`` views.
        feat: the featurize params.
        attributes: the customers table's attribute columns (from the validate manifest).
        horizon_days: ``label.horizon_days`` (``featurize.windows: auto`` follows it).
        as_of: the data's as-of date (auto windows stop at the history it holds).
        kind: ``business.kind``; a non-contract business gets no signup-anniversary features.

    Returns:
        The feature config: the ``featurize.max_event_types`` most frequent event types get their own
        features; ``auto`` windows follow the horizon and the history, ``auto`` value types are those
        whose value varies.
    """
    summary = summarise_event_types(con.sql(EVENT_TYPE_SUMMARY_SQL).fetchall(), feat.max_event_types,
                                    feat.passive_event_types)
    categories = [r[0] for r in con.sql(
        "SELECT category FROM tickets GROUP BY category ORDER BY count(*) DESC, category LIMIT 10").fetchall()]
    windows = feat.windows
    if windows == "auto":
        first = summary.first_event.date() if summary.first_event else None
        windows = auto_windows(horizon_days, (as_of - first).days + 1 if first else 0)
    value_types = summary.varying if feat.value_sum_event_types == "auto" else feat.value_sum_event_types
    types = duck.column_types(con, "SELECT * FROM customers")
    kept = {a: types[a] for a in attributes if a in types}
    return FeatureConfig(
        windows=tuple(windows), decline_window_days=feat.decline_window_days, event_types=summary.event_types,
        value_sum_event_types=tuple(value_types), passive_event_types=feat.passive_event_types,
        ticket_categories=tuple(sorted(categories)), slow_resolution_hours=feat.slow_resolution_hours,
        attributes=attributes, history=feat.history, calendar=kind == "subscription",
        fee_attribute=find_column(kept, REVENUE_NAMES, numeric=True),
        contract_attribute=find_column(kept, CONTRACT_NAMES, numeric=False),
    )


def as_doubles(con, sql: str) -> str:
    """The query with its 128-bit integer columns (DuckDB's sums of counts) as DOUBLE, the type the Parquet
    writer gives them; every other column keeps its type."""
    wide = [name for name, kind in duck.column_types(con, sql).items() if kind == "HUGEINT"]
    if not wide:
        return sql
    return (f"SELECT * REPLACE ({', '.join(f'CAST({ident(c)} AS DOUBLE) AS {ident(c)}' for c in wide)}) "
            f"FROM ({sql})")


def resolve_dates(cut: config.CutoffParams, as_of: dt.date,
                  score_as_of: dt.date | None) -> tuple[list[dt.date], dt.date]:
    """The cutoffs to build and the scoring date.

    Args:
        cut: the cutoffs params.
        as_of: the data's as-of date.
        score_as_of: ``score.as_of`` or None for the data's as-of date.

    Returns:
        Sorted cutoffs (the scoring date included) and the scoring date.
    """
    score_date = score_as_of or as_of
    if score_date > as_of:
        raise config.ParamsError(f"score.as_of {score_date} is after the data's as-of date {as_of}")
    last = min(cut.last or as_of, as_of)
    dates = schedule(cut.first, last, cut.frequency, cut.every_days)
    return sorted(set(dates) | {score_date}), score_date


def _build(con, cfg, cutoffs: list[dt.date], ranges: list, engine: str, sp: config.SparkParams,
           validated_dir: Path, features_path: Path) -> tuple[int, int]:
    """Build the features of every range and write them as one file ordered by (cutoff, customer).

    Returns:
        ``(rows written, rows the ranges built)``.
    """
    if engine == "duckdb" and len(ranges) == 1:   # one range: nothing to stitch
        table = con.sql(as_doubles(con, feature_sql(cfg, customer_range=ranges[0], ordered=False)[0])).to_arrow_table()
        return write_whole(table, cutoffs, features_path), table.num_rows
    out_dir = features_path.parent
    if engine == "spark":   # every bucket of customers runs the same query (pipeline/spark/engine.py); the rows
        # come back ordered by (cutoff, customer): written straight into the row groups, nothing to stitch
        built = 0
        with spark_engine.sorted_result(con, feature_sql(cfg, ordered=False)[0], sp, "features",
                                        out_dir / ".features-spark") as reader:
            def pieces():
                nonlocal built
                for batch in reader:
                    built += batch.num_rows
                    yield known_cutoffs(pa.Table.from_batches([batch]), cutoffs, features_path)
            return write_in_row_groups(pieces(), reader.schema, features_path), built
    # a range is split into its cutoffs in the background while DuckDB builds the next
    with tempfile.TemporaryDirectory(prefix=".featurize-parts-", dir=out_dir) as parts_dir, Background() as splitter:
        parts, schema, built = [], None, 0
        tables = RangeTables(con, ranges, validated_dir, Path(parts_dir) / "input")
        for i, rng in enumerate(ranges):
            tables.select(i)
            table = con.sql(as_doubles(con, feature_sql(cfg, customer_range=rng, ordered=False)[0])).to_arrow_table()
            schema, built = schema or table.schema, built + table.num_rows
            parts.append(Path(parts_dir) / f"part-{len(parts):05d}")
            splitter.submit(split_part, table, cutoffs, parts[-1])
            del table
        splitter.wait()
        return stitch(parts, cutoffs, schema, features_path), built


def main(params_path: Path = Path("params.yaml"), validated_dir: Path = Path("data/interim/validated"),
         out_dir: Path = Path("data/features")) -> dict:
    """Run the featurize stage from params."""
    params = config.Params.load(params_path)
    cut, feat, score, horizon = params.cutoffs, params.featurize, params.score, params.label.horizon_days
    features_path, dict_path, meta_path = (out_dir / "features.parquet", out_dir / "feature_dictionary.csv",
                                           out_dir / "features_meta.json")
    remove_outputs(features_path, dict_path, meta_path)
    manifest = read_json(validated_dir / "manifest.json")
    as_of = dt.date.fromisoformat(manifest["as_of"])
    cutoffs, score_date = resolve_dates(cut, as_of, score.as_of)

    engine = params.engine
    con = duck.connect_validated(validated_dir) if engine == "duckdb" else spark_engine.connect(params.spark,
                                                                                                 validated_dir)
    first_day = con.sql("SELECT min(signup_date) FROM customers").fetchall()[0][0]
    cfg = feature_config(con, feat, tuple(manifest["attributes"]), horizon, as_of, params.business_kind)
    day_cutoff, day_bucket = calendar_tables(cutoffs, first_day, cfg.lookback_days)
    con.register("cutoffs", day_bucket[["cutoff"]].drop_duplicates().reset_index(drop=True))
    con.register("day_cutoff", day_cutoff)
    con.register("day_bucket", day_bucket)
    n_events = con.sql("SELECT count(*) FROM events").fetchall()[0][0]
    n_customers = con.sql("SELECT count(*) FROM customers").fetchall()[0][0]
    ranges = customer_ranges(con, chunk_count(n_events, n_customers, feat.chunk_events)) if engine == "duckdb" \
        else [(None, None)]
    _, info = feature_sql(cfg)
    for attribute, name in renamed_attributes(cfg).items():
        log.warning("customers column %r has the name of a computed feature; it is kept as feature %r", attribute, name)
    log.info("building %d features at %d cutoffs for %d customers in %d range(s) on %s; windows %s days, value "
             "sums of %s", len(info), len(cutoffs), n_customers, len(ranges), engine, list(cfg.windows),
             list(cfg.value_sum_event_types) or "no event type")
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".featurize-parts-*"):   # left by a killed run
        shutil.rmtree(stale, ignore_errors=True)
    written, built = _build(con, cfg, cutoffs, ranges, engine, params.spark, validated_dir, features_path)
    if written != built:   # never a silently shorter table
        features_path.unlink(missing_ok=True)
        raise RuntimeError(f"{features_path}: stitched {written} rows but the customer ranges built {built}")

    con.close()
    con = duck.connect()
    duck.view_parquet(con, "built", features_path)
    types = duck.column_types(con, "SELECT * FROM built")
    feature_cols = [f.name for f in info if f.name in types]
    categorical = [c for c in feature_cols if types[c] == "VARCHAR"]
    counts = con.sql("SELECT cutoff, count(*) FROM built GROUP BY cutoff ORDER BY cutoff").fetchall()
    con.close()
    passive = tuple(cfg.event_slugs[t] for t in cfg.event_types if t in set(cfg.passive_event_types))
    families = family_map(feature_cols, params.business_kind, passive)
    with atomic_path(dict_path) as tmp:
        dictionary_frame(info, families).to_csv(tmp, index=False)
    meta = {
        "as_of": as_of.isoformat(),
        "score_date": score_date.isoformat(),
        "cutoffs": [c.isoformat() for c in cutoffs],
        "rows_per_cutoff": {c.isoformat(): int(n) for c, n in counts},
        "features": feature_cols,
        "categorical": categorical,
        "windows": list(cfg.windows),
        "value_sum_event_types": list(cfg.value_sum_event_types),
        # The customers column behind monthly_fee (a fee the customer pays; null: none, monthly_fee then only
        # comes from plan_change / price_change events) and the contract column behind days_to_renewal.
        "fee_attribute": cfg.fee_attribute,
        "contract_attribute": cfg.contract_attribute,
        # Each feature's driver family for this kind of business (features.catalog.family_map): explain reads it.
        "families": families,
    }
    write_json(meta, meta_path)
    return meta
