"""Stages on absolute paths in a folder named like ``o'brien data/``: paths never go into SQL text."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from pipeline.stages import featurize, label
from pipeline.stages.validate import validate

CUSTOMERS = """customer_id,signup_date,churn_date,plan,monthly_fee
C1,2024-01-01,,basic,10
C2,2024-01-05,2024-03-10,pro,20
C3,2024-02-01,,basic,10
"""
EVENTS = """customer_id,timestamp,event_type,value
C1,2024-01-02 10:00:00,login,1
C1,2024-02-20 10:00:00,session,12.5
C2,2024-01-31 23:59:59,login,1
C3,2024-03-02 08:00:00,login,1
C3,2024-04-29 08:00:00,login,1
"""
TICKETS = """customer_id,opened_at,category,resolved_at,satisfaction
C1,2024-02-01 10:00:00,complaint,2024-02-02 10:00:00,4
"""


@pytest.fixture
def folder(tmp_path):
    root = (tmp_path / "o'brien data").resolve()
    raw = root / "raw"
    raw.mkdir(parents=True)
    for name, text in (("customers", CUSTOMERS), ("events", EVENTS), ("tickets", TICKETS)):
        (raw / f"{name}.csv").write_text(text, encoding="utf-8")
    params = root / "params.yaml"
    params.write_text(yaml.safe_dump({"cutoffs": {"first": "2024-01-31"}, "label": {"horizon_days": 30},
                                      "featurize": {"windows": [7, 30]}}))
    return root


def test_validate_featurize_and_label_on_a_folder_with_a_quote_and_a_space(folder, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(folder / "tmp spill"))  # DuckDB's spill folder may carry a quote too
    (folder / "tmp spill").mkdir()
    report = validate(folder / "raw", folder / "interim/validated", folder / "interim/rejected",
                      folder / "interim/validation_report.json", "strict", None)
    assert report["tables"]["events"]["rows_kept"] == 5
    meta = featurize.main(folder / "params.yaml", folder / "interim/validated", folder / "features")
    features = pd.read_parquet(folder / "features/features.parquet")
    assert len(features) == sum(meta["rows_per_cutoff"].values()) > 0
    assert "events_login_count_30d" in features.columns
    summary = label.main(folder / "params.yaml", folder / "interim/validated", folder / "features/features_meta.json",
                         folder / "labels")
    assert summary["eligible"].sum() > 0
    labels = pd.read_parquet(folder / "labels/labels.parquet")
    assert set(labels["customer_id"]) <= {"C1", "C2", "C3"} and labels["label"].isin([0, 1]).all()
