"""End to end: `dvc repro` on a temp copy of the repository at a tiny scale, read back through MLflow."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from tests.e2e.helpers import dvc, git, run_queue

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def repo(world):
    return world


def test_outputs_exist_with_their_columns(repo):
    scored = pd.read_csv(repo / "data/scored/at_risk_customers.csv", encoding="utf-8-sig")
    assert list(scored.columns[:14]) == [
        "rank", "customer_id", "churn_probability", "risk_tier", "value_at_risk", "reason_1", "reason_2", "reason_3",
        "reason_codes", "driver_family", "recommended_action", "action_reason", "scored_at", "model_version"]
    assert (repo / "data/scored/at_risk_customers.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert set(scored["risk_tier"]) <= {"High", "Medium", "Low"}
    assert scored["recommended_action"].str.len().gt(0).all()
    assert (scored["value_at_risk"] >= 0).all()
    assert len(scored) > 1000 and scored["rank"].tolist() == list(range(1, len(scored) + 1))
    assert scored["churn_probability"].is_monotonic_decreasing
    assert scored["customer_id"].is_unique
    assert scored["reason_1"].str.len().gt(0).mean() > 0.9
    leaked = scored["reason_1"].str.contains(r"_count_|_\d+d\b", regex=True)
    assert not leaked.any(), "raw feature names leaked into reasons"

    preds = pd.read_parquet(repo / "data/evaluation/test_predictions.parquet")
    assert list(preds.columns) == ["customer_id", "cutoff", "label", "churn_probability"]
    assert preds["cutoff"].nunique() == 1

    metrics = json.loads((repo / "data/metrics/metrics.json").read_text())
    for key in ("roc_auc", "pr_auc", "log_loss", "brier", "top_decile_lift", "n_test", "positive_rate",
                "mlflow_run_id"):
        assert key in metrics, key
    assert metrics["n_test"] == len(preds)
    assert metrics["roc_auc"] > 0.6


def test_report_and_drift_are_written(repo):
    html = (repo / "data/reports/retention_report.html").read_text(encoding="utf-8")
    assert "<table" in html and "http://" not in html.replace("http://www.w3.org", "")
    drift = pd.read_csv(repo / "data/scored/drift.csv")
    assert list(drift.columns) == ["feature", "psi", "drifted", "compared_as", "psi_compared"] and len(drift) > 50
    assert set(drift["compared_as"]) == {"as_is", "per_day", "ageing"}
    assert not drift.loc[drift["compared_as"] == "ageing", "drifted"].any()
    match = json.loads((repo / "data/metrics/explain_metrics.json").read_text())
    assert 0 <= match["driver_match_rate"] <= 1 and match["n_churners"] > 0
    for group in ("churners", "top_decile", "everyone"):
        assert 0 <= match[f"truth_match_rate_{group}"] <= 1 and -1 <= match[f"truth_spearman_{group}"] <= 1
    exact = match["truth_at_cutoff"]["exact_explanation"]
    assert all(v["match_rate"] == 1.0 and abs(v["spearman_mean"] - 1) < 1e-12 for v in exact.values())
    ceiling = match["truth_at_cutoff"]["label_weighted_explanation"]
    assert set(ceiling["weights"]) == {"usage", "engagement", "tenure", "complaints", "billing", "attributes"}
    assert all(0 <= ceiling[g]["match_rate"] <= 1 for g in ("churners", "top_decile", "everyone"))


def test_the_ceiling_bench_reproduces_the_stage_and_spreads_around_it(repo, tmp_path):
    """bench/explain_ceiling.py recomputes explain's label-weighted ceiling from the outputs (the same figures)
    and resamples the customers around it."""
    import importlib.util

    from tests.paths import REPO

    spec = importlib.util.spec_from_file_location("bench_explain_ceiling", REPO / "bench/explain_ceiling.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = bench.main(["--repo", str(repo), "--resamples", "5", "--json", str(tmp_path / "ceiling.json")])
    stage = json.loads((repo / "data/metrics/explain_metrics.json").read_text())["truth_at_cutoff"]
    assert out["point"] == stage["label_weighted_explanation"], "the bench starts from the stage's own figures"
    assert json.loads((tmp_path / "ceiling.json").read_text()) == json.loads(json.dumps(out))
    assert out["group_sizes"] == {g: v["n"] for g, v in stage["groups"].items()}
    for group in ("churners", "top_decile", "everyone"):
        lo, mid, hi = out["ceiling"][group]["match_rate"].values()
        assert 0 <= lo <= mid <= hi <= 1
    assert all(w["2.5"] <= w["97.5"] for w in out["weights"].values())
    assert out["n_customers"] < out["n_label_rows"], "customers are seen at several cutoffs"


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
    assert run.data.params["train.learning_rate"] == "auto"
    assert run.data.params["train.learning_rate_used"] == "0.02", "auto, resolved for the labelled rows, is logged"
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


def test_experiment_in_temp_copy_lands_in_the_same_store(repo, experiment):
    before = json.loads((repo / "data/metrics/metrics.json").read_text())["mlflow_run_id"]
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


def test_pipeline_report_opens_in_chromium(repo, browser):
    from tests.paths import ARTIFACTS

    scored = pd.read_parquet(repo / "data/scored/at_risk_customers.parquet")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto((repo / "data/reports/retention_report.html").as_uri())
    rows = page.locator("#risk-table tbody tr")
    assert rows.count() == min(100, len(scored))
    first = page.locator("#risk-table tbody tr").first.inner_text()
    callable_ = scored[scored["campaign_group"] != "holdout"]   # a held-out customer is never in the call table
    assert callable_.sort_values("rank")["customer_id"].iloc[0] in first
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pipeline_report_en.png"), full_page=True)
    page.close()
    assert problems == []


def test_two_queued_experiments_run_in_parallel_into_one_store(repo):
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "baseline with dvc.lock", "--allow-empty")
    dvc(repo, "exp", "run", "--queue", "-n", "par-a", "-S", "train.num_leaves=15")
    dvc(repo, "exp", "run", "--queue", "-n", "par-b", "-S", "train.num_leaves=31")
    status = run_queue(repo, jobs=2)
    assert "Failed" not in status, status + "\n" + dvc(repo, "queue", "logs", "par-a", check=False).stdout[-3000:]
    logs = "".join(dvc(repo, "queue", "logs", name, check=False).stdout for name in ("par-a", "par-b"))
    assert "database is locked" not in logs
    client = MlflowClient(tracking_uri=f"sqlite:///{repo / 'mlflow.db'}")
    exp_id = client.get_experiment_by_name("churn").experiment_id
    for name, leaves in (("par-a", "15"), ("par-b", "31")):
        runs = client.search_runs(exp_id, filter_string=f"tags.dvc_experiment = '{name}'")
        assert len(runs) == 1, f"experiment {name} has {len(runs)} MLflow runs"
        assert runs[0].data.params["train.num_leaves"] == leaves
        assert "test_roc_auc" in runs[0].data.metrics


def test_model_quality_outputs_baselines_plots_and_gate(repo):
    metrics = json.loads((repo / "data/metrics/metrics.json").read_text())
    for key in ("baseline_health_score_roc_auc", "baseline_logistic_roc_auc", "brier_uncalibrated", "recall_top_10pct",
                "precision_at_100", "precision_at_500", "profit_max", "profit_max_share_contacted", "oracle_roc_auc",
                "model_to_oracle_auc_ratio"):
        assert key in metrics, key
    assert metrics["brier"] <= metrics["brier_uncalibrated"] + 1e-12
    for name in ("roc", "pr", "calibration", "gains", "profit", "feature_importance"):
        assert (repo / f"data/plots/{name}.csv").exists(), name
    gate = json.loads((repo / "data/models/registry.json").read_text())
    assert gate["model_name"] == "churn-risk" and gate["alias"] in ("champion", "challenger")
    client = MlflowClient(tracking_uri=f"sqlite:///{repo / 'mlflow.db'}")
    mv = client.get_model_version("churn-risk", gate["version"])
    assert mv.tags["gate_decision"] == gate["decision"] and mv.tags["alias"] == gate["alias"]
    # Later runs (the temp-copy experiment) may have taken the alias since; whoever holds it passed the gate.
    assert client.get_model_version_by_alias("churn-risk", "champion").tags["gate_decision"] == "promote"
    assert client.get_run(metrics["mlflow_run_id"]).data.tags["gate_decision"] == gate["decision"]
    plots = json.loads(dvc(repo, "plots", "show", "--json").stdout)["data"]
    roc = plots["ROC (test)"][0]["content"]["data"]["values"]
    assert len(roc) > 10 and {"fpr", "tpr"} <= set(roc[0])
    assert "Campaign profit by share contacted" in plots and "Feature importance (gain)" in plots
    assert (repo / "data/plots/shap_beeswarm.png").read_bytes().startswith(b"\x89PNG")
    assert "data/plots/shap_beeswarm.png" in plots


def test_model_review_notebook_executes(repo, monkeypatch):
    import jupytext
    from nbclient import NotebookClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    nb = jupytext.read(repo / "notebooks/model_review.py")
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(repo)}}).execute()
    outputs = "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                      for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", []))
    assert "baseline_logistic_roc_auc" in outputs
    assert "champion" in outputs or "challenger" in outputs


def test_exploration_notebook_runs_on_the_outputs(repo):
    import jupytext
    import nbclient
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        pytest.fail("no Jupyter kernel 'python3' for this interpreter: run `python -m ipykernel install --sys-prefix` "
                    "in the environment (or `--user`)")
    nb = jupytext.read(repo / "notebooks/exploration.py")
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=600,
                                     resources={"metadata": {"path": str(repo)}})
    client.execute()   # raises CellExecutionError naming the failing cell
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "churners" in text and "stayers" in text
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 2, "the churn-rate and distribution figures were not rendered"


def test_cold_start_no_campaign_measured_the_list_says_so(repo):
    """The shared world has no contacts table: the uplift stage writes the cold start and the list says so."""
    metrics = json.loads((repo / "data/metrics/uplift_metrics.json").read_text())
    assert metrics["training_rows"] == 0 and metrics["learner"] is None and not metrics["use_uplift"]
    scored = pd.read_parquet(repo / "data/scored/at_risk_customers.parquet")
    assert set(scored["targeting_basis"]) == {"churn risk × value: no campaign measured yet"}
    assert scored["expected_uplift"].isna().all() and scored["expected_saving"].isna().all()
