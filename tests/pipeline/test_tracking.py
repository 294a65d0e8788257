"""MLflow tracking: the store's artefacts follow the repository; run names say what sets a run apart."""

from __future__ import annotations

import shutil

import pytest

from pipeline.core import tracking
from pipeline.core.config import MlflowParams, ParamsError


def _repo(path):
    path.mkdir(parents=True)
    (path / "dvc.yaml").write_text("stages: {}\n")
    return path


def test_a_store_copied_with_its_repository_refuses_to_write_into_the_original(tmp_path, monkeypatch, migrated_store):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    original = _repo(tmp_path / "original")
    shutil.copy(migrated_store, original / "mlflow.db")
    monkeypatch.chdir(original)
    tracking.setup(MlflowParams())  # creates the experiment with its artefacts in original/mlartifacts
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # mlflow.set_tracking_uri exports it; a new stage has none
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    monkeypatch.chdir(copy)
    with pytest.raises(ParamsError, match="copied or moved from another checkout") as err:
        tracking.setup(MlflowParams())
    assert str(original / "mlartifacts") in str(err.value) and str(copy) in str(err.value)
    # a store named on purpose elsewhere is the user's choice
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{original / 'mlflow.db'}")
    tracking.setup(MlflowParams())


def test_the_experiment_opens_as_model_training(tmp_path, monkeypatch, migrated_store):
    import mlflow

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    repo = _repo(tmp_path / "repo")
    shutil.copy(migrated_store, repo / "mlflow.db")
    monkeypatch.chdir(repo)
    exp_id = tracking.setup(MlflowParams())
    assert mlflow.MlflowClient().get_experiment(exp_id).tags["mlflow.experimentKind"] == "custom_model_development"


def test_run_names_carry_the_experiment_data_and_test_cutoff(monkeypatch):
    monkeypatch.setenv("DVC_EXP_NAME", "faster-lr")
    assert tracking.run_name("synthetic", "data/raw", "2024-11-30", {}) == "faster-lr · synthetic · test 2024-11-30"
    monkeypatch.delenv("DVC_EXP_NAME")
    a = tracking.run_name("dir", "data/external/shop", "2024-11-30", {"train.learning_rate": 0.05})
    b = tracking.run_name("dir", "data/external/shop", "2024-11-30", {"train.learning_rate": 0.1})
    assert a.startswith("workspace ") and a.endswith(" · dir:shop · test 2024-11-30") and a != b
