"""Scoring on Spark: the registry's champion through spark_udf and the explain code per partition give the
probabilities of ChurnModel and the reasons of the explain stage, customer for customer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import yaml

from models.predict import ChurnModel
from models.retention.explain_customers import explain_customers
from models.training.booster import matrix
from models.training.calibration import Calibrator
from pipeline.core import config, tracking
from pipeline.spark import score as spark_score
from pipeline.stages import featurize, label
from pipeline.stages.explain import scoring_rows
from pipeline.stages.validate import validate
from tests.paths import REPO
from tests.spark_world import END, write_raw

NAME = "churn-risk"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    """The adversarial world, featurized and labelled by the DuckDB engine, and a small model trained on it."""
    root = tmp_path_factory.mktemp("spark-score")
    validate(write_raw(root / "raw", seed=11), root / "validated", root / "rejected", root / "report.json",
             "strict", END)
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    params["cutoffs"].update(first="2024-01-31", last=None, frequency="month_end")
    (root / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    fmeta = featurize.main(root / "params.yaml", root / "validated", root / "features")
    label.main(root / "params.yaml", root / "validated", root / "features/features_meta.json", root / "labels")
    frame = pd.read_parquet(root / "features/features.parquet").merge(
        pd.read_parquet(root / "labels/labels.parquet"), on=["customer_id", "cutoff"])
    X, levels = matrix(frame, fmeta["features"], fmeta["categorical"])
    booster = lgb.train({"objective": "binary", "num_leaves": 4, "min_data_in_leaf": 3, "learning_rate": 0.3,
                         "num_threads": 1, "seed": 3, "verbose": -1, "deterministic": True},
                        lgb.Dataset(X, frame["label"]), num_boost_round=15)
    calibrator = Calibrator("isotonic").fit(booster.predict(X), frame["label"].to_numpy())
    meta = {"features": fmeta["features"], "categorical": fmeta["categorical"], "levels": levels,
            "calibration": calibrator.to_dict()}
    booster.save_model(str(root / "model.txt"))
    (root / "model_meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def champion(world, tmp_path_factory, migrated_store):
    """The model logged as the pipeline logs it, registered in a real SQLite store and made champion."""
    import mlflow

    store = tmp_path_factory.mktemp("store")
    shutil.copy(migrated_store, store / "mlflow.db")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{store / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    exp = client.create_experiment("spark", artifact_location=(store / "artifacts").as_uri())
    example = pd.read_parquet(world / "features/features.parquet").head(5)
    with mlflow.start_run(experiment_id=exp):
        tracking.log_model(world / "model.txt", world / "model_meta.json",
                           example[json.loads((world / "model_meta.json").read_text())["features"]], NAME)
    version = client.search_model_versions(f"name='{NAME}'")[0].version
    client.set_registered_model_alias(NAME, "champion", version)
    assert client.get_model_version_by_alias(NAME, "champion").version == version, "queried back from the store"
    yield f"models:/{NAME}@champion"
    mlflow.set_tracking_uri(previous)


def test_spark_scores_and_reasons_equal_the_pipeline(spark, world, champion, tmp_path):
    booster = lgb.Booster(model_file=str(world / "model.txt"))
    meta = json.loads((world / "model_meta.json").read_text())
    fmeta = json.loads((world / "features/features_meta.json").read_text())
    ep = config.ExplainParams(reference_size=7)   # fewer than a segment holds: the even spread is exercised
    rows, score_date = scoring_rows(world / "features", world / "labels/active_at_score.parquet")
    reasons, _, log_odds, reference = explain_customers(booster, meta, rows, rows, ep, "en", "subscription",
                                                        {}, fmeta["families"])
    expected = pd.concat([rows[["customer_id"]], reasons], axis=1).assign(
        churn_probability=ChurnModel(booster, meta).predict_proba(rows), reason_reference=reference,
        reference_log_odds=log_odds)

    frame = spark_score.scoring_frame(spark, world / "features/features.parquet",
                                      world / "labels/active_at_score.parquet", score_date)
    population = spark_score.scoring_population(frame.repartition(3), champion, booster, meta, ep, "en", score_date,
                                                "subscription", {}, fmeta["families"])
    got = population.toPandas().sort_values("customer_id", kind="stable").reset_index(drop=True)
    assert len(got) == len(expected) > 20
    assert list(got["customer_id"]) == list(expected["customer_id"])
    np.testing.assert_array_equal(got["churn_probability"].to_numpy(), expected["churn_probability"].to_numpy())
    assert expected["churn_probability"].nunique() > 3, "the model tells customers apart"
    np.testing.assert_array_equal(got["reference_log_odds"].to_numpy(), expected["reference_log_odds"].to_numpy())
    for column in reasons.columns.tolist() + ["reason_reference"]:
        assert got[column].fillna("").astype(str).tolist() == expected[column].fillna("").astype(str).tolist(), column
    assert (got["scored_at"] == score_date.isoformat()).all()
    assert got["reason_1"].fillna("").str.len().gt(0).any(), "customers get reasons"

    csv = tmp_path / "at_risk.csv"
    n = spark_score.write_population(population, str(tmp_path / "scored"), csv, max_csv_rows=10_000)
    table = pd.read_csv(csv)
    assert n == len(table) == len(expected)
    assert table["churn_probability"].is_monotonic_decreasing
    assert list((tmp_path / "scored").glob(f"scored_at={score_date.isoformat()}/*.parquet")), "partitioned Parquet"
    assert not spark_score.write_population(population, str(tmp_path / "big"), tmp_path / "no.csv", 3) < len(table)
    assert not (tmp_path / "no.csv").exists(), "no CSV past max_csv_rows"


def test_spark_score_command_scores_every_active_customer_with_the_champion(spark, world, champion, tmp_path):
    import mlflow

    params = yaml.safe_load((world / "params.yaml").read_text(encoding="utf-8"))
    params["mlflow"] = {"tracking_uri": mlflow.get_tracking_uri(), "experiment": "spark"}
    params["evaluate"]["model_name"] = NAME
    params["spark"] = {"master": "local[2]", "partitions": 3}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    n = spark_score.main(tmp_path / "params.yaml", world / "features", world / "labels/active_at_score.parquet",
                         tmp_path / "out")
    rows, _ = scoring_rows(world / "features", world / "labels/active_at_score.parquet")
    booster = lgb.Booster(model_file=str(world / "model.txt"))
    expected = ChurnModel(booster, json.loads((world / "model_meta.json").read_text())).predict_proba(rows)
    table = pd.read_csv(tmp_path / "out/scored_customers.csv")
    assert n == len(rows) == len(table)
    np.testing.assert_allclose(table["churn_probability"].to_numpy(), np.sort(expected)[::-1], rtol=0, atol=1e-12)
    assert (tmp_path / "out/scoring_population").is_dir()


@pytest.mark.parametrize("kind, contact", [("subscription", None), ("non_contract", None), ("subscription", 0.3)])
def test_spark_scored_list_equals_the_score_stage(spark, world, champion, tmp_path, kind, contact):
    """churn spark-score's ranked list (value at risk, tiers, actions, rank, campaign groups) equals the list the
    score stage writes from the same scoring population, column for column; also when the campaign contacts a top
    share of the list (``contact``), the rest reading NO_CONTACT."""
    import mlflow

    from pipeline.stages import score

    params = yaml.safe_load((world / "params.yaml").read_text(encoding="utf-8"))
    params["mlflow"] = {"tracking_uri": mlflow.get_tracking_uri(), "experiment": "spark"}
    params["evaluate"]["model_name"] = NAME
    params["business"]["kind"] = kind   # non_contract: the value is BG/NBD's expected spend, fitted on everybody
    params["spark"] = {"master": "local[2]", "partitions": 3}
    params["campaign"]["control_share"] = 0.3   # holdouts in most strata
    if contact is not None:
        params["campaign"]["contact"] = contact
    if kind == "non_contract":   # probability thresholds (the default top_share on the other)
        params["score"]["tiers"] = {"method": "threshold", "high": 0.5, "medium": 0.3}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    out = tmp_path / "out"
    spark_score.main(tmp_path / "params.yaml", world / "features", world / "labels/active_at_score.parquet", out)
    got = pd.read_parquet(out / "at_risk_customers").sort_values("rank").reset_index(drop=True)

    # the score stage on the same population (test_spark_scores_and_reasons_equal_the_pipeline: the explain stage's)
    explain_dir, model_dir = tmp_path / "explain", tmp_path / "models"
    explain_dir.mkdir()
    model_dir.mkdir()
    population = pd.read_parquet(next((out / "scoring_population").glob("scored_at=*")))
    population["scored_at"] = json.loads((world / "features/features_meta.json").read_text())["score_date"]
    population.to_parquet(explain_dir / "scoring_population.parquet", index=False)
    version = mlflow.MlflowClient().get_model_version_by_alias(NAME, "champion").version
    (explain_dir / "scoring_model.json").write_text(json.dumps({"version": version}), encoding="utf-8")
    shutil.copy(world / "model_meta.json", model_dir / "model_meta.json")
    experiment = mlflow.MlflowClient().get_experiment_by_name("spark").experiment_id
    run = mlflow.MlflowClient().create_run(experiment).info.run_id
    (model_dir / "mlflow_run.json").write_text(json.dumps({"run_id": run}), encoding="utf-8")
    expected = score.main(tmp_path / "params.yaml", explain_dir, world / "features", model_dir, tmp_path / "scored",
                          tmp_path / "campaigns")

    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected) > 20
    for column in expected.columns:
        a, b = expected[column], got[column]
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            np.testing.assert_array_equal(b.to_numpy(dtype=float), a.to_numpy(dtype=float), err_msg=column)
        else:
            norm = [None if pd.isna(x) else str(x) for x in a], [None if pd.isna(x) else str(x) for x in b]
            assert norm[1] == norm[0], column
    assert list(got["rank"]) == list(range(1, len(got) + 1))
    assert got.groupby("churn_probability")["risk_tier_code"].nunique().eq(1).all(), "ties share a tier"
    if kind == "subscription":   # top_share: most customers tie at the boundary of the riskiest 20%: all medium
        assert {"high", "medium"} <= set(got["risk_tier_code"]) and got["churn_probability"].duplicated().any()
    else:
        assert set(got["risk_tier_code"]) == {"high", "medium", "low"}, "every tier is exercised"
    assert (got["campaign_group"] == "holdout").any() and (got["campaign_group"] == "contact").any()
    outside = got["campaign_group"] == ""
    assert (got.loc[outside, "action_code"] == "NO_CONTACT").all()
    assert outside.any() == (kind == "non_contract" or contact is not None), "the default subscription: all tied in"
    if contact is not None:   # the top share by rank, nobody else
        k = int(np.ceil(contact * len(got)))
        assert not outside.iloc[:k].any() and outside.iloc[k:].all(), "exactly the top share is in the campaign"
    assert got["value_at_risk"].notna().any(), "the customers have a value"
    if kind == "non_contract":
        assert got["customer_value"].gt(0).any(), "BG/NBD's expected spend prices the customers"
    table = pd.read_csv(out / "at_risk_customers.csv")
    assert list(table["customer_id"].astype(str)) == list(got["customer_id"].astype(str))

    # the campaign's record: the score stage's assignments file, the same rows and values
    (record,) = (tmp_path / "campaigns").glob("*/assignments.parquet")
    spark_record = out / "campaigns" / record.parent.name / "assignments.parquet"
    want, have = pd.read_parquet(record), pd.read_parquet(spark_record)
    assert len(want) == (got["campaign_group"] != "").sum() > 0
    held = want["group"] == "holdout"
    assert held.any() and (want.loc[held, "action_code"] != "HOLDOUT").all(), "a holdout keeps its stratum's action"
    pd.testing.assert_frame_equal(have, want)
    assert pd.read_parquet(out / "campaigns" / record.parent.name / "assignments").sort_values("rank").reset_index(
        drop=True).equals(have), "the cluster's copy holds the same rows"
    runs = mlflow.search_runs(experiment_names=["spark"], filter_string="tags.stage = 'spark-score'",
                              order_by=["attributes.start_time DESC"], max_results=1)
    run = runs.iloc[0]
    assert run["tags.campaign_id"] == record.parent.name and run["tags.model_uri"].startswith(f"models:/{NAME}/")
    assert run["metrics.campaign_n_holdout"] == (want["group"] == "holdout").sum()
    assert run["metrics.campaign_n_contact"] == (want["group"] == "contact").sum()
    assert run["metrics.n_listed"] == len(got)
    artifacts = mlflow.MlflowClient().list_artifacts(run["run_id"], f"campaigns/{record.parent.name}")
    assert [a.path.rsplit("/", 1)[-1] for a in artifacts] == ["assignments.parquet"]
