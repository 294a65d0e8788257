"""The label stage on tmp_path: both modes end to end through main(), and customers without churn_date."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.stages import label
from pipeline.stages.validate import validate


def write_stage_inputs(root: Path, mode: str, customers: pd.DataFrame, events: pd.DataFrame) -> tuple[Path, Path, Path]:
    validated = root / "validated"
    validated.mkdir(parents=True)
    customers.to_parquet(validated / "customers.parquet", index=False)
    events.to_parquet(validated / "events.parquet", index=False)
    pd.DataFrame({"customer_id": pd.Series(dtype=str), "opened_at": pd.Series(dtype="datetime64[us]"),
                  "category": pd.Series(dtype=str), "resolved_at": pd.Series(dtype="datetime64[us]"),
                  "satisfaction": pd.Series(dtype=float)}).to_parquet(validated / "tickets.parquet", index=False)
    meta = root / "features_meta.json"
    meta.write_text(json.dumps({"as_of": "2024-03-31", "score_date": "2024-03-31",
                                "cutoffs": ["2024-01-31", "2024-02-29", "2024-03-31"]}))
    params = root / "params.yaml"
    params.write_text(yaml.safe_dump({"label": {"mode": mode, "horizon_days": 30, "min_tenure_days": 0,
                                                "active_lookback_days": 30}}))
    return params, validated, meta


@pytest.fixture
def world() -> tuple[pd.DataFrame, pd.DataFrame]:
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "signup_date": [dt.date(2023, 6, 1)] * 3,
                              "churn_date": pd.Series([None, dt.date(2024, 2, 15), None], dtype="object")})
    events = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "c"],
        "timestamp": pd.to_datetime(["2024-01-20 10:00:00", "2024-02-10 10:00:00", "2024-03-31 10:00:00",
                                     "2024-01-25 10:00:00", "2023-12-01 10:00:00"]),
        "event_type": "purchase", "value": 1.0})
    return customers, events


def test_label_stage_inactivity_mode(tmp_path, world):
    params, validated, meta = write_stage_inputs(tmp_path, "inactivity", *world)
    out = tmp_path / "labels"
    summary = label.main(params, validated, meta, out)
    labels = pd.read_parquet(out / "labels.parquet")
    labels["cutoff"] = pd.to_datetime(labels["cutoff"]).dt.date
    got = {(r.customer_id, r.cutoff.isoformat()): r.label for r in labels.itertuples()}
    # 2024-03-31 has no full horizon; c is never active in the 30-day look-back; b churned on 2024-02-15
    assert got == {("a", "2024-01-31"): 0, ("b", "2024-01-31"): 1, ("a", "2024-02-29"): 1}
    assert summary["eligible"].tolist() == [2, 1] and summary["churned"].tolist() == [1, 1]
    active = pd.read_parquet(out / "active_at_score.parquet")
    assert active["customer_id"].tolist() == ["a"]          # event on 2024-03-31 (after a's horizon); c lapsed


def test_label_stage_churn_date_mode_scores_everyone_active(tmp_path, world):
    params, validated, meta = write_stage_inputs(tmp_path, "churn_date", *world)
    out = tmp_path / "labels"
    label.main(params, validated, meta, out)
    labels = pd.read_parquet(out / "labels.parquet")
    assert labels.groupby("customer_id")["label"].sum().to_dict() == {"a": 0, "b": 1, "c": 0}
    assert pd.read_parquet(out / "active_at_score.parquet")["customer_id"].tolist() == ["a", "c"]


def test_validated_customers_without_churn_date_column_get_null(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "customers.csv").write_text("customer_id,signup_date,segment\nx,2024-01-01,retail\ny,2024-01-05,retail\n")
    (raw / "events.csv").write_text("customer_id,timestamp,event_type\nx,2024-01-20 10:00:00,purchase\n"
                                    "y,2024-02-10 10:00:00,purchase\n")
    validate(raw, tmp_path / "validated", tmp_path / "rejected", tmp_path / "report.json", "strict", None)
    customers = pd.read_parquet(tmp_path / "validated" / "customers.parquet")
    assert customers["churn_date"].isna().all() and len(customers) == 2
