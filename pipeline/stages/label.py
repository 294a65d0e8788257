"""Stage label: churn labels at every cutoff whose whole horizon is in the data.

Reads ``data/interim/validated/`` and ``data/features/features_meta.json``
(the cutoffs and the scoring date); writes ``data/labels/labels.parquet``
(customer_id, cutoff, label), ``data/labels/label_summary.csv`` (eligible,
churned, churn and retention rate per cutoff; a DVC plot) and
``data/labels/active_at_score.parquet`` (customer_id, cutoff): the customers
active at the scoring date under the label mode's rule, the population the
explain stage scores (in inactivity mode, only those with an event in the
``label.active_lookback_days`` before it).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from pathlib import Path

import pandas as pd

from features.cutoffs import labelled
from features.labels import active_customers_sql, label_calendar, label_sql, summary_sql
from pipeline.core import config, duck
from pipeline.core.io import atomic_path, read_json, remove_outputs
from pipeline.spark import engine as spark_engine

log = logging.getLogger(__name__)


def _write(engine: str, sp: config.SparkParams, con, sql: str, name: str, path: Path) -> None:
    """Write one query's result: straight from DuckDB, or per customer bucket on Spark."""
    if engine == "duckdb":
        duck.write_query(con, sql, path)
    else:
        spark_engine.write(con, sql, sp, name, path)


def main(params_path: Path = Path("params.yaml"), validated_dir: Path = Path("data/interim/validated"),
         features_meta: Path = Path("data/features/features_meta.json"),
         out_dir: Path = Path("data/labels")) -> pd.DataFrame:
    """Run the label stage from params; return the per-cutoff summary."""
    params = config.Params.load(params_path)
    lab = params.label
    passive = params.featurize.passive_event_types   # not activity, as in features
    labels_path, summary_path, active_path = (out_dir / "labels.parquet", out_dir / "label_summary.csv",
                                              out_dir / "active_at_score.parquet")
    remove_outputs(labels_path, summary_path, active_path)
    meta = read_json(features_meta)
    as_of = dt.date.fromisoformat(meta["as_of"])
    score_date = dt.date.fromisoformat(meta["score_date"])
    cutoffs = [dt.date.fromisoformat(c) for c in meta["cutoffs"]]
    done = labelled(cutoffs, as_of, lab.horizon_days)
    if not done:
        raise config.ParamsError(
            f"label.horizon_days {lab.horizon_days} is longer than the data allows: no cutoff between "
            f"{cutoffs[0]} and {cutoffs[-1]} has {lab.horizon_days} days of data after it (data ends {as_of})")
    engine = params.engine
    con = duck.connect_validated(validated_dir) if engine == "duckdb" else spark_engine.connect(params.spark,
                                                                                                 validated_dir)
    write = functools.partial(_write, engine, params.spark)
    con.register("cutoffs", pd.DataFrame({"cutoff": done}))
    con.register("label_days", label_calendar(done, lab.horizon_days, lab.active_lookback_days))
    write(con, label_sql(lab.horizon_days, lab.min_tenure_days, mode=lab.mode, passive_event_types=passive),
          "labels", labels_path)
    # The scoring date has no horizon yet: only the look-back part of the calendar is read.
    con.register("cutoffs", pd.DataFrame({"cutoff": [score_date]}))
    con.register("label_days", label_calendar([score_date], 0, lab.active_lookback_days))
    write(con, active_customers_sql(lab.mode, passive_event_types=passive), "active_at_score", active_path)
    con.close()
    con = duck.connect()
    duck.view_parquet(con, "labels", labels_path)
    summary = con.sql(summary_sql()).df()
    con.close()
    summary["cutoff"] = pd.to_datetime(summary["cutoff"]).dt.strftime("%Y-%m-%d")
    with atomic_path(summary_path) as tmp:
        summary.to_csv(tmp, index=False, float_format="%.6f")
    log.info("labelled %d cutoffs, %d rows (mode %s)", len(done), int(summary["eligible"].sum()), lab.mode)
    return summary
