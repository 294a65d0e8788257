"""``churn init`` on exports made from the built-in worlds, then `dvc repro`.

The subscription export has churn dates the day after its last event (the as-of date reads them); the retailer's
export holds purchases and e-mail opens only. ``generate.kind: non_contract`` alone is run by the retailer of
``test_profiles.py``.
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
    churn_day = _churn_after_the_last_event(export)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "an export")
    shown = _init(repo, "data/external/export")
    assert shown["data.source"] == "dir" and shown["data.raw_dir"] == "data/external/export"
    assert shown["label.mode"] == "churn_date" and shown["label.horizon_days"] == 30
    assert {"payment_failed", "price_change"} <= set(shown["featurize.passive_event_types"])
    _written_equal_printed(repo, shown)
    metrics = _ran_whole(repo)
    assert 0.5 < metrics["roc_auc"] <= 1
    assert json.loads((repo / "data/interim/validation_report.json").read_text())["as_of"] == churn_day


def _churn_after_the_last_event(export: Path) -> str:
    """Ten customers active at the end of the events left the next day, and the export records it."""
    customers = pd.read_parquet(export / "customers.parquet")
    last_event = pd.read_parquet(export / "events.parquet", columns=["timestamp"])["timestamp"].max()
    churn_day = (pd.Timestamp(last_event).normalize() + pd.Timedelta(days=1)).date()
    leavers = customers.index[customers["churn_date"].isna()][:10]
    customers.loc[leavers, "churn_date"] = churn_day   # the column holds dates (datetime.date)
    customers.to_parquet(export / "customers.parquet", index=False)
    return churn_day.isoformat()


def test_init_on_purchases_and_email_opens_finds_inactivity_and_the_passive_email(tmp_path):
    retailer = copy_repo(tmp_path / "repo")
    set_params(retailer, generate__n_customers=N_CUSTOMERS, generate__kind="non_contract")
    dvc(retailer, "repro", "generate")
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
