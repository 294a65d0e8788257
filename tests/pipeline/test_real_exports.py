"""The files real companies export, read into the right values, value by value, or refused with a clear message.

Encodings (CP932 with half-width katakana, Windows-1252 with ``€`` and curly
quotes), time zones, CSV quoting as Excel and pandas write it, headers in
another case or with spaces, ids and event types with stray spaces, float ids
in Parquet, mistyped years, extreme and negative values, personal data, and a
lenient run that would quarantine everything. Each folder is built here, so
its exact bytes are visible in the test.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.contract import ContractError
from pipeline.stages.validate import Options, validate

CUSTOMERS = "customer_id,signup_date,churn_date,plan\nC1,2024-01-01,,basic\nC2,2024-01-10,2024-01-11,pro\n"
EVENTS = ("customer_id,timestamp,event_type,value\nC1,2024-01-02 10:00:00,login,1\n"
          "C2,2024-01-11 09:00:00,session,12.5\n")
TODAY = dt.date(2026, 12, 1)


def folder(tmp_path: Path, **files: str | bytes | pa.Table) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    tables = {"customers.csv": CUSTOMERS, "events.csv": EVENTS}
    for name in files:
        tables.pop(name.replace("_", ".").rsplit(".", 1)[0] + ".csv", None)
    for name, content in {**tables, **{k.replace("_csv", ".csv").replace("_parquet", ".parquet"): v
                                       for k, v in files.items()}}.items():
        path = raw / name
        if isinstance(content, pa.Table):
            pq.write_table(content, path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return raw


def run(tmp_path: Path, raw: Path, mode: str = "strict", as_of: dt.date | None = None, **options) -> dict:
    out = tmp_path / f"out-{mode}"
    return validate(raw, out / "validated", out / "rejected", out / "report.json", mode, as_of,
                    Options(today=TODAY, **options))


def validated(tmp_path: Path, table: str, mode: str = "strict") -> pd.DataFrame:
    return pd.read_parquet(tmp_path / f"out-{mode}" / "validated" / f"{table}.parquet")


# --------------------------------------------------------------------------- encodings

JAPANESE = "customer_id,signup_date,plan,name\nC1,2024-01-01,ﾌﾟﾚﾐｱﾑ,山田太郎\nC2,2024-01-10,ベーシック,ｽｽﾞｷ\n"
WESTERN = ("customer_id,signup_date,plan,note\nC1,2024-01-01,“gold”,€19 – monthly\n"
           "C2,2024-01-10,basic,O’Brien’s plan\n")


def test_cp932_from_japanese_excel_is_read_exactly(tmp_path):
    report = run(tmp_path, folder(tmp_path, customers_csv=JAPANESE.encode("cp932")))
    assert report["tables"]["customers"]["encoding"] == "cp932"
    customers = validated(tmp_path, "customers")
    assert customers["plan"].tolist() == ["ﾌﾟﾚﾐｱﾑ", "ベーシック"] and customers["name"].tolist() == ["山田太郎", "ｽｽﾞｷ"]


def test_windows_1252_from_western_excel_is_read_exactly(tmp_path):
    report = run(tmp_path, folder(tmp_path, customers_csv=WESTERN.encode("cp1252")))
    assert report["tables"]["customers"]["encoding"] == "cp1252"
    customers = validated(tmp_path, "customers")
    assert customers["plan"].tolist() == ["“gold”", "basic"]
    assert customers["note"].tolist() == ["€19 – monthly", "O’Brien’s plan"]


def test_an_encoding_that_cannot_be_told_stops_and_asks_for_the_setting(tmp_path):
    ambiguous = "customer_id,signup_date,plan\nC1,2024-01-01,ｱ\nC2,2024-01-10,ｲ\n".encode("cp932")
    raw = folder(tmp_path, customers_csv=ambiguous)
    with pytest.raises(ContractError, match=r"customers\.csv: not valid UTF-8, and its encoding cannot be told.*"
                                            r"set data\.encoding"):
        run(tmp_path, raw)
    run(tmp_path, raw, encoding="cp932")  # named, it reads as the user says
    assert validated(tmp_path, "customers")["plan"].tolist() == ["ｱ", "ｲ"]


def test_a_named_encoding_that_does_not_fit_the_file_is_an_error_naming_the_line(tmp_path):
    raw = folder(tmp_path, customers_csv=JAPANESE.encode("cp932"))
    with pytest.raises(ContractError, match=r"customers\.csv: line 2 .* is not valid utf-8 \(data\.encoding\)"):
        run(tmp_path, raw, encoding="utf-8")


# --------------------------------------------------------------------------- time zones

OFFSETS = ("customer_id,timestamp,event_type,value\n"
           "C1,2024-01-02T10:00:00+09:00,login,1\n"
           "C1,2024-01-02T10:00:00Z,login,1\n"
           "C2,2024-01-11 10:00:00-05:00,login,1\n"
           "C2,2024-01-11T23:30:00,login,1\n")


@pytest.mark.parametrize("zone, expected", [
    ("UTC", ["2024-01-02 01:00:00", "2024-01-02 10:00:00", "2024-01-11 15:00:00", "2024-01-11 23:30:00"]),
    ("Asia/Tokyo", ["2024-01-02 10:00:00", "2024-01-02 19:00:00", "2024-01-12 00:00:00", "2024-01-11 23:30:00"]),
])
def test_offsets_are_converted_to_the_data_time_zone(tmp_path, zone, expected):
    run(tmp_path, folder(tmp_path, events_csv=OFFSETS), timezone=zone)
    assert validated(tmp_path, "events")["timestamp"].astype(str).tolist() == expected


def test_the_result_does_not_depend_on_the_machine_time_zone(tmp_path, monkeypatch):
    raw = folder(tmp_path, events_csv=OFFSETS)
    results = []
    for machine in ("UTC", "Asia/Tokyo", "America/New_York"):
        monkeypatch.setenv("TZ", machine)
        time.tzset()
        run(tmp_path / machine, raw)
        results.append(pd.read_parquet(tmp_path / machine / "out-strict/validated/events.parquet"))
    monkeypatch.delenv("TZ")
    time.tzset()
    for other in results[1:]:
        pd.testing.assert_frame_equal(results[0], other)


def test_time_zone_aware_parquet_is_converted(tmp_path):
    stamps = pd.to_datetime(["2024-01-02 10:00:00", "2024-01-11 09:00:00"]).tz_localize("Asia/Tokyo")
    events = pa.table({"customer_id": ["C1", "C2"], "timestamp": pa.array(stamps), "event_type": ["login", "login"]})
    run(tmp_path, folder(tmp_path, events_parquet=events))
    assert validated(tmp_path, "events")["timestamp"].astype(str).tolist() == ["2024-01-02 01:00:00",
                                                                               "2024-01-11 00:00:00"]


# --------------------------------------------------------------------------- quoting and delimiters

AWKWARD = pd.DataFrame({
    "customer_id": ["C1", "C2", "C3", "C4"],
    "signup_date": ["2024-01-01"] * 4,
    "note": ['He said "hi"', "a, b, c", "line one\nline two", "pipe | and 'quote'"],
    "plan": ["basic", "pro", "x|y", "it's"],
})


def _excel_csv(frame: pd.DataFrame, delimiter: str = ",") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, dialect="excel", delimiter=delimiter)  # CRLF line ends, minimal quoting
    writer.writerow(frame.columns)
    writer.writerows(frame.values.tolist())
    return buf.getvalue()


@pytest.mark.parametrize("writer", ["pandas", "excel", "excel_semicolon", "pipe"])
def test_quoted_fields_keep_their_values_and_no_column_shifts(tmp_path, writer):
    text = {"pandas": AWKWARD.to_csv(index=False), "excel": _excel_csv(AWKWARD),
            "excel_semicolon": _excel_csv(AWKWARD, ";"), "pipe": _excel_csv(AWKWARD, "|")}[writer]
    events = "customer_id,timestamp,event_type\n" + "".join(f"C{i},2024-01-02 10:00:00,login\n" for i in range(1, 5))
    report = run(tmp_path, folder(tmp_path, customers_csv=text, events_csv=events))
    assert report["tables"]["customers"]["delimiter"] == {"pandas": ",", "excel": ",", "excel_semicolon": ";",
                                                          "pipe": "|"}[writer]
    customers = validated(tmp_path, "customers")
    assert customers["note"].tolist() == AWKWARD["note"].tolist()
    assert customers["plan"].tolist() == AWKWARD["plan"].tolist()


def test_a_row_with_more_fields_than_the_header_is_an_error_not_a_dropped_value(tmp_path):
    raw = folder(tmp_path, events_csv=EVENTS + "C1,2024-01-03 10:00:00,login,1,extra\n")
    for mode in ("strict", "lenient"):
        with pytest.raises(ContractError, match=r"events\.csv: line 4 does not fit the header.*4 fields"):
            run(tmp_path, raw, mode)


# --------------------------------------------------------------------------- headers

def test_headers_in_another_case_or_with_spaces_are_matched(tmp_path):
    customers = "Customer_ID,Signup Date,Churn_Date,price plan\nC1,2024-01-01,,gold\nC2,2024-01-10,2024-01-11,basic\n"
    events = "CUSTOMER_ID,Timestamp,Event Type,Value\nC1,2024-01-02 10:00:00,login,3\nC2,2024-01-11 09:00:00,login,7\n"
    tickets = ("customer_id,opened_at,category,Resolved_At,Satisfaction\n"
               "C1,2024-01-05 10:00:00,billing,2024-01-06 11:00:00,4\n")
    report = run(tmp_path, folder(tmp_path, customers_csv=customers, events_csv=events, tickets_csv=tickets))
    assert report["failures"] == []
    assert validated(tmp_path, "events")["value"].tolist() == [3.0, 7.0]       # not the default 1.0
    assert validated(tmp_path, "tickets")["resolved_at"].astype(str).tolist() == ["2024-01-06 11:00:00"]
    customers = validated(tmp_path, "customers")
    assert customers["churn_date"].astype(str).tolist()[1] == "2024-01-11"
    assert customers["price_plan"].tolist() == ["gold", "basic"]
    manifest = json.loads((tmp_path / "out-strict/validated/manifest.json").read_text())
    assert manifest["attributes"] == ["price_plan"]


@pytest.mark.parametrize("header, message", [
    ("customer_id,signup_date,plan,plan", r"'plan' and 'plan' both mean column 'plan'"),
    ("customer_id,signup_date,Plan,plan", r"'Plan' and 'plan' both mean column 'plan'"),
    ("customer_id,Signup Date,signup_date,plan", r"'Signup Date' and 'signup_date' both mean column 'signup_date'"),
])
def test_duplicate_headers_are_an_error(tmp_path, header, message):
    raw = folder(tmp_path, customers_csv=header + "\nC1,2024-01-01,a,b\n")
    with pytest.raises(ContractError, match=message):
        run(tmp_path, raw)


def test_event_columns_outside_the_contract_are_reported_as_ignored(tmp_path, caplog):
    events = ("customer_id,timestamp,event_type,channel\n"
              "C1,2024-01-02 10:00:00,login,web\nC2,2024-01-11 09:00:00,login,app\n")
    report = run(tmp_path, folder(tmp_path, events_csv=events))
    assert report["tables"]["events"]["ignored_columns"] == ["channel"]
    assert "column 'channel' is not part of table 'events' and is ignored" in caplog.text


# --------------------------------------------------------------------------- ids and categories

def test_stray_spaces_in_ids_and_event_types_are_trimmed(tmp_path):
    customers = "customer_id,signup_date\nC1 ,2024-01-01\n\u00a0C2,2024-01-10\n"
    events = ("customer_id,timestamp,event_type\n C1,2024-01-02 10:00:00,login \nC1,2024-01-03 10:00:00,login\n"
              "C2\t,2024-01-11 09:00:00, Login\n")
    run(tmp_path, folder(tmp_path, customers_csv=customers, events_csv=events))
    assert validated(tmp_path, "customers")["customer_id"].tolist() == ["C1", "C2"]
    events = validated(tmp_path, "events")
    assert events["customer_id"].tolist() == ["C1", "C1", "C2"] and set(events["event_type"]) == {"login"}


def test_numeric_ids_written_as_floats_in_parquet_match_integer_ids(tmp_path):
    customers = pa.table({"customer_id": pa.array([1, 2], pa.int64()),
                          "signup_date": pa.array([dt.date(2024, 1, 1), dt.date(2024, 1, 10)])})
    events = pa.table({"customer_id": pa.array([1.0, 2.0]),
                       "timestamp": pa.array(pd.to_datetime(["2024-01-02 10:00", "2024-01-11 09:00"])),
                       "event_type": ["login", "login"]})
    report = run(tmp_path, folder(tmp_path, customers_parquet=customers, events_parquet=events))
    assert report["failures"] == []
    assert validated(tmp_path, "events")["customer_id"].tolist() == ["1", "2"]


def test_a_fractional_float_id_is_a_type_error(tmp_path):
    events = pa.table({"customer_id": pa.array([1.0, 1.5]),
                       "timestamp": pa.array(pd.to_datetime(["2024-01-02 10:00", "2024-01-03 09:00"])),
                       "event_type": ["login", "login"]})
    customers = "customer_id,signup_date\n1,2024-01-01\n"
    with pytest.raises(ContractError, match=r"events\.parquet: column 'customer_id', rule 'type': 1 of 2 rows are not "
                                            r"whole numbers or text"):
        run(tmp_path, folder(tmp_path, customers_csv=customers, events_parquet=events))


def test_ids_made_only_of_whitespace_are_empty(tmp_path):
    raw = folder(tmp_path, events_csv=EVENTS + "   ,2024-01-03 10:00:00,login,1\n")
    with pytest.raises(ContractError,
                       match=r"events\.csv: column 'customer_id', rule 'required': 1 of 3 rows are empty"):
        run(tmp_path, raw)


# --------------------------------------------------------------------------- dates

def test_a_mistyped_year_in_the_future_is_reported_not_made_the_as_of_date(tmp_path):
    raw = folder(tmp_path, events_csv=EVENTS + "C1,2204-01-03 10:00:00,login,1\n")
    with pytest.raises(ContractError) as err:
        run(tmp_path, raw)
    assert ("events.csv: column 'timestamp', rule 'not_in_future': 1 of 3 rows are stamped after today, 2026-12-01 "
            "(a mistyped year?)") in str(err.value)
    report = run(tmp_path, raw, "lenient")
    assert report["as_of"] == "2024-01-11"   # the typo did not move the as-of date
    assert report["tables"]["events"]["rows_rejected"] == 1


def test_a_latest_date_far_after_all_others_stops_and_asks_for_the_as_of(tmp_path):
    raw = folder(tmp_path, events_csv=EVENTS + "C1,2025-06-03 10:00:00,login,1\n")
    with pytest.raises(ContractError, match=r"the latest date in the data, 2025-06-03, is 509 days after every other "
                                            r"date.*set data\.as_of"):
        run(tmp_path, raw)
    report = run(tmp_path, raw, "lenient", as_of=dt.date(2024, 1, 31))
    assert report["tables"]["events"]["rows_rejected"] == 1


def test_a_churn_date_after_the_as_of_date_is_not_accepted(tmp_path):
    customers = CUSTOMERS.replace("2024-01-11,pro", "2024-02-15,pro")  # notice given, not left yet at the extract
    with pytest.raises(ContractError, match=r"customers\.csv: column 'churn_date', rule 'churn_not_after_as_of': "
                                            r"1 of 2 rows have a churn_date after the data's as-of date"):
        run(tmp_path, folder(tmp_path, customers_csv=customers), as_of=dt.date(2024, 1, 31))


# --------------------------------------------------------------------------- values

def test_extreme_values_are_refused_before_they_crash_featurize(tmp_path):
    raw = folder(tmp_path, events_csv=EVENTS + "C1,2024-01-03 10:00:00,session,1e308\n"
                                               "C1,2024-01-04 10:00:00,session,-2e13\n")
    with pytest.raises(ContractError, match=r"column 'value', rule 'range': 2 of 4 rows are beyond ±1,000,000,000,000"):
        run(tmp_path, raw)


def test_negative_values_only_for_event_types_declared_signed(tmp_path):
    raw = folder(tmp_path, events_csv=EVENTS + "C1,2024-01-03 10:00:00,refund,-25\n")
    with pytest.raises(ContractError, match=r"column 'value', rule 'not_negative': 1 of 3 rows are negative.*"
                                            r"validate\.signed_event_types"):
        run(tmp_path, raw)
    run(tmp_path, raw, signed_event_types=("Refund",))
    assert validated(tmp_path, "events")["value"].tolist() == [1.0, 12.5, -25.0]


# --------------------------------------------------------------------------- personal data

def test_named_personal_columns_never_enter_the_pipeline(tmp_path):
    customers = "customer_id,signup_date,Email,plan\nC1,2024-01-01,a@x.com,basic\nC2,2024-01-10,b@y.org,pro\n"
    report = run(tmp_path, folder(tmp_path, customers_csv=customers), exclude_columns=("email",))
    assert list(validated(tmp_path, "customers").columns) == ["customer_id", "signup_date", "churn_date", "plan"]
    assert report["tables"]["customers"]["excluded_columns"] == {"Email": "data.exclude_columns"}


def test_columns_that_identify_people_are_left_out_with_a_warning(tmp_path, caplog):
    n = 60
    customers = "customer_id,signup_date,full_name,contact,phone,plan\n" + "".join(
        f"C{i},2024-01-01,Person Number {i},p{i}@mail.example,+81 90-1234-{i:04d},{'basic' if i % 2 else 'pro'}\n"
        for i in range(n))
    events = "customer_id,timestamp,event_type\n" + "".join(f"C{i},2024-01-02 10:00:00,login\n" for i in range(n))
    report = run(tmp_path, folder(tmp_path, customers_csv=customers, events_csv=events))
    assert list(validated(tmp_path, "customers").columns) == ["customer_id", "signup_date", "churn_date", "plan"]
    left_out = report["tables"]["customers"]["excluded_columns"]
    assert set(left_out) == {"full_name", "contact", "phone"}
    assert "e-mail addresses" in left_out["contact"] and "phone numbers" in left_out["phone"]
    assert "every one of its 60 values belongs to one customer" in left_out["full_name"]
    assert "column 'full_name' is left out of the features" in caplog.text
    manifest = (tmp_path / "out-strict/validated/manifest.json").read_text()
    assert "mail.example" not in manifest and "Person Number" not in manifest


# --------------------------------------------------------------------------- lenient mode

def test_a_lenient_run_that_would_quarantine_a_whole_table_stops(tmp_path):
    events = "customer_id,timestamp,event_type\nC9,2024-01-02 10:00:00,login\nC8,2024-01-03 10:00:00,login\n"
    with pytest.raises(ContractError, match=r"events\.csv: every one of its 2 rows breaks a rule \(customer_id: "
                                            r"known_customer\).*leave nothing to model"):
        run(tmp_path, folder(tmp_path, events_csv=events), "lenient")
    assert not (tmp_path / "out-lenient/validated").exists() and not (tmp_path / "out-lenient/rejected").exists()


def test_the_machine_time_zone_env_is_restored():
    assert os.environ.get("TZ") is None or os.environ["TZ"] != "Asia/Tokyo"
