"""``churn init`` on exports made from the built-in worlds, then `dvc repro`; and ``generate.kind: non_contract``
alone (every value that follows it on ``auto``) running the whole pipeline on the built-in retailer.

The subscription export keeps its churn dates as the world wrote them: shifting them past the last event is
the as-of change of another branch (the as-of date reading churn dates), not yet here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.e2e.helpers import copy_repo, dvc, env, git, set_params
from tests.pipeline.test_init import printed

pytestmark = pytest.mark.e2e

N_CUSTOMERS = 800


def _init(repo: Path, folder: str) -> dict[str, object]:
    """Run ``churn init`` in the copy, as a user would; return the choices it printed."""
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "init", folder], cwd=repo, env=env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "strict validation: every row passes" in proc.stdout, proc.stdout
    return printed(proc.stdout)


def _written_equal_printed(repo: Path, shown: dict[str, object]) -> None:
    params = yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8"))
    assert {k: params[k.split(".")[0]][k.split(".")[1]] for k in shown} == shown


def _ran_whole(repo: Path) -> dict:
    dvc(repo, "repro")
    assert (repo / "data/scored/at_risk_customers.csv").stat().st_size > 0
    assert (repo / "data/reports/retention_report.html").stat().st_size > 0
    return json.loads((repo / "data/metrics/metrics.json").read_text())


def test_init_on_the_subscription_worlds_export_then_dvc_repro(tmp_path):
    repo = copy_repo(tmp_path / "repo")
    set_params(repo, generate__n_customers=N_CUSTOMERS)
    dvc(repo, "repro", "generate")
    export = repo / "data/external/export"
    shutil.copytree(repo / "data/raw", export, ignore=shutil.ignore_patterns("*.md", "*.txt"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "an export")
    shown = _init(repo, "data/external/export")
    assert shown["data.source"] == "dir" and shown["data.raw_dir"] == "data/external/export"
    assert shown["label.mode"] == "churn_date" and shown["label.horizon_days"] == 30
    assert {"payment_failed", "price_change"} <= set(shown["featurize.passive_event_types"])
    _written_equal_printed(repo, shown)
    metrics = _ran_whole(repo)
    assert 0.5 < metrics["roc_auc"] <= 1


@pytest.fixture(scope="module")
def retailer(tmp_path_factory) -> Path:
    """The built-in retailer with only ``generate.kind: non_contract`` (and a small world) changed."""
    repo = copy_repo(tmp_path_factory.mktemp("retailer") / "repo")
    set_params(repo, generate__n_customers=N_CUSTOMERS, generate__kind="non_contract")
    git(repo, "commit", "-qam", "a retailer")
    return repo


def test_generate_kind_non_contract_alone_runs_dvc_repro(retailer):
    metrics = _ran_whole(retailer)
    assert 0.5 < metrics["roc_auc"] <= 1
    meta = json.loads((retailer / "data/models/model_meta.json").read_text())
    assert meta["horizon_days"] == 90   # auto: the retailer's horizon
    labels = pd.read_parquet(retailer / "data/labels/labels.parquet")
    assert 0 < labels["label"].mean() < 1
    assert "churn_date" not in pd.read_parquet(retailer / "data/raw/customers.parquet").columns


def test_init_on_purchases_and_email_opens_finds_inactivity_and_the_passive_email(retailer):
    raw = retailer / "data/raw"
    export = retailer / "data/external/shop"
    export.mkdir(parents=True)
    events = pd.read_parquet(raw / "events.parquet")
    events[events["event_type"].isin(["purchase", "email_open"])].to_parquet(export / "events.parquet")
    shutil.copy2(raw / "customers.parquet", export / "customers.parquet")
    git(retailer, "add", "-A")
    git(retailer, "commit", "-qm", "a shop's export")
    shown = _init(retailer, "data/external/shop")
    assert shown["label.mode"] == "inactivity"
    assert shown["featurize.passive_event_types"] == ["email_open"]
    assert 30 <= shown["label.horizon_days"] <= 180
    _written_equal_printed(retailer, shown)
    _ran_whole(retailer)
