"""The measure stage on a tiny folder: results.csv, dvc metrics, MLflow read back, unknown campaigns refused."""

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

from features.contract import ContractError
from pipeline.stages import measure

CUTOFF = dt.date(2024, 11, 30)


@pytest.fixture
def folder(tmp_path, monkeypatch, migrated_store):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    shutil.copy(migrated_store, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({
        "evaluate": {"contact_cost": 2.0, "value_horizon_months": 12},
        "mlflow": {"tracking_uri": uri, "experiment": "churn"}}))
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("churn")
    with mlflow.start_run() as run:
        pass
    (tmp_path / "models").mkdir()
    (tmp_path / "models/mlflow_run.json").write_text(json.dumps({"run_id": run.info.run_id}))
    rng = np.random.default_rng(5)
    n = 3000
    ids = [f"C{i:05d}" for i in range(n)]
    group = np.where(rng.random(n) < 0.2, "holdout", "contact")
    churned = rng.random(n) < np.where(group == "contact", 0.10, 0.16)
    reached = (group == "contact") & (rng.random(n) < 0.8)
    contacts = pd.DataFrame({
        "customer_id": ids, "campaign_id": CUTOFF.isoformat(), "group": group,
        "contacted_at": pd.to_datetime(np.where(reached, "2024-12-02 10:00:00", None)),
        "action_code": rng.choice(["SERVICE_RECOVERY_CALL", "BILLING_REVIEW"], n), "channel": None,
        "assigned_at": pd.NaT, "risk_tier": rng.choice(["high", "medium"], n), "driver_family": None,
        "customer_value": np.nan})
    (tmp_path / "validated").mkdir()
    contacts.to_parquet(tmp_path / "validated/contacts.parquet", index=False)
    labels = pd.DataFrame({"cutoff": CUTOFF, "customer_id": ids[:-10], "label": churned[:-10].astype("int32")})
    labels.to_parquet(tmp_path / "labels.parquet", index=False)
    pd.DataFrame({"cutoff": CUTOFF, "customer_id": ids, "monthly_fee": 10.0}).to_parquet(
        tmp_path / "features.parquet", index=False)
    yield tmp_path
    mlflow.end_run()


def _run(folder: Path) -> pd.DataFrame:
    return measure.main(folder / "params.yaml", folder / "validated", folder / "labels.parquet",
                        folder / "features.parquet", folder / "models", folder / "campaigns/results.csv",
                        folder / "metrics/campaign_metrics.json")


def test_measure_writes_results_metrics_and_mlflow(folder):
    results = _run(folder)
    csv = pd.read_csv(folder / "campaigns/results.csv")
    assert len(csv) == len(results) and set(csv["analysis"]) == {"itt", "contacted_only"}
    assert set(csv["segment"]) == {"overall", "risk_tier", "action"}
    itt = csv[(csv["analysis"] == "itt") & (csv["segment"] == "overall")].iloc[0]
    assert itt["n_contact"] + itt["n_holdout"] == 2990          # the 10 not labelled at the date are left out
    assert itt["difference_lower"] < itt["difference"] < itt["difference_upper"]
    assert itt["cost"] == pytest.approx(2.0 * itt["n_reached"])
    metrics = json.loads((folder / "metrics/campaign_metrics.json").read_text())
    assert metrics["campaigns_measured"] == 1 and metrics["rows_not_labelled"] == 10
    assert metrics["last_campaign"]["difference"] == pytest.approx(itt["difference"], abs=1e-6)
    run_id = json.loads((folder / "models/mlflow_run.json").read_text())["run_id"]
    client = MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
    logged = client.get_run(run_id).data.metrics
    assert logged["campaign_difference"] == pytest.approx(itt["difference"], abs=1e-6)
    assert [a.path for a in client.list_artifacts(run_id, "campaigns")] == ["campaigns/results.csv"]


def test_reruns_are_byte_identical(folder):
    _run(folder)
    first = (folder / "campaigns/results.csv").read_bytes()
    _run(folder)
    assert (folder / "campaigns/results.csv").read_bytes() == first


def test_a_campaign_whose_horizon_has_not_passed_is_waiting(folder):
    contacts = pd.read_parquet(folder / "validated/contacts.parquet")
    contacts["campaign_id"] = "2024-12-31"
    contacts.to_parquet(folder / "validated/contacts.parquet", index=False)
    assert _run(folder).empty
    metrics = json.loads((folder / "metrics/campaign_metrics.json").read_text())
    assert metrics == {"campaigns_measured": 0, "campaigns_waiting": 1, "rows_not_labelled": 0}


def test_an_unknown_campaign_is_an_error_naming_the_rows(folder):
    contacts = pd.read_parquet(folder / "validated/contacts.parquet")
    contacts.loc[:4, "campaign_id"] = "winter-push"
    contacts.to_parquet(folder / "validated/contacts.parquet", index=False)
    with pytest.raises(ContractError, match=r"column 'campaign_id': 5 of 3,000 rows belong to unknown campaigns "
                                            r"\('winter-push'\)"):
        _run(folder)
    assert not (folder / "campaigns/results.csv").exists()


def test_a_contacted_holdout_is_counted_and_kept_in_the_holdout(folder):
    contacts = pd.read_parquet(folder / "validated/contacts.parquet")
    held = contacts.index[contacts["group"] == "holdout"][:7]
    contacts.loc[held, "contacted_at"] = pd.Timestamp("2024-12-03 09:00:00")
    contacts.to_parquet(folder / "validated/contacts.parquet", index=False)
    results = _run(folder)
    metrics = json.loads((folder / "metrics/campaign_metrics.json").read_text())
    assert metrics["holdouts_contacted"] == 7
    itt = results[(results["analysis"] == "itt") & (results["segment"] == "overall")].iloc[0]
    assert itt["n_holdout"] == (contacts["group"] == "holdout").sum() - len(
        set(contacts.loc[contacts["group"] == "holdout", "customer_id"]) & {f"C{i:05d}" for i in range(2990, 3000)})
