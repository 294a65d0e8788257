"""An export whose churn dates run past its last event: strict `dvc repro` takes the churn date as the as-of date."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.e2e.helpers import copy_repo, dvc, git, set_params
from tests.e2e.test_own_data import write_export

pytestmark = pytest.mark.e2e


def test_churn_dates_the_day_after_the_last_event_run_end_to_end_in_strict_mode(tmp_path):
    repo = copy_repo(tmp_path / "repo")
    shop = repo / "data/external/shop"
    write_export(shop, with_churn_date=True)
    customers = pd.read_csv(shop / "customers.csv", dtype=str, keep_default_na=False)
    events = pd.read_csv(shop / "events.csv", dtype=str)
    last_event = pd.to_datetime(events["timestamp"]).max().date()
    # Ten customers still active at the end of the events left the next day, and the export records it.
    leavers = customers.index[customers["churn_date"] == ""][:10]
    churn_day = (pd.Timestamp(last_event) + pd.Timedelta(days=1)).date().isoformat()
    customers.loc[leavers, "churn_date"] = churn_day
    customers.to_csv(shop / "customers.csv", index=False)
    set_params(repo, data__source="dir", data__raw_dir="data/external/shop", label__mode="churn_date",
               label__horizon_days=30, cutoffs__first="2024-03-31", validate__mode="strict")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "own data, churn dates past the last event")
    dvc(repo, "repro")
    report = json.loads((repo / "data/interim/validation_report.json").read_text())
    assert report["failures"] == [] and report["as_of"] == churn_day
    meta = json.loads((repo / "data/features/features_meta.json").read_text())
    assert meta["as_of"] == churn_day and meta["score_date"] == churn_day   # cutoffs.last null: the as-of date
    assert meta["cutoffs"][-1] == churn_day
    scored = pd.read_csv(repo / "data/scored/at_risk_customers.csv", encoding="utf-8-sig", dtype={"customer_id": str})
    # They had left by the scoring date: not scored; everyone else active then is.
    assert not set(customers.loc[leavers, "customer_id"]) & set(scored["customer_id"])
    active = customers[(customers["churn_date"] == "") | (customers["churn_date"] > churn_day)]
    assert set(scored["customer_id"]) == set(active["customer_id"])
