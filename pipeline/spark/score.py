"""Scoring and explaining on Spark: the whole customer base, when it does not fit one machine.

* Probabilities: the registry's champion (``models:/<evaluate.model_name>@champion``) through
  ``mlflow.pyfunc.spark_udf`` with ``env_manager="local"``: the executors already have the pipeline's
  environment, so MLflow builds none. It is the same pyfunc (``pipeline.core.tracking.ChurnRiskModel``)
  that wraps ``models.predict.ChurnModel``, so the probabilities are the explain stage's.
* Reasons: ``models.retention.explain_customers.explain_customers``, unchanged, on each partition.
  The reference customers (``explain.reference_segment``, ``reference_quantile``, ``reference_size``)
  are chosen once, on the driver, from every customer's segment and log-odds, with the same
  selection the explain stage makes (:func:`models.explain.reference.selection`), and shipped to
  every partition: each customer is compared with exactly the customers it is compared with on one
  machine.

The result has the columns of ``data/explain/scoring_population.parquet`` (customer_id,
churn_probability, reason_1.., reason_codes, driver_family, ..., reason_reference, reference_log_odds,
scored_at), written as Parquet partitioned by ``scored_at``; the CSV for the team follows when it has
at most ``max_csv_rows`` rows. The score stage's ranked list and the campaign's assignments follow
(``pipeline/spark/rank.py``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pyarrow as pa

from models.explain.reference import reference_risk, selection
from models.predict import linear_part
from models.retention.explain_customers import explain_customers
from models.training.booster import matrix
from pipeline.core.io import write_csv_for_spreadsheet
from pipeline.scoring import campaign

RISK = "_risk"


def scoring_frame(spark, features_path: str, active_path: str, score_date: dt.date):
    """The feature rows at the scoring date of the customers active then (as
    ``pipeline.stages.explain.scoring_rows``)."""
    from pyspark.sql import functions as F

    rows = spark.read.parquet(str(features_path)).where(F.col("cutoff") == F.lit(score_date))
    return rows.join(spark.read.parquet(str(active_path)).select("customer_id"), "customer_id", "inner")


def probabilities(rows, model_uri: str, features: list[str], categorical: list[str]):
    """``customer_id, churn_probability`` from the registered pyfunc model, through ``mlflow.pyfunc.spark_udf``.

    The columns go in as the model's signature has them (``pipeline.core.tracking.log_model``): numbers as
    doubles, text as strings with a missing value as "" (which the model, like a null, reads as missing).
    """
    import mlflow
    from pyspark.sql import functions as F

    text = set(categorical)
    columns = [(F.coalesce(F.col(f).cast("string"), F.lit("")) if f in text else F.col(f).cast("double")).alias(f)
               for f in features]
    predict = mlflow.pyfunc.spark_udf(rows.sparkSession, model_uri, result_type="double", env_manager="local")
    return rows.select("customer_id", predict(F.struct(*columns)).alias("churn_probability"))


def _frame(batches) -> pd.DataFrame:
    """One partition as pandas, converted from Arrow as ``pd.read_parquet`` converts the features."""
    return pa.Table.from_batches(list(batches)).to_pandas() if batches else pd.DataFrame()


def _risk_of(model: str, meta: dict, column: str | None):
    """Per partition: each customer's id, segment value and log-odds (what the reference selection reads)."""
    def run(batches):
        booster, batches = lgb.Booster(model_str=model), list(batches)
        if not sum(b.num_rows for b in batches):
            return
        part = _frame(batches)
        X, _ = matrix(part, meta["features"], meta["categorical"], meta["levels"])
        linear, weight = linear_part(meta)
        out = part[["customer_id", *([column] if column else [])]].assign(
            **{RISK: reference_risk(booster, X, linear, weight)})
        yield from pa.Table.from_pandas(out, preserve_index=False).to_batches()
    return run


def reference(rows, booster: lgb.Booster, meta: dict, ep) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The reference customers, chosen once over the whole population, and their groups (positions in them).

    Only ``customer_id``, the segment and the log-odds of every customer come to the driver (about
    30 bytes a customer); then the chosen few thousand rows.
    """
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    column = ep.reference_segment if ep.reference_segment in rows.columns else None
    fields = [rows.schema["customer_id"], *([rows.schema[column]] if column else [])]
    schema = from_arrow_schema(pa.schema([*to_arrow_schema(rows.select(*[f.name for f in fields]).schema),
                                          pa.field(RISK, pa.float64())]))
    risk = rows.mapInArrow(_risk_of(booster.model_to_string(), meta, column), schema).toArrow().to_pandas()
    risk = risk.sort_values("customer_id", kind="stable").reset_index(drop=True)
    groups = selection(risk[column] if column else None, risk[RISK].to_numpy(), ep.reference_quantile,
                       ep.reference_size)
    chosen = np.unique(np.concatenate(list(groups.values())))
    ids = risk["customer_id"].to_numpy()[chosen]
    ref = rows.where(rows["customer_id"].isin([str(i) for i in ids])).toArrow().to_pandas()
    ref = ref.sort_values("customer_id", kind="stable").reset_index(drop=True)
    if len(ref) != len(ids):
        raise RuntimeError(f"reference customers: {len(ids)} chosen but {len(ref)} found in the scoring rows "
                           "(duplicate customer ids at the scoring date?)")
    return ref, {k: np.searchsorted(chosen, v) for k, v in groups.items()}


def _explain_of(model: str, meta: dict, ref: pd.DataFrame, groups: dict, ep, language: str, kind: str,
                display_names: dict | None, families: dict | None, schema: pa.Schema):
    """Per partition: the same explain code as the explain stage, against the chosen reference customers."""
    def run(batches):
        booster, batches = lgb.Booster(model_str=model), list(batches)
        if not sum(b.num_rows for b in batches):
            return
        part = _frame(batches)
        reasons, _, log_odds, segment = explain_customers(booster, meta, part, ref, ep, language, kind,
                                                          display_names, families, reference_groups=groups)
        out = pd.concat([part[["customer_id"]], reasons], axis=1)
        out["reason_reference"], out["reference_log_odds"] = segment, log_odds
        yield from pa.Table.from_pandas(out, schema=schema, preserve_index=False).to_batches()
    return run


def reasons(rows, booster: lgb.Booster, meta: dict, ep, language: str, kind: str = "subscription",
            display_names: dict | None = None, families: dict | None = None):
    """``customer_id``, the reasons' columns, ``reason_reference`` and ``reference_log_odds`` of every customer."""
    from pyspark.sql.pandas.types import from_arrow_schema

    ref, groups = reference(rows, booster, meta, ep)
    sample, _, log_odds, segment = explain_customers(booster, meta, ref.head(1), ref, ep, language, kind,
                                                     display_names, families, reference_groups=groups)
    sample = pd.concat([ref.head(1)[["customer_id"]], sample], axis=1).assign(
        reason_reference=segment, reference_log_odds=log_odds)
    schema = pa.Schema.from_pandas(sample, preserve_index=False).remove_metadata()
    run = _explain_of(booster.model_to_string(), meta, ref, groups, ep, language, kind, display_names, families,
                      schema)
    return rows.mapInArrow(run, from_arrow_schema(schema))


def scoring_population(rows, model_uri: str, booster: lgb.Booster, meta: dict, ep, language: str,
                       score_date: dt.date, kind: str = "subscription", display_names: dict | None = None,
                       families: dict | None = None):
    """The explain stage's scoring population, on Spark: probabilities joined to reasons, ``scored_at`` last."""
    from pyspark.sql import functions as F

    found = reasons(rows, booster, meta, ep, language, kind, display_names, families)
    scored = probabilities(rows, model_uri, meta["features"], meta["categorical"]).join(found, "customer_id", "inner")
    return scored.withColumn("scored_at", F.lit(score_date.isoformat()))


def write_population(population, out_dir: str, csv_path: Path | None, max_csv_rows: int) -> int:
    """Write the population as Parquet partitioned by ``scored_at`` under ``out_dir``; with at most
    ``max_csv_rows`` rows also the CSV (highest risk first). Returns the row count."""
    population.write.mode("overwrite").partitionBy("scored_at").parquet(str(out_dir))
    written = population.sparkSession.read.parquet(str(out_dir))
    n = written.count()
    if csv_path is not None and n <= max_csv_rows:
        frame = written.toArrow().to_pandas().sort_values(["churn_probability", "customer_id"],
                                                          ascending=[False, True], kind="stable")
        write_csv_for_spreadsheet(frame[population.columns].reset_index(drop=True), csv_path)
    return n


def champion(name: str, dst: str) -> tuple[str, lgb.Booster, dict]:
    """The registry's champion: its URI, booster and model metadata (the files the pyfunc model wraps)."""
    import mlflow

    from pipeline.core.registry import current_champion, download_model

    found = current_champion(mlflow.MlflowClient(), name)
    if found is None:
        raise RuntimeError(f"registered model {name!r} has no champion in {mlflow.get_tracking_uri()}: run the "
                           "evaluate stage (its gate sets the alias) before scoring on Spark")
    booster, meta = download_model(name, found.version, dst)
    return f"models:/{name}/{found.version}", booster, meta


def main(params_path: Path = Path("params.yaml"), features_dir: Path = Path("data/features"),
         active_path: Path = Path("data/labels/active_at_score.parquet"),
         out_dir: Path = Path("data/scored/spark")) -> int:
    """Score and explain every customer active at the scoring date on Spark; return how many.

    Reads the features and the active customers from ``spark.output_dir`` when it is set (where the Spark
    engine wrote them), else the stages' local outputs. Writes
    ``<spark.output_dir>/scoring_population/scored_at=<date>/`` (or ``out_dir/scoring_population``), the
    score stage's ranked list (value at risk, tiers, actions, rank, campaign groups: ``pipeline/spark/rank.py``)
    as ``<spark.output_dir>/at_risk_customers/`` (or ``out_dir/at_risk_customers``) and, with at most
    ``spark.max_csv_rows`` customers, ``out_dir/scored_customers.csv`` and ``out_dir/at_risk_customers.csv``.
    The campaign's assignments go to ``<spark.output_dir>/campaigns/<id>/assignments/`` (or under ``out_dir``)
    and, up to the same size, to the score stage's record file ``out_dir/campaigns/<id>/assignments.parquet``.
    An MLflow run (tag ``stage: spark-score``) records the counts, the model and that file.
    """
    import tempfile

    import mlflow
    from pyspark.sql import functions as F

    from pipeline.core import tracking
    from pipeline.core.config import Params
    from pipeline.core.io import read_json
    from pipeline.scoring.recipe import Recipe
    from pipeline.spark import engine as spark_engine
    from pipeline.spark import rank as spark_rank

    params = Params.load(params_path)
    sp, ep, language = params.spark, params.explain, params.report.language
    recipe = Recipe.from_params(params)
    mlflow.set_tracking_uri(tracking.tracking_uri(params.mlflow))
    fmeta = read_json(features_dir / "features_meta.json")
    score_date = dt.date.fromisoformat(fmeta["score_date"])
    spark = spark_engine.session(sp)
    base = sp.output_dir.rstrip("/") if sp.output_dir else str(out_dir)
    features, active = ((f"{base}/features", f"{base}/active_at_score") if sp.output_dir   # the cluster's copies
                        else (str(features_dir / "features.parquet"), str(active_path)))
    rows = scoring_frame(spark, features, active, score_date).repartition(sp.partitions, "customer_id")
    with tempfile.TemporaryDirectory(prefix="champion-") as tmp:
        uri, booster, meta = champion(params.evaluate.model_name, tmp)
        population = scoring_population(rows, uri, booster, meta, ep, language, score_date, recipe.kind,
                                        dict(recipe.display_names), fmeta.get("families"))
        out_dir.mkdir(parents=True, exist_ok=True)
        n = write_population(population, f"{base}/scoring_population", out_dir / "scored_customers.csv",
                             sp.max_csv_rows)
    written = read_population(spark, f"{base}/scoring_population", score_date).repartition(sp.partitions)
    at_score = spark.read.parquet(features).where(F.col("cutoff") == F.lit(score_date))
    with params.located():
        recipe.check([*at_score.columns, *written.columns], fmeta)
    ranked, record = spark_rank.scored_list(written, at_score, recipe, fmeta, uri.rsplit("/", 1)[-1],
                                            score_date.isoformat())
    listed = write_list(ranked, f"{base}/at_risk_customers", out_dir / "at_risk_customers.csv", sp.max_csv_rows)
    cid = campaign.campaign_id(recipe.campaign, score_date.isoformat())
    local, frame, counts = write_record(record, f"{base}/campaigns/{cid}/assignments", out_dir / "campaigns", cid,
                                        sp.max_csv_rows)
    tracking.setup(params.mlflow)
    with mlflow.start_run(run_name=f"spark-score {score_date.isoformat()}",
                          tags={"stage": "spark-score", "model_uri": uri, "score_date": score_date.isoformat()}):
        mlflow.log_metrics({"n_scored": n, "n_listed": listed})
        if local is not None:
            campaign.log_record(local, frame, cid)
        else:   # too many for one machine: the counts, and where the cluster's copy is
            mlflow.log_metrics({f"campaign_n_{g}": counts.get(g, 0) for g in ("contact", "holdout")})
            mlflow.set_tags({"campaign_id": cid, "campaign_assignments": f"{base}/campaigns/{cid}/assignments"})
    return n


def write_record(record, out_dir: str, campaigns_dir: Path, cid: str,
                 max_rows: int) -> tuple[Path | None, pd.DataFrame | None, dict]:
    """Write the campaign's assignments (``spark_rank.campaign_record``) as Parquet under ``out_dir``, in rank
    order; with at most ``max_rows`` rows also the score stage's record file,
    ``campaigns_dir/<campaign id>/assignments.parquet`` (``campaign.write_record``).

    Returns:
        That local file and its rows (both None when there are more rows), and the customers per group.
    """
    record.orderBy("rank").write.mode("overwrite").parquet(str(out_dir))
    written = record.sparkSession.read.parquet(str(out_dir))
    counts = {r["group"]: int(r["count"]) for r in written.groupBy("group").count().collect()}
    if sum(counts.values()) > max_rows:
        return None, None, counts
    frame = written.toArrow().to_pandas().sort_values("rank", kind="stable").reset_index(drop=True)[record.columns]
    return campaign.write_record(frame, campaigns_dir, cid), frame, counts


def read_population(spark, path: str, score_date: dt.date):
    """The scoring population :func:`write_population` wrote for ``score_date`` (``scored_at`` as the text it was)."""
    from pyspark.sql import functions as F

    day = score_date.isoformat()
    return spark.read.parquet(f"{path.rstrip('/')}/scored_at={day}").withColumn("scored_at", F.lit(day))


def write_list(ranked, out_dir: str, csv_path: Path | None, max_csv_rows: int) -> int:
    """Write the ranked list (``pipeline/spark/rank.py``) as Parquet under ``out_dir``, in rank order; with at
    most ``max_csv_rows`` rows also the CSV for the team (as ``data/scored/at_risk_customers.csv``). Returns the
    row count."""
    ranked.orderBy("rank").write.mode("overwrite").parquet(str(out_dir))
    written = ranked.sparkSession.read.parquet(str(out_dir))
    n = written.count()
    if csv_path is not None and n <= max_csv_rows:
        frame = written.toArrow().to_pandas().sort_values("rank", kind="stable").reset_index(drop=True)
        write_csv_for_spreadsheet(frame[ranked.columns], csv_path)
    return n
