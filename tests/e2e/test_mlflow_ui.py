"""Reviewers in the MLflow UI: a real `mlflow ui` on the world's store, opened in headless Chromium.

Both runs (the workspace run and the `faster-lr` DVC experiment) show their
ROC-AUC and their datasets in the runs table, and the compare view holds both.
Screenshots of each page are saved under ``test-artifacts/``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.e2e.helpers import env
from tests.paths import ARTIFACTS

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ui(world, experiment):
    port = _free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "mlflow"), "ui", "--backend-store-uri",
                             f"sqlite:///{world / 'mlflow.db'}", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=world, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/health", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"mlflow ui did not start on port {port}:\n{proc.stdout.read()[-3000:]}")
        time.sleep(0.5)
    yield base
    proc.terminate()
    proc.wait(timeout=30)


def _runs(world: Path):
    client = MlflowClient(tracking_uri=f"sqlite:///{world / 'mlflow.db'}")
    exp = client.get_experiment_by_name("churn")
    return exp, client.search_runs([exp.experiment_id], filter_string="attributes.status = 'FINISHED'")


def test_experiment_is_a_model_training_experiment_with_described_runs(world, experiment):
    exp, runs = _runs(world)
    assert exp.tags["mlflow.experimentKind"] == "custom_model_development"
    names = {r.info.run_name for r in runs}
    assert len(names) == len(runs), f"two runs share a name: {sorted(r.info.run_name for r in runs)}"
    assert any(n.startswith(f"{experiment} · synthetic · test ") for n in names), names
    for run in runs:
        note = run.data.tags["mlflow.note.content"]
        assert f"Test ROC-AUC {run.data.metrics['test_roc_auc']:.3f}" in note and "Gate:" in note
        assert "baseline" in note
        contexts = {t.value for d in run.inputs.dataset_inputs for t in d.tags if t.key == "mlflow.data.context"}
        assert contexts == {"training", "validation", "testing"}
        digests = {d.dataset.digest for d in run.inputs.dataset_inputs}
        assert digests == {run.data.tags["data_hash"][:36]}
        assert run.data.params["evaluate.contact_cost"] == "1.0" and not any(
            k.startswith("evaluate.") for k in run.data.tags)
        assert [a.path for a in MlflowClient(tracking_uri=f"sqlite:///{world / 'mlflow.db'}")
                .list_artifacts(run.info.run_id, "report")] == ["report/retention_report.html"]


def test_runs_page_shows_both_runs_with_roc_auc_and_dataset(world, experiment, ui, browser):
    exp, runs = _runs(world)
    page = browser.new_page(viewport={"width": 1900, "height": 900})
    page.goto(f"{ui}/#/experiments/{exp.experiment_id}?workflowType=machine_learning")
    page.get_by_text(experiment, exact=False).first.wait_for(timeout=30000)
    page.get_by_role("button", name="Columns").click()
    page.get_by_text("test_roc_auc", exact=True).click()
    page.keyboard.press("Escape")
    page.get_by_role("columnheader", name="test_roc_auc").first.wait_for(timeout=10000)
    body = page.inner_text("body")
    assert f"{len(runs)} matching runs" in body  # the model-training runs table, not the GenAI overview
    for run in runs:
        assert run.info.run_name in body, run.info.run_name
        assert str(run.data.metrics["test_roc_auc"]) in body, run.data.metrics["test_roc_auc"]
        test_set = next(d.dataset for d in run.inputs.dataset_inputs
                        if any(t.value == "testing" for t in d.tags))
        assert f"{test_set.name} ({test_set.digest})" in body
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "mlflow_runs.png"), full_page=True)

    ids = [r.info.run_id for r in runs]
    page.goto(f"{ui}/#/compare-runs?runs={json.dumps(ids)}&experiments={json.dumps([exp.experiment_id])}"
              "&workflowType=machine_learning")
    page.get_by_text(f"Comparing {len(ids)} Runs", exact=False).wait_for(timeout=30000)
    page.get_by_text("Run details", exact=False).first.wait_for(timeout=30000)
    compare = page.inner_text("body")
    for run in runs:
        assert run.info.run_name in compare and run.info.run_id in compare
        assert run.data.params["train.learning_rate"] in compare  # what sets the runs apart
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "mlflow_compare.png"), full_page=True)
    page.close()
