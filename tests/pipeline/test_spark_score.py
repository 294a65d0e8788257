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
from pipeline import config, featurize, label, spark_score, tracking
from pipeline.explain import scoring_rows
from pipeline.validate import validate
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
