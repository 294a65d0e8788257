"""The validate stage on small folders: clear strict errors, lenient quarantine that loses nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from features.contract import ContractError
from pipeline.validate import validate

CUSTOMERS = """customer_id,signup_date,churn_date,plan
C1,2024-01-01,,basic
C2,2024-01-05,2024-02-01,pro
C2,2024-01-05,,pro
"""
EVENTS = """customer_id,timestamp,event_type,value
C1,2024-01-02 10:00:00,login,
C1,2024-01-31 23:59:59,login,1
C1,2024-02-03 10:00:00,session,abc
C9,2024-01-03 10:00:00,login,1
"""


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("_csv", ".csv")).write_text(text, encoding="utf-8")
    return folder


def run(tmp_path: Path, raw: Path, mode: str) -> dict:
    out = tmp_path / "out"
    return validate(raw, out / "validated", out / "rejected", out / "report.json", mode, None)


def test_strict_names_file_column_rule_count_and_examples(tmp_path):
    raw = write(tmp_path / "raw", customers_csv=CUSTOMERS, events_csv=EVENTS)
    with pytest.raises(ContractError) as err:
        run(tmp_path, raw, "strict")
    msg = str(err.value)
    assert "customers.csv: column 'customer_id', rule 'unique': 2 of 3 rows" in msg
    assert "events.csv: column 'value', rule 'type': 1 of 4 rows are not a number (lines 4: 'abc')" in msg
    assert "events.csv: column 'customer_id', rule 'known_customer'" in msg
    assert not (tmp_path / "out" / "validated").exists(), "strict mode must write nothing downstream"


def test_lenient_quarantines_and_counts_add_up(tmp_path):
    raw = write(tmp_path / "raw", customers_csv=CUSTOMERS, events_csv=EVENTS)
    report = run(tmp_path, raw, "lenient")
    for name in ("customers", "events"):
        t = report["tables"][name]
        assert t["rows_kept"] + t["rows_rejected"] == t["rows_read"]
    rejected = pd.read_parquet(tmp_path / "out/rejected/events.parquet")
    assert rejected["reason"].str.len().gt(0).all()
    events = pd.read_parquet(tmp_path / "out/validated/events.parquet")
    assert events["value"].tolist() == [1.0, 1.0]           # an empty value is the default weight 1.0
    manifest = json.loads((tmp_path / "out/validated/manifest.json").read_text())
    assert manifest["as_of"] == "2024-02-03" and manifest["attributes"] == ["plan"]


def test_missing_folder_missing_column_and_empty_file(tmp_path):
    with pytest.raises(ContractError, match="does not exist"):
        run(tmp_path, tmp_path / "nope", "strict")
    raw = write(tmp_path / "raw2", customers_csv="customer_id,plan\nC1,basic\n", events_csv=EVENTS)
    with pytest.raises(ContractError, match=r"customers.csv: missing required column\(s\) signup_date"):
        run(tmp_path, raw, "strict")
    raw = write(tmp_path / "raw3", customers_csv=CUSTOMERS, events_csv="")
    with pytest.raises(ContractError, match="events.csv: file is empty"):
        run(tmp_path, raw, "strict")
