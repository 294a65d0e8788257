"""bench/quality.py's own logic: params overrides, a folder's first cutoff, and the table it prints."""

from __future__ import annotations

import datetime as dt
import importlib.util

import pandas as pd
import pytest

from tests.paths import REPO


@pytest.fixture(scope="module")
def quality():
    spec = importlib.util.spec_from_file_location("bench_quality", REPO / "bench/quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dotted_overrides_reach_nested_params(quality):
    params = quality.set_params({"label": {"mode": "churn_date"}}, {"label.mode": "inactivity", "train.refit": True})
    assert params == {"label": {"mode": "inactivity"}, "train": {"refit": True}}


def test_a_folder_gets_its_label_settings_and_a_first_cutoff_a_horizon_after_its_first_event(quality, tmp_path):
    pd.DataFrame({"customer_id": ["a"], "timestamp": ["2024-01-10 10:00:00"], "event_type": ["purchase"],
                  "value": [1.0]}).to_csv(tmp_path / "events.csv", index=False)
    name, params = quality.folder_params(f"{tmp_path}:inactivity:90")
    assert name == tmp_path.name
    assert params["label.mode"] == "inactivity" and params["label.horizon_days"] == 90
    assert params["cutoffs.first"] == dt.date(2024, 4, 30).isoformat()
    assert quality.folder_params(f"{tmp_path}:churn_date:30:2024-02-29")[1]["cutoffs.first"] == "2024-02-29"
    with pytest.raises(SystemExit, match="expected PATH:MODE:HORIZON"):
        quality.folder_params(str(tmp_path))


def test_the_table_has_every_baseline_and_marks_what_is_unknown(quality):
    metrics = {"roc_auc": 0.8, "n_test": 1234, "top_decile_lift": 3.0, "baseline_logistic_roc_auc": 0.75,
               "best_baseline": "logistic", "best_baseline_roc_auc": 0.75}
    row = quality.row("mine", metrics, 12.3)
    assert row["beats_every_baseline"] is True and row["bgnbd_roc_auc"] is None
    text = quality.table([row])
    assert "| mine | 0.8000 | – | 0.7500 |" in text and "1,234" in text
