"""The generate stage with data.source telco: tables that validate, and params that label exactly the snapshot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline import config, generate
from pipeline.validate import validate
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
    ({"cutoffs": {"first": "2024-10-31"}}, r"set cutoffs.first: 2024-12-31 .*labels 2024-10-31, 2024-11-30, 2024-12-31"),
])
def test_generate_stage_refuses_params_that_label_more_or_less_than_the_snapshot(tmp_path, overrides, message):
    params = write_params(tmp_path, **overrides)
    with pytest.raises(config.ParamsError, match=message):
        generate.main(params, tmp_path / "raw", tmp_path / "gt")
    assert not (tmp_path / "raw").exists()
