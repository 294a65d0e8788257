"""The score stage's ranked list on Spark: the scoring recipe's steps, then rank and campaign groups.

``churn spark-score`` scores and explains every customer (``pipeline/spark/score.py``); this turns that
population into the list the score stage writes (``data/scored/at_risk_customers.parquet``) with the very
recipe the score stage runs (``pipeline/scoring/recipe.py``): its row-by-row steps (value, tiers, actions)
run per partition, and its base-wide step reads the base through :class:`SparkBase`. What depends on the
whole base is computed once, small, on the driver:

* where the value comes from (the recipe's ``value_source``, on the column sums and whether a fee is known);
* a non-contract business's BG/NBD fit (``models.clv.spend.spend_model``) on every customer's
  history at the scoring date: the four whole-history numbers and the spend of each customer (about 50
  bytes a customer) come to the driver, in customer order, as the score stage fits them;
* the recipe's thresholds (``top_share`` tiers and playbook rules), by a sort on Spark;
* the rank: the list sorted on Spark (``score.rank_by``, then customer id), kept (``localCheckpoint``),
  each partition's row count collected, and the ranks numbered from each partition's offset;
* the campaign's holdout: per stratum (risk tier x action) its size (``holdout_size``) from the stratum's
  count, and the customers with the lowest draws, by a window over the stratum.

The campaign's assignments (``campaign_record``) are ``campaign.assignments`` per partition of the list,
with the action each targeted customer's stratum is on (a holdout's before it becomes "do not contact").
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa

from models.clv.history import BTYD_COLUMNS
from models.clv.spend import spend_model
from models.retention import i18n
from models.retention.campaigns.assign import NO_CONTACT, STRATA, assignments, hash_uniform, holdout_size
from models.retention.scored_list import ranked
from pipeline.core.config import CampaignParams
from pipeline.scoring import campaign
from pipeline.scoring.recipe import ACTION_COLUMNS, Recipe

HOLDOUT_ACTION = campaign.HOLDOUT_ACTION
_U, _PART, _TARGET, _HOLD = "_draw", "_partition", "_target", "_holdout_size"
_STRATUM_ACTION = "_stratum_action"   # the action a customer's stratum is on (a holdout's before "do not contact")
# campaign.assignments' columns and types: the campaign's record (``data/campaigns/<id>/assignments.parquet``)
ASSIGNMENTS = pa.schema([("customer_id", pa.string()), ("campaign_id", pa.string()), ("group", pa.string()),
                         ("assigned_at", pa.string()), ("rank", pa.int64()), ("churn_probability", pa.float64()),
                         ("risk_tier", pa.string()), ("action_code", pa.string()), ("driver_family", pa.string()),
                         ("customer_value", pa.float64())])


def _map(df, fn, drop: list[str], add: list[pa.Field]):
    """``df.mapInArrow`` of a pandas function per partition: the input's columns but ``drop``, then ``add``."""
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    schema = pa.schema([*[f for f in to_arrow_schema(df.schema) if f.name not in drop], *add])

    def run(batches):
        batches = list(batches)
        if sum(b.num_rows for b in batches):
            out = fn(pa.Table.from_batches(batches).to_pandas())
            yield from pa.Table.from_pandas(out[schema.names], schema=schema, preserve_index=False).to_batches()
    return df.mapInArrow(run, from_arrow_schema(schema))


class SparkBase:
    """The recipe's :class:`~pipeline.scoring.recipe.Base` on Spark: counts and k-th largest values by a sort,
    computed on the cluster; only the numbers come to the driver."""

    def __init__(self, df) -> None:
        self.df, self.columns = df, list(df.columns)

    def count(self, column: str | None = None) -> int:
        from pyspark.sql import functions as F

        return self.df.count() if column is None else self.df.where(F.col(column).cast("double").isNotNull()).count()

    def kth_largest(self, column: str, k: int) -> float:
        from pyspark.sql import functions as F

        if k <= 0:
            return math.inf
        top = self.df.where(F.col(column).isNotNull()).select(F.col(column).cast("double").alias("v"))
        return float(top.orderBy(F.desc("v")).limit(k).agg(F.min("v")).first()[0])


def _summary(rows) -> pd.DataFrame:
    """One row that the recipe's ``value_source`` reads as it reads every feature row: whether a fee is known and
    each value column's total."""
    from pyspark.sql import functions as F

    sums = [c for c in rows.columns if c.startswith("events_") and c.endswith("_value_sum_all")]
    aggs = [F.coalesce(F.sum(F.col(c).cast("double")), F.lit(0.0)).alias(c) for c in sums]
    if "monthly_fee" in rows.columns:
        aggs.append(F.max(F.col("monthly_fee").cast("double")).alias("monthly_fee"))
    got = rows.agg(*aggs).first().asDict() if aggs else {}
    return pd.DataFrame({c: [got.get(c)] for c in rows.columns}).astype(
        {c: "float64" for c in got})


def scored_list(population, features, recipe: Recipe, fmeta: dict, model_version: str, score_date: str):
    """The ranked list of the score stage, on Spark: the recipe's steps (``pipeline/scoring/recipe.py``).

    Args:
        population: the scoring population (``spark_score.scoring_population``): one row per active customer.
        features: every feature row at the scoring date (the score stage's ``rows``: the value model's fit).
        recipe: the scoring recipe of the pipeline's params (checked by the caller: :meth:`Recipe.check`).
        fmeta: ``features_meta.json``.
        model_version: the registry version that scored.
        score_date: the scoring date (ISO), the campaign's default id.

    Returns:
        Two Spark DataFrames: the list, with the columns of ``data/scored/at_risk_customers.parquet`` in that
        order, and the campaign's assignments (:func:`campaign_record`).
    """
    from pyspark.sql import functions as F

    extra = recipe.extra_columns(features.columns, population.columns)
    basis, source = recipe.value_source(fmeta, _summary(features))
    value_inputs, model = [], None
    if basis == "expected_spend":
        needed = list(dict.fromkeys((*BTYD_COLUMNS, f"events_{source}_value_sum_all", "active_days_all")))
        value_inputs = [c for c in needed if c not in extra]
        histories = features.select("customer_id", *needed).toArrow().to_pandas()
        model = spend_model(histories.sort_values("customer_id", kind="stable").reset_index(drop=True), source)
    scored = population.join(features.select("customer_id", *extra, *value_inputs), "customer_id", "left")

    def valued(part: pd.DataFrame) -> pd.DataFrame:
        return recipe.with_value(part.copy(), part, basis, source, spend=model)

    text, number = pa.string(), pa.float64()
    added = [pa.field("value_at_risk", number), pa.field("value_basis", text)]
    if basis == "expected_spend":
        added.insert(0, pa.field("customer_value", number))
    scored = _map(scored, valued, value_inputs, added).localCheckpoint()   # kept: the thresholds read it
    thresholds = recipe.thresholds(SparkBase(scored), basis, source)

    def acted(part: pd.DataFrame) -> pd.DataFrame:
        return recipe.with_actions(part.copy(), thresholds, basis, source, model_version)

    scored = _map(scored, acted, [], [pa.field(c, text) for c in ACTION_COLUMNS])
    rank_by = recipe.rank_by(basis)
    columns = list(ranked(pd.DataFrame(columns=scored.columns), rank_by, extra).columns)
    in_order = _numbered(scored.orderBy(F.desc_nulls_last(rank_by), F.asc("customer_id")).localCheckpoint())
    listed = _with_campaign(in_order, recipe.campaign, score_date, recipe.language).localCheckpoint()
    return listed.select(*columns, "campaign_id", "campaign_group"), campaign_record(listed, score_date)


def campaign_record(listed, assigned_at: str):
    """The campaign's assignments (``campaign.assignments``, run per partition): one row per targeted customer,
    with the action its stratum is on, in the ``contacts`` table's shape the measure stage reads."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    value = ["customer_value"] if "customer_value" in listed.columns else []
    needed = ["customer_id", "campaign_id", "campaign_group", "rank", "churn_probability", "risk_tier_code",
              "driver_family", *value]

    def record(batches):
        for batch in batches:
            part = batch.to_pandas().rename(columns={_STRATUM_ACTION: "action_code"})
            yield from pa.Table.from_pandas(assignments(part, assigned_at), schema=ASSIGNMENTS,
                                            preserve_index=False).to_batches()
    targeted = listed.where(F.col("campaign_group") != "").select(*needed, _STRATUM_ACTION)
    return targeted.mapInArrow(record, from_arrow_schema(ASSIGNMENTS))


def _numbered(sorted_df):
    """``rank`` 1..n in the order of a sorted, kept frame: each partition's offset from the counts before it."""
    from pyspark import TaskContext
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    def count(batches):
        n = sum(b.num_rows for b in batches)
        yield pa.RecordBatch.from_pydict({_PART: [TaskContext.get().partitionId()], "n": [n]})

    counts = sorted_df.mapInArrow(count, "_partition long, n long").toArrow().to_pandas().sort_values(_PART)
    offsets = {int(k): int(v) for k, v in zip(counts[_PART], np.cumsum(counts["n"]) - counts["n"])}
    schema = pa.schema([pa.field("rank", pa.int64()), *to_arrow_schema(sorted_df.schema)])

    def number(batches):
        start = int(offsets[TaskContext.get().partitionId()])
        for b in batches:
            ranks = pa.array(np.arange(start + 1, start + 1 + b.num_rows, dtype=np.int64))
            start += b.num_rows
            yield pa.RecordBatch.from_arrays([ranks, *b.columns], schema=schema)

    return sorted_df.mapInArrow(number, from_arrow_schema(schema))


def _with_campaign(ranked, cp: CampaignParams, score_date: str, language: str):
    """``campaign.with_campaign`` on Spark: the targeted customers, each stratum's holdout size from its count,
    the lowest draws of each stratum held out (ties by rank), a holdout's action "do not contact"."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema
    from pyspark.sql.window import Window

    cid = campaign.campaign_id(cp, score_date)
    if not 0 <= cp.control_share < 1:
        raise ValueError(f"control_share must be in [0, 1), got {cp.control_share}")
    schema = pa.schema([*to_arrow_schema(ranked.schema), pa.field(_U, pa.float64())])

    def drawn(batches):
        for b in batches:
            u = hash_uniform(b.column("customer_id").cast(pa.string()).to_pylist(), cid)
            yield pa.RecordBatch.from_arrays([*b.columns, pa.array(u, pa.float64())], schema=schema)

    df = ranked.mapInArrow(drawn, from_arrow_schema(schema))
    if isinstance(cp.contact, (int, float)):
        target = F.col("rank") <= math.ceil(float(cp.contact) * ranked.count())
    else:
        target = F.col("risk_tier_code").isin(list(cp.contact))
    df = df.withColumn(_TARGET, target & (F.col("action_code") != F.lit(NO_CONTACT)))
    counts = df.where(F.col(_TARGET)).groupBy(*STRATA).count().collect()
    sizes = df.sparkSession.createDataFrame(
        [(r[STRATA[0]], r[STRATA[1]], True, holdout_size(tuple(r[c] for c in STRATA), r["count"], cid,
                                                          cp.control_share)) for r in counts],
        f"{STRATA[0]} string, {STRATA[1]} string, {_TARGET} boolean, {_HOLD} long")
    order = F.row_number().over(Window.partitionBy(_TARGET, *STRATA).orderBy(_U, "rank"))
    df = df.join(F.broadcast(sizes), [*STRATA, _TARGET], "left")
    group = (F.when(~F.col(_TARGET), F.lit("")).when(order <= F.col(_HOLD), F.lit("holdout"))
             .otherwise(F.lit("contact")))
    df = df.withColumn("campaign_group", group).withColumn(
        "campaign_id", F.when(F.col("campaign_group") != "", F.lit(cid)).otherwise(F.lit("")))
    if isinstance(cp.contact, (int, float)):   # below the top share: campaign.with_campaign's NO_CONTACT
        below = F.col("campaign_group") == ""
        for column, text in (("action_code", NO_CONTACT),
                             ("recommended_action", i18n.t(f"actions.{NO_CONTACT}", language)),
                             ("action_reason", i18n.t("action_reasons.no_contact", language))):
            df = df.withColumn(column, F.when(below, F.lit(text)).otherwise(F.col(column)))
    held = F.col("campaign_group") == "holdout"
    df = df.withColumn(_STRATUM_ACTION, F.col("action_code"))
    for column, text in (("action_code", HOLDOUT_ACTION),
                         ("recommended_action", i18n.t("scored.campaign.holdout_action", language, campaign=cid)),
                         ("action_reason", i18n.t("scored.campaign.holdout_reason", language))):
        df = df.withColumn(column, F.when(held, F.lit(text)).otherwise(F.col(column)))
    return df
