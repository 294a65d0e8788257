"""The validate stage on small folders: clear strict errors, lenient quarantine that loses nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from features.contract import ContractError
from pipeline.stages.validate import Options, validate

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


def run(tmp_path: Path, raw: Path, mode: str, max_rejected_share: float = 0.5) -> dict:
    out = tmp_path / "out"
    return validate(raw, out / "validated", out / "rejected", out / "report.json", mode, None,
                    Options(max_rejected_share=max_rejected_share))


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
    with pytest.raises(ContractError, match=r"quarantine 2 of the 3 rows of table 'customers' \(66\.7%\)"):
        run(tmp_path, raw, "lenient")      # validate.max_rejected_share 0.5: most of the customers would be lost
    report = run(tmp_path, raw, "lenient", max_rejected_share=1.0)
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


def test_the_validated_tables_are_the_same_bytes_on_one_thread_or_two(tmp_path, monkeypatch):
    """Rows keep the file's order and row groups a fixed size, whatever DuckDB's parallelism (a 300,000-event
    log: several of DuckDB's row groups, filled by two threads at once)."""
    import datetime as dt

    from features.synthetic.subscription import SyntheticConfig
    from pipeline.stages.generate import write_world

    cfg = SyntheticConfig(n_customers=3000, start_date=dt.date(2023, 1, 1), end_date=dt.date(2024, 12, 31), seed=3,
                          workers=1)
    write_world(tmp_path / "raw", tmp_path / "gt", cfg, [dt.date(2024, 6, 30)], 30)
    raw = pd.read_parquet(tmp_path / "raw/events.parquet")
    raw.to_parquet(tmp_path / "raw/events.parquet", index=False, row_group_size=20_000)  # read by both threads
    files = {}
    for threads in ("1", "2"):
        monkeypatch.setenv("CHURN_DUCKDB_THREADS", threads)
        out = tmp_path / f"threads-{threads}"
        validate(tmp_path / "raw", out / "validated", out / "rejected", out / "report.json", "strict", None)
        files[threads] = {n: (out / "validated" / f"{n}.parquet").read_bytes()
                          for n in ("customers", "events", "tickets")}
    events = pd.read_parquet(tmp_path / "threads-2/validated/events.parquet")
    assert len(events) > 250_000
    assert events["timestamp"].tolist() == raw["timestamp"].tolist(), "the rows keep the file's order"
    for name in files["1"]:
        assert files["1"][name] == files["2"][name], f"{name}.parquet depends on the number of DuckDB threads"
