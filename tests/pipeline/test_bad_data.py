"""The bad-data corpus: every broken input gives a clear strict error and a lossless lenient quarantine.

Each case is built here in code (a few lines of CSV, or Parquet written with
pyarrow) so the exact bytes, encodings and schemas are visible in the test.
Strict mode must name the file, the column, the rule and the count of
offending rows. Lenient mode must quarantine exactly those rows: for every
table, kept + rejected == read, and the Parquet files agree with the report.
Inputs the pipeline cannot use at all (a missing column, an empty file, no
folder) stop both modes with one message and leave no output behind.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.contract import ContractError
from pipeline.core import config
from pipeline.stages.validate import Options, validate
from tests.paths import REPO

CUSTOMERS = """customer_id,signup_date,churn_date,name
C1,2024-01-01,,Anna
C2,2024-01-10,2024-02-01,Bob
C3,2024-02-01,,Cleo
"""
EVENTS = """customer_id,timestamp,event_type,value
C1,2024-01-02 10:00:00,login,1
C2,2024-01-11 09:00:00,session,12.5
C3,2024-02-02 08:00:00,login,1
"""
TICKETS = """customer_id,opened_at,category,resolved_at,satisfaction
C1,2024-01-05 10:00:00,billing,2024-01-06 10:00:00,4
"""

Content = str | bytes | Callable[[Path], None]


def events_parquet(**columns: pa.Array) -> Callable[[Path], None]:
    """Write an events Parquet file with exactly the given Arrow columns (no pandas NaN-to-null)."""
    return lambda path: pq.write_table(pa.table(columns), path)


@dataclasses.dataclass(frozen=True)
class Case:
    """One broken input: the files that differ from the good folder and what strict mode must say."""

    id: str
    files: dict[str, Content]
    file: str                      # the file the message names
    column: str
    rule: str
    rows: int                      # offending rows
    read: int                      # rows read from that file
    as_of: dt.date | None = None
    also: tuple[str, ...] = ()     # further rules that fire as a consequence
    whole_table: bool = False      # every row of a required table breaks it: lenient mode stops too


ROW_CASES = [
    Case("text_in_value", {"events.csv": EVENTS + "C1,2024-01-03 10:00:00,session,abc\n"},
         "events.csv", "value", "type", 1, 4),
    Case("date_unknown_format", {"customers.csv": CUSTOMERS + "C4,31/12/2023,,Dan\n"},
         "customers.csv", "signup_date", "type", 1, 4),
    Case("timestamp_unknown_format", {"events.csv": EVENTS + "C1,03/01/2024 10:00,login,1\n"},
         "events.csv", "timestamp", "type", 1, 4),
    Case("duplicate_customer_ids", {"customers.csv": CUSTOMERS + "C1,2024-01-01,,Anna again\n"},
         "customers.csv", "customer_id", "unique", 2, 4, also=("customer_rejected",)),
    Case("events_unknown_customer", {"events.csv": EVENTS + "C9,2024-01-03 10:00:00,login,1\n"},
         "events.csv", "customer_id", "known_customer", 1, 4),
    Case("events_before_signup", {"events.csv": EVENTS + "C3,2024-01-31 23:59:59,login,1\n"},
         "events.csv", "timestamp", "not_before_signup", 1, 4),
    Case("events_after_as_of", {"events.csv": EVENTS + "C1,2024-03-16 00:00:00,login,1\n"},
         "events.csv", "timestamp", "not_after_as_of", 1, 4, as_of=dt.date(2024, 3, 15)),
    Case("churn_before_signup", {"customers.csv": CUSTOMERS + "C4,2024-02-01,2024-01-31,Dan\n"},
         "customers.csv", "churn_date", "churn_not_before_signup", 1, 4),
    Case("satisfaction_0_and_6", {"tickets.csv": TICKETS + "C1,2024-01-07 10:00:00,billing,,0\n"
                                                         "C2,2024-01-12 10:00:00,outage,,6\n"},
         "tickets.csv", "satisfaction", "range_1_5", 2, 3),
    Case("nan_inf_csv", {"events.csv": EVENTS + "C1,2024-01-03 10:00:00,session,NaN\n"
                                                "C1,2024-01-04 10:00:00,session,inf\n"
                                                "C1,2024-01-05 10:00:00,session,-Infinity\n"},
         "events.csv", "value", "finite", 3, 6),
    Case("nan_inf_parquet", {"events.parquet": events_parquet(
            customer_id=pa.array(["C1", "C1", "C1"]),
            timestamp=pa.array(pd.to_datetime(["2024-01-02 10:00", "2024-01-03 10:00", "2024-01-04 10:00"])),
            event_type=pa.array(["login", "session", "session"]),
            value=pa.array([1.0, float("nan"), float("inf")], from_pandas=False))},
         "events.parquet", "value", "finite", 2, 3),
    Case("parquet_timestamp_as_int", {"events.parquet": events_parquet(
            customer_id=pa.array(["C1", "C2"]), timestamp=pa.array([1704189600, 1704963600], pa.int64()),
            event_type=pa.array(["login", "login"]))},
         "events.parquet", "timestamp", "type", 2, 2, whole_table=True),
    Case("parquet_value_as_text", {"events.parquet": events_parquet(
            customer_id=pa.array(["C1", "C2"]),
            timestamp=pa.array(pd.to_datetime(["2024-01-02 10:00", "2024-01-11 09:00"])),
            event_type=pa.array(["login", "session"]), value=pa.array(["1", "twelve"]))},
         "events.parquet", "value", "type", 1, 2),
]


def make_raw(folder: Path, files: dict[str, Content]) -> Path:
    """The good folder (customers, events, tickets as CSV) with ``files`` replacing or adding tables."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {"customers.csv": CUSTOMERS, "events.csv": EVENTS, "tickets.csv": TICKETS}
    for name in files:
        tables.pop(Path(name).stem + ".csv", None)
    for name, content in {**tables, **files}.items():
        path = folder / name
        if callable(content):
            content(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def run(tmp_path: Path, raw: Path, mode: str, as_of: dt.date | None = None, max_rejected_share: float = 0.5) -> dict:
    out = tmp_path / f"out-{mode}"
    return validate(raw, out / "validated", out / "rejected", out / "report.json", mode, as_of,
                    Options(max_rejected_share=max_rejected_share))


def outputs(tmp_path: Path, mode: str) -> list[Path]:
    out = tmp_path / f"out-{mode}"
    return [p for p in (out / "validated", out / "rejected", out / "report.json") if p.exists()]


def test_good_folder_passes_strict(tmp_path):
    report = run(tmp_path, make_raw(tmp_path / "raw", {}), "strict")
    assert report["failures"] == []
    assert {n: t["rows_kept"] for n, t in report["tables"].items()} == {"customers": 3, "events": 3, "tickets": 1}


@pytest.mark.parametrize("case", ROW_CASES, ids=lambda c: c.id)
def test_strict_names_file_column_rule_and_count(tmp_path, case):
    raw = make_raw(tmp_path / "raw", case.files)
    with pytest.raises(ContractError) as err:
        run(tmp_path, raw, "strict", case.as_of)
    msg = str(err.value)
    expected = f"{raw / case.file}: column '{case.column}', rule '{case.rule}': {case.rows:,} of {case.read:,} rows"
    assert expected in msg, msg
    for rule in case.also:
        assert f"rule '{rule}'" in msg, msg
    assert "nothing written downstream" in msg
    assert outputs(tmp_path, "strict") == [], "strict mode must leave no output"


@pytest.mark.parametrize("case", [c for c in ROW_CASES if c.whole_table], ids=lambda c: c.id)
def test_lenient_stops_when_a_whole_required_table_would_be_quarantined(tmp_path, case):
    raw = make_raw(tmp_path / "raw", case.files)
    with pytest.raises(ContractError, match=rf"{case.file}: every one of its {case.read} rows breaks a rule "
                                            rf"\({case.column}: {case.rule}\).*leave nothing to model"):
        run(tmp_path, raw, "lenient", case.as_of)
    assert outputs(tmp_path, "lenient") == []


@pytest.mark.parametrize("case", [c for c in ROW_CASES if not c.whole_table], ids=lambda c: c.id)
def test_lenient_quarantines_with_nothing_lost(tmp_path, case):
    raw = make_raw(tmp_path / "raw", case.files)
    if case.rows / case.read > 0.5:   # most of a tiny table: the default validate.max_rejected_share stops first
        with pytest.raises(ContractError, match=rf"{case.file}: lenient mode would quarantine .* more than "
                                                r"validate\.max_rejected_share 0\.5"):
            run(tmp_path, raw, "lenient", case.as_of)
        assert outputs(tmp_path, "lenient") == []
    report = run(tmp_path, raw, "lenient", case.as_of, max_rejected_share=1.0)
    out = tmp_path / "out-lenient"
    table = Path(case.file).stem
    assert report["tables"][table]["rows_rejected"] >= case.rows
    assert any(f["rule"] == case.rule and f["rows"] == case.rows and f["column"] == case.column
               for f in report["failures"]), report["failures"]
    for name, t in report["tables"].items():
        assert t["rows_kept"] + t["rows_rejected"] == t["rows_read"], (name, t)
        assert len(pd.read_parquet(out / "validated" / f"{name}.parquet")) == t["rows_kept"], name
        rejected_path = out / "rejected" / f"{name}.parquet"
        assert (len(pd.read_parquet(rejected_path)) if rejected_path.exists() else 0) == t["rows_rejected"], name
    reasons = pd.read_parquet(out / "rejected" / f"{table}.parquet")["reason"]
    assert reasons.str.contains(f"{case.column}:{case.rule}", regex=False).sum() == case.rows
    counts = json.loads((out / "rejected" / "rejected_counts.json").read_text())
    assert counts == {n: t["rows_rejected"] for n, t in report["tables"].items()}


def test_events_of_a_rejected_customer_say_so(tmp_path):
    """An event whose customer row was rejected is not an 'unknown customer'."""
    customers = CUSTOMERS.replace("C3,2024-02-01,,", "C3,2024-02-01,2024-01-01,")
    raw = make_raw(tmp_path / "raw", {"customers.csv": customers})
    report = run(tmp_path, raw, "lenient")
    rules = {(f["table"], f["rule"]): f["rows"] for f in report["failures"]}
    assert rules == {("customers", "churn_not_before_signup"): 1, ("events", "customer_rejected"): 1}
    reasons = pd.read_parquet(tmp_path / "out-lenient/rejected/events.parquet")
    assert reasons[["customer_id", "reason"]].values.tolist() == [["C3", "customer_id:customer_rejected"]]
    with pytest.raises(ContractError) as err:
        run(tmp_path, raw, "strict")
    assert ("events.csv: column 'customer_id', rule 'customer_rejected': 1 of 3 rows belong to a customer "
            "whose own row was rejected") in str(err.value)
    assert "known_customer" not in str(err.value)


STRUCTURAL = [
    ("missing_required_column", {"customers.csv": "customer_id,name\nC1,Anna\n"},
     r"customers\.csv: missing required column\(s\) signup_date in table 'customers' \(found: customer_id, name\)"),
    ("parquet_without_customer_id", {"events.parquet": events_parquet(
        timestamp=pa.array(pd.to_datetime(["2024-01-02 10:00"])), event_type=pa.array(["login"]))},
     r"events\.parquet: missing required column\(s\) customer_id in table 'events'"),
    ("events_header_only", {"events.csv": "customer_id,timestamp,event_type,value\n"},
     r"events\.csv: table 'events' has a header but no rows"),
    ("events_zero_bytes", {"events.csv": b""}, r"events\.csv: file is empty \(0 bytes\)"),
    ("customers_zero_bytes", {"customers.csv": b""}, r"customers\.csv: file is empty \(0 bytes\)"),
    ("two_files_for_one_table", {"events.parquet": events_parquet(
        customer_id=pa.array(["C1"]), timestamp=pa.array(pd.to_datetime(["2024-01-02"])),
        event_type=pa.array(["login"])), "events.csv": EVENTS},
     r"both events\.parquet and events\.csv exist for table 'events'"),
]


@pytest.mark.parametrize("mode", ["strict", "lenient"])
@pytest.mark.parametrize(("files", "pattern"), [c[1:] for c in STRUCTURAL], ids=[c[0] for c in STRUCTURAL])
def test_unusable_input_stops_both_modes_and_writes_nothing(tmp_path, files, pattern, mode):
    raw = make_raw(tmp_path / "raw", files)
    with pytest.raises(ContractError, match=pattern):
        run(tmp_path, raw, mode)
    assert outputs(tmp_path, mode) == []


@pytest.mark.parametrize("mode", ["strict", "lenient"])
def test_raw_folder_that_does_not_exist(tmp_path, mode):
    with pytest.raises(ContractError, match=r"nope: raw data folder does not exist \(set data.raw_dir"):
        run(tmp_path, tmp_path / "nope", mode)
    assert outputs(tmp_path, mode) == []


UMLAUT = CUSTOMERS.replace("Anna", "Müller").replace("Bob", "Bøb")
READABLE = [
    ("utf8_with_bom", {"customers.csv": ("\ufeff" + UMLAUT).encode("utf-8")}, "utf-8"),
    ("latin1", {"customers.csv": UMLAUT.encode("latin-1")}, "latin-1"),
    ("semicolons", {"customers.csv": UMLAUT.replace(",", ";"), "events.csv": EVENTS.replace(",", ";"),
                    "tickets.csv": TICKETS.replace(",", ";")}, "utf-8"),
    ("excel_bom_semicolons", {"customers.csv": ("\ufeff" + UMLAUT.replace(",", ";")).encode("utf-8")}, "utf-8"),
    ("latin1_semicolons", {"customers.csv": UMLAUT.replace(",", ";").encode("latin-1")}, "latin-1"),
    ("crlf_line_ends", {"customers.csv": UMLAUT.replace("\n", "\r\n")}, "utf-8"),
]


@pytest.mark.parametrize(("files", "encoding"), [c[1:] for c in READABLE], ids=[c[0] for c in READABLE])
def test_encodings_and_delimiters_read_correctly(tmp_path, files, encoding, caplog):
    raw = make_raw(tmp_path / "raw", files)
    report = run(tmp_path, raw, "strict")
    assert report["failures"] == []
    assert report["tables"]["customers"]["encoding"] == encoding
    assert ("reading it as latin-1" in caplog.text) == (encoding == "latin-1")
    customers = pd.read_parquet(tmp_path / "out-strict/validated/customers.parquet")
    assert list(customers.columns) == ["customer_id", "signup_date", "churn_date", "name"]
    assert customers["customer_id"].tolist() == ["C1", "C2", "C3"]
    assert customers["name"].tolist() == ["Müller", "Bøb", "Cleo"]
    assert customers["churn_date"].astype(str).tolist()[1] == "2024-02-01"
    events = pd.read_parquet(tmp_path / "out-strict/validated/events.parquet")
    assert events["value"].tolist() == [1.0, 12.5, 1.0]


def test_latin1_byte_late_in_a_long_file_is_found(tmp_path):
    """The encoding check reads the whole file, not a sample: one accented city at line 30,000.

    (A column of names, one per customer, would be left out as personal data: test_real_exports.py.)
    """
    rows = "".join(f"C{i},2024-01-01,,Berlin\n" for i in range(4, 30_000))
    text = CUSTOMERS.replace(",name", ",city") + rows + "C30000,2024-01-01,,Düsseldorf\n"
    raw = make_raw(tmp_path / "raw", {"customers.csv": text.encode("latin-1")})
    report = run(tmp_path, raw, "strict")
    assert report["tables"]["customers"]["encoding"] == "latin-1"
    customers = pd.read_parquet(tmp_path / "out-strict/validated/customers.parquet")
    assert customers["city"].iloc[-1] == "Düsseldorf"


def test_failed_strict_run_removes_an_earlier_good_output(tmp_path):
    """A stale validated/ folder from a good run must not survive a failing run and look fresh."""
    good = make_raw(tmp_path / "good", {})
    run(tmp_path, good, "strict")
    assert len(outputs(tmp_path, "strict")) == 3
    bad = make_raw(tmp_path / "bad", {"events.csv": EVENTS + "C9,2024-01-03 10:00:00,login,1\n"})
    with pytest.raises(ContractError):
        run(tmp_path, bad, "strict")
    assert outputs(tmp_path, "strict") == []
    assert not list((tmp_path / "out-strict").glob(".*.tmp")), "a temporary folder was left behind"


def _label_inputs(tmp_path: Path, horizon_days: int) -> Path:
    (tmp_path / "data/features").mkdir(parents=True)
    meta = {"as_of": "2024-03-31", "score_date": "2024-03-31", "cutoffs": ["2024-01-31", "2024-02-29", "2024-03-31"]}
    (tmp_path / "data/features/features_meta.json").write_text(json.dumps(meta))
    (tmp_path / "data/labels").mkdir(parents=True)
    (tmp_path / "data/labels/labels.parquet").write_bytes(b"stale")
    params = tmp_path / "params.yaml"
    params.write_text(f"label:\n  mode: churn_date\n  horizon_days: {horizon_days}\n")
    return params


def test_label_horizon_longer_than_the_data(tmp_path):
    from pipeline.stages import label

    params = _label_inputs(tmp_path, 120)
    with pytest.raises(config.ParamsError,
                       match=r"label.horizon_days 120 is longer than the data allows.*data ends 2024-03-31"):
        label.main(params, tmp_path / "data/interim/validated", tmp_path / "data/features/features_meta.json",
                   tmp_path / "data/labels")
    assert not (tmp_path / "data/labels/labels.parquet").exists(), "a stale labels file survived the failure"


def test_label_horizon_longer_than_the_data_through_the_cli(tmp_path):
    _label_inputs(tmp_path, 120)
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "400"}
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "label", "--params", "params.yaml"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    out = " ".join((proc.stdout + proc.stderr).split())
    assert "label failed: label.horizon_days 120 is longer than the data allows" in out, out
    assert "Traceback" not in out
