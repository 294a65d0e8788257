"""The generate stage.

Telco tables that validate with params that label exactly the snapshot; the non-contract world."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.core import config
from pipeline.stages import generate
from pipeline.stages.validate import validate
from tests.paths import REPO, TELCO_CSV

S = dt.date(2024, 12, 31)
H = 30


def write_params(tmp_path: Path, **overrides: dict) -> Path:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["data"].update(source="telco", raw_dir=str(tmp_path / "raw"), as_of="2025-01-30")
    params["telco"]["path"] = str(TELCO_CSV)
    params["cutoffs"].update(first="2024-12-31", last=None)
    params["label"]["horizon_days"] = H
    for section, values in overrides.items():
        params[section].update(values)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_generate_stage_writes_tables_that_validate(tmp_path):
    params = write_params(tmp_path)
    summary = generate.main(params, tmp_path / "raw", tmp_path / "gt")
    assert summary["customers"] == 7043 and summary["churners"] == 1869
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == ["customers.parquet", "events.parquet"]
    out = tmp_path / "out"
    report = validate(tmp_path / "raw", out / "v", out / "r", out / "report.json", "strict", dt.date(2025, 1, 30))
    assert report["failures"] == [] and report["tables"]["customers"]["rows_kept"] == 7043
    manifest = pd.read_json(out / "v/manifest.json", typ="series")
    assert "monthly_fee" in manifest["attributes"] and "contract" in manifest["attributes"]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"data": {"as_of": None}}, r"needs data.as_of: 2025-01-30"),
    ({"cutoffs": {"first": "2024-10-31"}},
     r"set cutoffs.first: 2024-12-31 .*labels 2024-10-31, 2024-11-30, 2024-12-31"),
])
def test_generate_stage_refuses_params_that_label_more_or_less_than_the_snapshot(tmp_path, overrides, message):
    params = write_params(tmp_path, **overrides)
    with pytest.raises(config.ParamsError, match=message):
        generate.main(params, tmp_path / "raw", tmp_path / "gt")
    assert not (tmp_path / "raw").exists()


def _non_contract_params(tmp_path: Path, **label) -> Path:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["generate"].update(kind="non_contract", n_customers=400, start_date="2024-01-01", end_date="2024-06-30")
    params["cutoffs"].update(first="2024-02-29", last=None)
    params["label"].update(mode="inactivity", horizon_days=30, **label)
    params["featurize"]["passive_event_types"] = ["email_open", "price_change"]
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_generate_kind_non_contract_writes_a_retailer_that_validates(tmp_path):
    summary = generate.main(_non_contract_params(tmp_path), tmp_path / "raw", tmp_path / "gt")
    assert summary["n_customers"] == 400 and summary["n_oracle_rows"] > 0
    assert sorted(p.name for p in (tmp_path / "gt").iterdir()) == ["drivers.parquet", "drivers_at_cutoff.parquet",
                                                                  "oracle.parquet"]
    customers = pd.read_parquet(tmp_path / "raw/customers.parquet")
    assert "churn_date" not in customers.columns and customers["customer_id"].str.startswith("R").all()
    out = tmp_path / "out"
    report = validate(tmp_path / "raw", out / "v", out / "r", out / "report.json", "strict", dt.date(2024, 6, 30))
    assert report["failures"] == [] and report["tables"]["customers"]["rows_kept"] == 400


@pytest.mark.parametrize(("change", "message"), [
    ({"label": {"mode": "churn_date"}}, r"writes no churn_date .* set label.mode: inactivity"),
    ({"featurize": {"passive_event_types": ["email_open"]}}, r"price_change events that are not purchases"),
])
def test_generate_kind_non_contract_refuses_params_that_would_label_it_wrongly(tmp_path, change, message):
    path = _non_contract_params(tmp_path)
    params = yaml.safe_load(path.read_text())
    for section, values in change.items():
        params[section].update(values)
    path.write_text(yaml.safe_dump(params))
    with pytest.raises(config.ParamsError, match=message):
        generate.main(path, tmp_path / "raw", tmp_path / "gt")
    assert not (tmp_path / "raw").exists()
