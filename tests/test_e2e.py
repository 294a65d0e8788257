"""End to end: `dvc repro` on a temp copy of the repository at a tiny scale, read back through MLflow."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from tests.e2e_helpers import copy_repo, dvc, git, set_params

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    path = copy_repo(tmp_path_factory.mktemp("repo"))
    set_params(path, generate__n_customers=2500)
    git(path, "commit", "-qam", "tiny scale")
    dvc(path, "repro")
    return path


def test_outputs_exist_with_their_columns(repo):
    scored = pd.read_csv(repo / "data/scored/at_risk_customers.csv", encoding="utf-8-sig")
    assert list(scored.columns[:6]) == ["rank", "customer_id", "churn_probability", "reason_1", "reason_2", "reason_3"]
    assert len(scored) > 1000 and scored["rank"].tolist() == list(range(1, len(scored) + 1))
    assert scored["churn_probability"].is_monotonic_decreasing
    assert scored["customer_id"].is_unique
    assert scored["reason_1"].str.len().gt(0).mean() > 0.9
    assert not scored["reason_1"].str.contains(r"_count_|_\d+d\b", regex=True).any(), "raw feature names leaked into reasons"

    preds = pd.read_parquet(repo / "data/evaluation/test_predictions.parquet")
    assert list(preds.columns) == ["customer_id", "cutoff", "label", "churn_probability"]
    assert preds["cutoff"].nunique() == 1

    metrics = json.loads((repo / "data/metrics/metrics.json").read_text())
    for key in ("roc_auc", "pr_auc", "log_loss", "brier", "top_decile_lift", "n_test", "positive_rate", "mlflow_run_id"):
        assert key in metrics, key
    assert metrics["n_test"] == len(preds)
    assert metrics["roc_auc"] > 0.6


def test_every_customer_active_at_as_of_is_scored(repo):
    customers = pd.read_parquet(repo / "data/raw/customers.parquet")
    as_of = pd.Timestamp("2024-12-31").date()
    active = customers[(customers["signup_date"] <= as_of) &
                       (customers["churn_date"].isna() | (customers["churn_date"] > as_of))]
    scored = pd.read_csv(repo / "data/scored/at_risk_customers.csv", encoding="utf-8-sig")
    assert set(scored["customer_id"]) == set(active["customer_id"])


def test_run_is_in_the_repo_mlflow_store(repo):
    metrics = json.loads((repo / "data/metrics/metrics.json").read_text())
    client = MlflowClient(tracking_uri=f"sqlite:///{repo / 'mlflow.db'}")
    run = client.get_run(metrics["mlflow_run_id"])
    assert client.get_experiment(run.info.experiment_id).name == "churn"
    assert run.data.params["train.learning_rate"] == "0.05"
    assert abs(run.data.metrics["test_roc_auc"] - metrics["roc_auc"]) < 1e-12
    assert len(run.data.tags["git_commit"]) == 40
    assert len(run.data.tags["data_hash"]) == 64
    assert run.data.tags.get("dvc_data_md5", "").endswith(".dir")
    models = client.search_logged_models(experiment_ids=[run.info.experiment_id])
    assert any(m.source_run_id == run.info.run_id for m in models)


def test_second_repro_has_nothing_to_do(repo):
    out = dvc(repo, "repro").stdout
    assert "Data and pipelines are up to date" in out, out
    status = dvc(repo, "status").stdout
    assert "up to date" in status.lower(), status


def test_experiment_in_temp_copy_lands_in_the_same_store(repo):
    before = json.loads((repo / "data/metrics/metrics.json").read_text())["mlflow_run_id"]
    dvc(repo, "exp", "run", "--temp", "-n", "faster-lr", "-S", "train.learning_rate=0.1")
    client = MlflowClient(tracking_uri=f"sqlite:///{repo / 'mlflow.db'}")
    runs = client.search_runs(client.get_experiment_by_name("churn").experiment_id,
                              filter_string="tags.dvc_experiment = 'faster-lr'")
    assert len(runs) == 1, "the experiment's run did not reach the repository's MLflow store"
    assert runs[0].data.params["train.learning_rate"] == "0.1"
    assert runs[0].info.run_id != before
    assert not list((repo / ".dvc/tmp/exps").rglob("mlflow.db")), "an MLflow store was created inside the DVC temp copy"
    shown = dvc(repo, "exp", "show", "--json").stdout
    assert "faster-lr" in shown
    assert "roc_auc" in dvc(repo, "metrics", "show").stdout
