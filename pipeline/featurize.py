"""Stage featurize: point-in-time features at every cutoff and at the scoring date.

Reads ``data/interim/validated/``; writes ``data/features/features.parquet``
(one row per active customer and cutoff), ``feature_dictionary.csv`` and
``features_meta.json`` (cutoffs, scoring date, feature and categorical columns).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from features.build import FeatureConfig, calendar_tables, dictionary_frame, feature_sql
from features.cutoffs import schedule
from pipeline import config
from pipeline.io import (atomic_path, column_types, connect_validated, copy_query, read_json, remove_outputs,
                         write_json)

log = logging.getLogger(__name__)

SPECIAL = {"customer_id", "signup_date", "churn_date"}


def resolve_dates(cut: config.CutoffParams, as_of: dt.date, score_as_of: dt.date | None) -> tuple[list[dt.date], dt.date]:
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


def main(params_path: Path = Path("params.yaml"), validated_dir: Path = Path("data/interim/validated"),
         out_dir: Path = Path("data/features")) -> dict:
    """Run the featurize stage from params."""
    params = config.load_params(params_path)
    cut = config.section(params, "cutoffs", params_path)
    feat = config.section(params, "featurize", params_path)
    score = config.section(params, "score", params_path)
    features_path, dict_path, meta_path = (out_dir / "features.parquet", out_dir / "feature_dictionary.csv",
                                           out_dir / "features_meta.json")
    remove_outputs(features_path, dict_path, meta_path)
    manifest = read_json(validated_dir / "manifest.json")
    as_of = dt.date.fromisoformat(manifest["as_of"])
    cutoffs, score_date = resolve_dates(cut, as_of, score.as_of)

    con = connect_validated(validated_dir)
    event_types = [r[0] for r in con.sql(
        "SELECT event_type FROM events GROUP BY event_type ORDER BY count(*) DESC, event_type "
        f"LIMIT {feat.max_event_types}").fetchall()]
    categories = [r[0] for r in con.sql(
        "SELECT category FROM tickets GROUP BY category ORDER BY count(*) DESC, category LIMIT 10").fetchall()]
    first_day = con.sql("SELECT min(signup_date) FROM customers").fetchall()[0][0]
    attributes = tuple(manifest["attributes"])
    cfg = FeatureConfig(
        windows=feat.windows, decline_window_days=feat.decline_window_days, event_types=tuple(event_types),
        value_sum_event_types=feat.value_sum_event_types, passive_event_types=feat.passive_event_types,
        ticket_categories=tuple(sorted(categories)), slow_resolution_hours=feat.slow_resolution_hours,
        attributes=attributes,
    )
    day_cutoff, day_bucket = calendar_tables(cutoffs, first_day, cfg.lookback_days)
    con.register("cutoffs", day_bucket[["cutoff"]].drop_duplicates().reset_index(drop=True))
    con.register("day_cutoff", day_cutoff)
    con.register("day_bucket", day_bucket)
    sql, info = feature_sql(cfg)
    log.info("building %d features at %d cutoffs", len(info), len(cutoffs))
    copy_query(con, sql, features_path)

    types = column_types(con, f"SELECT * FROM read_parquet('{features_path}')")
    feature_cols = [f.name for f in info if f.name in types]
    categorical = [c for c in feature_cols if types[c] == "VARCHAR"]
    counts = con.sql(f"SELECT cutoff, count(*) FROM read_parquet('{features_path}') GROUP BY cutoff ORDER BY cutoff").fetchall()
    con.close()
    with atomic_path(dict_path) as tmp:
        dictionary_frame(info).to_csv(tmp, index=False)
    meta = {
        "as_of": as_of.isoformat(),
        "score_date": score_date.isoformat(),
        "cutoffs": [c.isoformat() for c in cutoffs],
        "rows_per_cutoff": {c.isoformat(): int(n) for c, n in counts},
        "features": feature_cols,
        "categorical": categorical,
    }
    write_json(meta, meta_path)
    return meta
