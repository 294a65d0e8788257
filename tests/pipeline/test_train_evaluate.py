"""Stage smoke tests for train and evaluate on tiny synthetic frames, with a real SQLite MLflow store in tmp_path."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import yaml
from mlflow.tracking import MlflowClient

from models.predict import load_model
from pipeline.core import registry
from pipeline.stages import evaluate, train

FEATURES = ["days_since_last_event", "events_total_change_30d_vs_prev_30d", "tenure_days", "monthly_fee",
            "noise", "plan", "region", "contract"]
CATEGORICAL = ["plan", "region", "contract"]


def _world(tmp: Path, cutoffs: list[dt.date], n: int, seed: int = 0, events: bool = True) -> dict:
    """Features, labels, a validated folder and the oracle for a tiny synthetic world."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in cutoffs:
        f = pd.DataFrame({
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "cutoff": c,
            "days_since_last_event": rng.exponential(10, n),
            "events_total_change_30d_vs_prev_30d": rng.normal(0, 5, n),
            "tenure_days": rng.integers(0, 900, n).astype(float),
            "monthly_fee": rng.choice([9.99, 19.99, 39.99], n),
            "noise": rng.normal(size=n),
            "plan": rng.choice(["basic", "pro"], n),
            "region": rng.choice(["east", "west"], n),
            "contract": rng.choice(["monthly", "annual"], n),
        })
        logit = (-3.0 + 0.08 * f["days_since_last_event"] - 0.15 * f["events_total_change_30d_vs_prev_30d"]
                 - f["tenure_days"] / 600 + 1.0 * (f["contract"] == "monthly"))
        f["oracle_probability"] = 1 / (1 + np.exp(-logit))
        f["label"] = (rng.random(n) < f["oracle_probability"]).astype("int32")
        rows.append(f)
    frame = pd.concat(rows, ignore_index=True)
    features = FEATURES if events else [c for c in FEATURES if not c.startswith(("days_since", "events_"))]
    fdir, gdir, vdir = tmp / "features", tmp / "ground_truth", tmp / "validated"
    for d in (fdir, gdir, vdir):
        d.mkdir(parents=True, exist_ok=True)
    frame[["customer_id", "cutoff", *features]].to_parquet(fdir / "features.parquet", index=False)
    (fdir / "features_meta.json").write_text(json.dumps({"features": features, "categorical": CATEGORICAL}))
    frame[["customer_id", "cutoff", "label"]].to_parquet(tmp / "labels.parquet", index=False)
    frame[["customer_id", "cutoff", "oracle_probability"]].to_parquet(gdir / "oracle.parquet", index=False)
    (vdir / "customers.parquet").write_bytes(b"tiny")
    return {"features_dir": fdir, "labels_path": tmp / "labels.parquet", "validated_dir": vdir, "ground_truth": gdir}


def _params(tmp: Path, **train_overrides) -> Path:
    params = {
        "data": {"source": "synthetic"},
        "label": {"horizon_days": 30},
        "train": {"seed": 7, "learning_rate": 0.1, "num_leaves": 7, "min_child_samples": 20,
                  "num_boost_round": 300, "early_stopping_rounds": 20, "num_threads": 1, **train_overrides},
        "evaluate": {"precision_at_k": [10, 50], "segments": ["plan", "region", "missing_attr"], "gate_margin": 0.0},
        "mlflow": {"tracking_uri": f"sqlite:///{tmp / 'mlflow.db'}", "experiment": "churn"},
    }
    path = tmp / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


@pytest.fixture
def store(tmp_path, monkeypatch, migrated_store):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)          # artifacts land in tmp_path/mlartifacts, not the repository
    shutil.copy(migrated_store, tmp_path / "mlflow.db")  # the schema is created once per session
    yield tmp_path
    mlflow.end_run()


def _run(tmp: Path, world: dict, params: Path, name: str) -> tuple[dict, dict, Path]:
    out = tmp / name
    meta = train.main(params, world["features_dir"], world["labels_path"], world["validated_dir"], out / "models")
    metrics = evaluate.main(params, world["features_dir"], world["labels_path"], out / "models",
                            out / "evaluation/test_predictions.parquet", out / "metrics/metrics.json",
                            out / "plots", out / "models/registry.json", world["ground_truth"])
    return meta, metrics, out


MONTHS = [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31), dt.date(2024, 4, 30),
          dt.date(2024, 5, 31), dt.date(2024, 6, 30)]


def test_train_and_evaluate_out_of_time_with_registry(store):
    world = _world(store, MONTHS, n=600)
    params = _params(store)
    meta, metrics, out = _run(store, world, params, "a")

    assert meta["mode"] == "out_of_time" and meta["split"]["test"] == "2024-06-30"
    assert meta["calibration"]["method"] == "isotonic" and meta["calibration"]["method_used"] in ("isotonic", "none")
    written = json.loads((out / "metrics/metrics.json").read_text())
    for key in ("roc_auc", "pr_auc", "log_loss", "brier", "top_decile_lift", "n_test", "positive_rate",
                "test_cutoff", "mlflow_run_id", "brier_uncalibrated", "recall_top_10pct", "precision_at_10",
                "precision_at_50", "roc_auc_plan_basic", "roc_auc_region_west", "baseline_health_score_roc_auc",
                "baseline_logistic_roc_auc", "profit_max", "profit_max_share_contacted", "oracle_roc_auc",
                "model_to_oracle_auc_ratio"):
        assert key in written, key
    assert written["n_test"] == 600
    assert 0.5 < written["model_to_oracle_auc_ratio"] <= 1.05
    preds = pd.read_parquet(out / "evaluation/test_predictions.parquet")
    assert list(preds.columns) == ["customer_id", "cutoff", "label", "churn_probability"]
    model = load_model(out / "models")
    test = pd.read_parquet(world["features_dir"] / "features.parquet", filters=[("cutoff", "==", MONTHS[-1])])
    np.testing.assert_allclose(np.sort(model.predict_proba(test)), np.sort(preds["churn_probability"]))
    for name in evaluate.PLOT_FILES:
        assert (out / "plots" / name).exists(), name
    assert not pd.read_csv(out / "plots/profit.csv").empty

    client = MlflowClient(tracking_uri=f"sqlite:///{store / 'mlflow.db'}")
    run = client.get_run(written["mlflow_run_id"])
    assert run.data.metrics["test_baseline_logistic_roc_auc"] == pytest.approx(written["baseline_logistic_roc_auc"])
    assert "calibration_brier_calibrated" in run.data.metrics
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert {"plots/roc.csv", "plots/calibration.png", "plots/shap_beeswarm.png"} <= artifacts
    reg = json.loads((out / "models/registry.json").read_text())
    assert set(reg) == {"model_name", "version", "alias", "decision", "reason", "scoring"}
    # the only version scores; it says so when it did not pass the gate
    assert reg["scoring"]["version"] == "1" and reg["scoring"]["own_model"] is True
    assert reg["scoring"]["warning"] is (reg["alias"] != "champion")
    assert reg["version"] == "1"
    mv = client.get_model_version_by_alias("churn-risk", reg["alias"])
    assert str(mv.version) == "1" and mv.tags["gate_decision"] == reg["decision"]
    assert client.get_run(run.info.run_id).data.tags["gate_decision"] == reg["decision"]

    # The served pyfunc returns the calibrated probability.
    served = mlflow.pyfunc.load_model(f"models:/churn-risk/{reg['version']}")
    np.testing.assert_allclose(served.predict(test[meta["features"]].head(20)),
                               model.predict_proba(test.head(20)), rtol=1e-9)


def test_retraining_is_deterministic(store):
    world = _world(store, MONTHS, n=400)
    params = _params(store)
    for name in ("a", "b"):
        train.main(params, world["features_dir"], world["labels_path"], world["validated_dir"], store / name)
    assert (store / "a/model.txt").read_bytes() == (store / "b/model.txt").read_bytes()
    assert (store / "a/model_meta.json").read_bytes() == (store / "b/model_meta.json").read_bytes()


def test_refit_uses_every_cutoff_whose_horizon_ends_by_test(store):
    world = _world(store, MONTHS, n=300)
    meta = train.main(_params(store, refit=True, calibration="platt"), world["features_dir"], world["labels_path"],
                      world["validated_dir"], store / "m")
    assert meta["split"]["refit"] == [str(c) for c in MONTHS[:-1]]
    assert meta["rows"]["refit"] == 300 * 5
    assert meta["calibration"]["method_used"] == "platt"


def test_single_snapshot_falls_back_to_cross_validation(store):
    world = _world(store, [dt.date(2024, 6, 30)], n=1500, events=False)
    params = _params(store, cv_folds=4)
    meta, metrics, out = _run(store, world, params, "cv")
    assert meta["mode"] == "cv" and meta["split"]["test"] == "2024-06-30"
    preds = pd.read_parquet(out / "evaluation/test_predictions.parquet")
    assert len(preds) == 1500 and preds["customer_id"].is_unique
    for key in ("cv_roc_auc_mean", "cv_roc_auc_std", "baseline_health_score_roc_auc", "baseline_logistic_roc_auc"):
        assert key in metrics, key
    assert metrics["roc_auc"] > 0.55
    assert metrics["brier"] <= metrics["brier_uncalibrated"]     # calibration is kept only when it helps


def _fake_model_uri(store: Path) -> tuple[str, str]:
    class Const(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return np.zeros(len(model_input))

    mlflow.set_tracking_uri(f"sqlite:///{store / 'mlflow.db'}")
    mlflow.set_experiment("gate")
    with mlflow.start_run() as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=Const())
    return info.model_uri, run.info.run_id


def test_gate_aliases_read_back_through_mlflow(store):
    client = MlflowClient(tracking_uri=f"sqlite:///{store / 'mlflow.db'}")
    base = {"health_score": 0.70, "logistic": 0.75}
    uri, run_id = _fake_model_uri(store)
    first = registry.register_and_gate(uri, run_id, "churn-risk", 0.80, base, 0.01, "h1", client)
    assert (first["version"], first["alias"], first["decision"]) == ("1", "champion", "promote")
    worse = registry.register_and_gate(uri, run_id, "churn-risk", 0.79, base, 0.01, "h1", client)
    assert worse["alias"] == "challenger" and "below champion v1" in worse["reason"]
    assert str(client.get_model_version_by_alias("churn-risk", "champion").version) == "1"
    assert str(client.get_model_version_by_alias("churn-risk", "challenger").version) == "2"
    better = registry.register_and_gate(uri, run_id, "churn-risk", 0.81, base, 0.01, "h1", client)
    assert better["alias"] == "champion"
    assert str(client.get_model_version_by_alias("churn-risk", "champion").version) == "3"
    weak = registry.register_and_gate(uri, run_id, "churn-risk", 0.755, base, 0.01, "h2", client)
    assert weak["alias"] == "challenger" and "baseline logistic" in weak["reason"]
    assert client.get_model_version("churn-risk", "4").tags["gate_decision"] == "keep_challenger"
    assert str(client.get_model_version_by_alias("churn-risk", "champion").version) == "3"


def test_optuna_trials_are_nested_runs(store):
    world = _world(store, MONTHS, n=300)
    train.main(_params(store, optuna_trials=2), world["features_dir"], world["labels_path"], world["validated_dir"],
               store / "m")
    client = MlflowClient(tracking_uri=f"sqlite:///{store / 'mlflow.db'}")
    exp = client.get_experiment_by_name("churn")
    runs = client.search_runs([exp.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    trials = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(parents) == 1 and len(trials) == 2
    assert all("valid_roc_auc" in t.data.metrics for t in trials)
    assert "optuna_best_valid_roc_auc" in parents[0].data.metrics


def test_served_pyfunc_and_churn_model_return_the_calibrated_probability(store):
    from pipeline.core import tracking
    from pipeline.core.config import MlflowParams

    world = _world(store, MONTHS, n=300)
    out = store / "m"
    # The booster alone (no linear part), so that the expected probability is the booster's, calibrated.
    train.main(_params(store, linear_blend=0.0), world["features_dir"], world["labels_path"], world["validated_dir"],
               out)
    meta = json.loads((out / "model_meta.json").read_text())
    meta["calibration"] = {"method": "platt", "method_used": "platt", "a": 0.5, "b": -1.0}
    (out / "model_meta.json").write_text(json.dumps(meta))
    model = load_model(out)
    rows = pd.read_parquet(world["features_dir"] / "features.parquet").head(30)
    raw = model.booster.predict(model.matrix(rows))
    expected = 1 / (1 + np.exp(-(0.5 * np.log(raw / (1 - raw)) - 1.0)))
    np.testing.assert_allclose(model.predict_proba(rows), expected, rtol=1e-9)
    np.testing.assert_allclose(model.raw_score(rows), np.log(raw / (1 - raw)), rtol=1e-6)
    tracking.setup(MlflowParams(tracking_uri=f"sqlite:///{store / 'mlflow.db'}", experiment="churn"))
    with mlflow.start_run():
        info = tracking.log_model(out / "model.txt", out / "model_meta.json", rows[meta["features"]].head(3))
    served = mlflow.pyfunc.load_model(info.model_uri).predict(rows[meta["features"]])
    np.testing.assert_allclose(served, expected, rtol=1e-9)
    assert not np.allclose(served, raw)


def _nonlinear_labels(world: dict) -> None:
    """A non-linear truth (an interaction the logistic baseline cannot draw), so the first model beats it."""
    feats = pd.read_parquet(world["features_dir"] / "features.parquet")
    rng = np.random.default_rng(3)
    p = np.where((feats["contract"] == "monthly") ^ (feats["tenure_days"] > 450), 0.35, 0.03)
    labels = feats[["customer_id", "cutoff"]].assign(label=(rng.random(len(feats)) < p).astype("int32"))
    labels.to_parquet(world["labels_path"], index=False)


def test_scoring_uses_the_champion_when_this_run_is_a_challenger(store):
    from pipeline.core import config, tracking
    from pipeline.core.registry import scoring_model

    world = _world(store, MONTHS, n=1500)
    _nonlinear_labels(world)
    _, first, out_a = _run(store, world, _params(store, linear_blend=0.0), "a")
    assert json.loads((out_a / "models/registry.json").read_text())["alias"] == "champion", first
    weak = _params(store, learning_rate=0.001, num_boost_round=2, early_stopping_rounds=1, linear_blend=0.0)
    _, second, out_b = _run(store, world, weak, "b")
    reg_b = json.loads((out_b / "models/registry.json").read_text())
    assert reg_b["alias"] == "challenger" and reg_b["version"] == "2", reg_b

    tracking.setup(config.section(config.load_params(weak), "mlflow"))
    booster, meta, used = scoring_model(out_b / "models")
    assert used["version"] == "1" and used["alias"] == "champion"
    champion_text = (out_a / "models/model.txt").read_text()
    assert booster.model_to_string().split("parameters:")[0].strip() == champion_text.split("parameters:")[0].strip()

    booster_a, _, used_a = scoring_model(out_a / "models")
    assert used_a == {"model_name": "churn-risk", "version": "1", "alias": "champion", "own_model": True,
                      "warning": False, "note": "this run's model is the champion"}


def test_a_champion_trained_on_other_data_never_scores_this_data(store):
    """Built-in data first (champion), then a company's export with other columns whose model fails the gate."""
    from pipeline.core import config, tracking
    from pipeline.core.registry import scoring_model
    from pipeline.stages import score

    world_a = _world(store / "synthetic", MONTHS, n=1500)
    _nonlinear_labels(world_a)
    _, _, out_a = _run(store, world_a, _params(store), "a")
    assert json.loads((out_a / "models/registry.json").read_text())["alias"] == "champion"

    world_b = _world(store / "export", MONTHS, n=800, seed=5)
    feats = pd.read_parquet(world_b["features_dir"] / "features.parquet").drop(columns=["noise", "region"])
    feats["favourite_shop"] = "north"
    feats.to_parquet(world_b["features_dir"] / "features.parquet", index=False)
    features_b = [c for c in FEATURES if c not in ("noise", "region")] + ["favourite_shop"]
    (world_b["features_dir"] / "features_meta.json").write_text(
        json.dumps({"features": features_b, "categorical": ["plan", "contract", "favourite_shop"]}))
    params_b = _params(store)
    raw = yaml.safe_load(params_b.read_text())
    raw["data"] = {"source": "dir", "raw_dir": "data/external/shop"}
    raw["evaluate"]["gate_margin"] = 0.9  # nothing beats the baselines by 0.9: this run's version is a challenger
    params_b.write_text(yaml.safe_dump(raw))
    _, _, out_b = _run(store, world_b, params_b, "b")

    reg = json.loads((out_b / "models/registry.json").read_text())
    assert reg["alias"] == "challenger" and reg["version"] == "2"
    choice = reg["scoring"]
    assert choice["own_model"] is True and choice["version"] == "2" and choice["warning"] is True
    assert choice["champion_version"] == "1" and "trained on other data" in choice["note"]
    tracking.setup(config.section(config.load_params(params_b), "mlflow"))
    booster, meta, used = scoring_model(out_b / "models")
    assert meta["features"] == features_b and booster.feature_name() == features_b
    explain_dir = store / "b" / "explain"
    explain_dir.mkdir()
    (explain_dir / "scoring_model.json").write_text(json.dumps(used))
    version = score.model_version(explain_dir)
    assert version.startswith("2 (") and "champion v1 cannot score this data" in version
    # the champion is untouched and still the champion
    assert str(MlflowClient().get_model_version_by_alias("churn-risk", "champion").version) == "1"


_FIRST_USE = """
import sys, time
import mlflow
from pipeline.core import tracking
from pipeline.core.config import MlflowParams
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
tracking.setup(MlflowParams(tracking_uri=f"sqlite:///{sys.argv[1]}/mlflow.db", experiment="churn"))
with mlflow.start_run():
    mlflow.log_metric("x", 1.0)
"""


def test_processes_starting_at_once_on_a_new_store_all_succeed(tmp_path):
    """Two parallel experiments on a fresh clone both create the SQLite schema; neither may break the other."""
    import os
    import subprocess
    import sys
    import time

    from tests.paths import REPO as repo
    script = tmp_path / "first_use.py"
    script.write_text(_FIRST_USE)
    start = time.time() + 8
    # mlflow.set_tracking_uri() in earlier tests exports MLFLOW_TRACKING_URI, which would win over the params.
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["PYTHONPATH"] = str(repo)
    procs = [subprocess.Popen([sys.executable, str(script), str(tmp_path), repr(start)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], "\n".join(o[-1500:] for o in outs)
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    exp = client.get_experiment_by_name("churn")
    assert len(client.search_runs([exp.experiment_id])) == 4


def test_linear_blend_out_of_time_is_saved_and_scored_as_trained(store):
    from models.predict import load_model

    world = _world(store, MONTHS, n=600)
    params = _params(store, linear_blend=0.4)
    meta, metrics, out = _run(store, world, params, "blend")
    assert meta["mode"] == "out_of_time" and meta["linear"]["weight"] == 0.4
    assert set(meta["linear"]["categorical"]) == set(CATEGORICAL)
    # The validation scores the calibrator was fitted on are the saved model's own blended scores.
    valid = pd.read_parquet(out / "models/validation_predictions.parquet")
    feats = pd.read_parquet(world["features_dir"] / "features.parquet")
    rows = valid[["customer_id", "cutoff"]].merge(feats, on=["customer_id", "cutoff"], how="left",
                                                  validate="one_to_one")
    model = load_model(out / "models")
    np.testing.assert_allclose(model.uncalibrated_proba(rows), valid["uncalibrated_probability"], rtol=1e-12)
    booster_only = load_model(out / "models").booster.predict(model.matrix(rows))
    assert not np.allclose(booster_only, valid["uncalibrated_probability"]), "the linear part takes part"
    written = json.loads((out / "metrics/metrics.json").read_text())
    run = mlflow.tracking.MlflowClient().get_run(written["mlflow_run_id"])
    assert run.data.params["train.linear_blend"] == "0.4"
    assert metrics["roc_auc"] > 0.7
