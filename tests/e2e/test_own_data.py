"""Bring your own data: three CSVs in the contract, `data.source: dir`, `dvc repro`, in both label modes.

churn_date mode runs on a fresh copy; inactivity mode runs after the built-in data, in the switching test.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.e2e.helpers import copy_repo, dvc, git, set_params

pytestmark = pytest.mark.e2e


def write_export(folder, with_churn_date: bool, n: int = 400, seed: int = 7) -> None:
    """A small company export: customers, events and tickets as plain CSV files."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    start, end = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31")
    signup = start + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    lifetime = rng.exponential(250, n).astype(int) + 20
    churn = signup + pd.to_timedelta(lifetime, unit="D")
    churn = churn.where(churn <= end)
    customers = pd.DataFrame({"customer_id": [f"S{i:04d}" for i in range(n)],
                              "signup_date": signup.strftime("%Y-%m-%d"),
                              "plan": rng.choice(["basic", "plus"], n), "monthly_fee": rng.choice([9.0, 19.0], n),
                              "price plan": rng.choice(["standard", "student"], n)})  # a header with a space
    if with_churn_date:
        customers["churn_date"] = churn.strftime("%Y-%m-%d").where(churn.notna(), "")
    rows = []
    for i in range(n):
        last = churn[i] if pd.notna(churn[i]) else end
        days = (last - signup[i]).days
        # activity thins out in the two months before a churn
        k = rng.poisson(max(days, 1) / 6)
        offsets = np.sort(rng.uniform(0, days + 0.99, k))
        if pd.notna(churn[i]):
            offsets = offsets[(offsets < days - 60) | (rng.random(k) < 0.2)]
        for o in offsets:
            stamp = (signup[i] + pd.Timedelta(days=float(o))).strftime("%Y-%m-%d %H:%M:%S")
            rows.append((customers.customer_id[i], stamp,
                         rng.choice(["login", "purchase"]), round(float(rng.uniform(5, 50)), 2)))
    events = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event_type", "value"])
    tickets = events.sample(60, random_state=seed)[["customer_id", "timestamp"]]
    tickets = tickets.rename(columns={"timestamp": "opened_at"})
    tickets["category"] = "complaint"
    customers.to_csv(folder / "customers.csv", index=False)
    events.to_csv(folder / "events.csv", index=False)
    tickets.to_csv(folder / "tickets.csv", index=False)


def _export_run_is_whole(repo) -> pd.DataFrame:
    """What any run on the export must show: its customers scored with reasons, labels, and its own columns."""
    scored = pd.read_csv(repo / "data/scored/at_risk_customers.csv", encoding="utf-8-sig")
    assert scored["customer_id"].str.startswith("S").all() and len(scored) > 50
    assert scored["reason_1"].str.len().gt(0).mean() > 0.5
    metrics = json.loads((repo / "data/metrics/metrics.json").read_text())
    assert metrics["n_test"] > 50 and 0 <= metrics["roc_auc"] <= 1
    report = json.loads((repo / "data/interim/validation_report.json").read_text())
    assert report["tables"]["events"]["rows_rejected"] == 0
    labels = pd.read_parquet(repo / "data/labels/labels.parquet")
    assert labels["label"].sum() > 0
    # the header with a space reached the model as a feature, and reads back as words
    meta = json.loads((repo / "data/models/model_meta.json").read_text())
    assert "price_plan" in meta["features"] and "price_plan" in meta["categorical"]
    dictionary = pd.read_csv(repo / "data/features/feature_dictionary.csv")
    assert "Customer attribute 'price_plan'" in dictionary.set_index("feature").loc["price_plan", "meaning"]
    return scored


def test_own_csv_export_with_churn_dates_runs_end_to_end(tmp_path):
    """The export in churn_date mode on a fresh copy; inactivity mode runs in the switching test below."""
    repo = copy_repo(tmp_path / "repo")
    write_export(repo / "data/external/shop", with_churn_date=True)
    set_params(repo, data__source="dir", data__raw_dir="data/external/shop", label__mode="churn_date",
               label__horizon_days=30, cutoffs__first="2024-03-31")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "own data")
    dvc(repo, "repro")
    _export_run_is_whole(repo)
    assert not (repo / "data/raw/customers.parquet").exists(), "the synthetic generator ran on a dir source"


def test_switching_from_the_built_in_data_to_an_export_scores_with_the_runs_own_model(tmp_path):
    """`make run` on the built-in data, then a retailer's export in inactivity mode whose model fails the gate.

    The champion was trained on the synthetic world: its features do not exist in the export, so it must not
    score it. The run's own model scores instead, and the scored list, the registry entry and the report say so.
    """
    repo = copy_repo(tmp_path / "repo")
    set_params(repo, generate__n_customers=800)
    git(repo, "commit", "-qam", "built-in data, tiny")
    dvc(repo, "repro")
    assert json.loads((repo / "data/models/registry.json").read_text())["alias"] == "champion"

    write_export(repo / "data/external/shop", with_churn_date=False)
    set_params(repo, data__source="dir", data__raw_dir="data/external/shop", label__mode="inactivity",
               label__horizon_days=30, cutoffs__first="2024-03-31", evaluate__gate_margin=0.9)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "own data")
    dvc(repo, "repro")
    scored = _export_run_is_whole(repo)
    registry = json.loads((repo / "data/models/registry.json").read_text())
    assert registry["alias"] == "challenger" and registry["version"] == "2"
    assert registry["scoring"]["own_model"] and registry["scoring"]["warning"]
    assert "trained on other data" in registry["scoring"]["note"]
    assert scored["model_version"].str.startswith("2 (this run's model").all()
    assert "champion v1 cannot score this data" in scored["model_version"].iloc[0]
    report = (repo / "data/reports/retention_report.html").read_text(encoding="utf-8")
    assert 'id="model-warning"' in report and "trained on other data" in report
