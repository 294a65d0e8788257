"""The as-of date reads every date column, churn dates included; typos and an explicit earlier as-of still stop."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from features.contract import ContractError
from pipeline.core import config
from pipeline.stages import label
from pipeline.stages.featurize import resolve_dates
from pipeline.stages.validate import Options, validate

TODAY = dt.date(2026, 12, 1)
# The events end on 2024-02-29; B left on 2024-03-01, the day after the last event, and the export says so.
CUSTOMERS = ("customer_id,signup_date,churn_date\nA,2024-01-01,\nB,2024-01-01,{churn}\nC,2024-01-01,2024-02-10\n")
EVENTS = ("customer_id,timestamp,event_type\nA,2024-01-02 10:00:00,login\nA,2024-02-29 18:00:00,login\n"
          "B,2024-02-20 09:00:00,login\nC,2024-02-01 09:00:00,login\n")


def raw(tmp_path: Path, churn: str = "2024-03-01") -> Path:
    folder = tmp_path / "raw"
    folder.mkdir(exist_ok=True)
    (folder / "customers.csv").write_text(CUSTOMERS.format(churn=churn), encoding="utf-8")
    (folder / "events.csv").write_text(EVENTS, encoding="utf-8")
    return folder


def run(tmp_path: Path, folder: Path, mode: str = "strict", as_of: dt.date | None = None,
        today: dt.date | None = TODAY) -> dict:
    out = tmp_path / "out"
    return validate(folder, out / "validated", out / "rejected", out / "report.json", mode, as_of,
                    Options(today=today))


def test_a_churn_date_after_the_last_event_is_the_as_of_date(tmp_path, caplog):
    report = run(tmp_path, raw(tmp_path))
    assert report["failures"] == [] and report["as_of"] == "2024-03-01"
    assert "days after the last event" not in caplog.text     # one day later is an ordinary extract
    manifest = json.loads((tmp_path / "out/validated/manifest.json").read_text())
    assert manifest["as_of"] == "2024-03-01"
    customers = pd.read_parquet(tmp_path / "out/validated/customers.parquet")
    churn = customers.set_index("customer_id")["churn_date"]
    assert churn.isna().tolist() == [True, False, False]
    assert churn.dropna().astype(str).tolist() == ["2024-03-01", "2024-02-10"]


def test_cutoffs_and_labels_follow_the_as_of_date_read_from_the_churn_dates(tmp_path):
    run(tmp_path, raw(tmp_path))
    as_of = dt.date.fromisoformat(json.loads((tmp_path / "out/validated/manifest.json").read_text())["as_of"])
    cut = config.CutoffParams(first=dt.date(2024, 1, 5), last=None, frequency="days", every_days=28)
    cutoffs, score_date = resolve_dates(cut, as_of, None)
    # cutoffs.last null: the last cutoff and the scoring date are the as-of date, the churn date.
    assert cutoffs == [dt.date(2024, 1, 5), dt.date(2024, 2, 2), dt.date(2024, 3, 1)]
    assert score_date == dt.date(2024, 3, 1)
    meta = tmp_path / "features_meta.json"
    meta.write_text(json.dumps({"as_of": as_of.isoformat(), "score_date": score_date.isoformat(),
                                "cutoffs": [c.isoformat() for c in cutoffs]}))
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"label": {"mode": "churn_date", "horizon_days": 28}}))
    summary = label.main(params, tmp_path / "out/validated", meta, tmp_path / "labels")
    labels = pd.read_parquet(tmp_path / "labels/labels.parquet")
    got = {(r.customer_id, pd.Timestamp(r.cutoff).date().isoformat()): int(r.label) for r in labels.itertuples()}
    # 2024-03-01 has no horizon yet; B's churn on the as-of day falls in (2024-02-02, 2024-03-01].
    assert got == {("A", "2024-01-05"): 0, ("B", "2024-01-05"): 0, ("C", "2024-01-05"): 0,
                   ("A", "2024-02-02"): 0, ("B", "2024-02-02"): 1, ("C", "2024-02-02"): 1}
    assert summary["cutoff"].tolist() == ["2024-01-05", "2024-02-02"]
    # B left on the scoring date: not active then, not scored.
    assert pd.read_parquet(tmp_path / "labels/active_at_score.parquet")["customer_id"].tolist() == ["A"]


def test_a_churn_date_in_2099_is_refused_as_a_mistyped_year(tmp_path):
    folder = raw(tmp_path, churn="2099-03-01")
    with pytest.raises(ContractError) as err:
        run(tmp_path, folder)
    assert ("customers.csv: column 'churn_date', rule 'not_in_future': 1 of 3 rows have a churn_date after today, "
            "2026-12-01 (a mistyped year?)") in str(err.value)
    assert "churn_not_after_as_of" not in str(err.value)   # not "set data.as_of": the date is the problem
    # Without today's cap (a machine clock far ahead), the far-future date still cannot become the as-of date.
    with pytest.raises(ContractError, match=r"the latest date in the data, 2099-03-01, is 27394 days after every "
                                            r"other date \(the next is 2024-02-29; the latest is in "
                                            r"customers\.churn_date\): a mistyped year\?.*set data\.as_of"):
        run(tmp_path, folder, today=None)


def test_a_churn_date_a_year_after_everything_else_stops_even_before_today(tmp_path):
    with pytest.raises(ContractError, match=r"the latest date in the data, 2025-03-01, is 366 days after every "
                                            r"other date \(the next is 2024-02-29; the latest is in "
                                            r"customers\.churn_date\)"):
        run(tmp_path, raw(tmp_path, churn="2025-03-01"))


def test_a_churn_date_after_an_explicit_as_of_is_still_an_error(tmp_path):
    folder = raw(tmp_path)
    with pytest.raises(ContractError, match=r"customers\.csv: column 'churn_date', rule 'churn_not_after_as_of': "
                                            r"1 of 3 rows have a churn_date after the data's as-of date"):
        run(tmp_path, folder, as_of=dt.date(2024, 2, 29))
    report = run(tmp_path, folder, "lenient", as_of=dt.date(2024, 2, 29))
    assert report["as_of"] == "2024-02-29"
    assert report["tables"]["customers"]["rows_rejected"] == 1


def test_a_churn_date_long_after_the_last_event_warns(tmp_path, caplog):
    report = run(tmp_path, raw(tmp_path, churn="2024-04-15"))
    assert report["as_of"] == "2024-04-15"
    assert ("the data's as-of date 2024-04-15 (from customers.churn_date) is 46 days after the last event "
            "(2024-02-29)") in caplog.text
