"""validate.max_rejected_share: a lenient run that would lose most of a table stops, and says why the ids differ."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.contract import ContractError
from features.ids import unknown_id_cause
from features.raw_files import open_table
from features.staging import stage_table
from pipeline.core.config import ValidateParams
from pipeline.stages.validate import Options, validate

TODAY = dt.date(2026, 12, 1)
# The same three customers: the CSV keeps the leading zeros, the Parquet export stored the ids as floats.
CUSTOMERS = "customer_id,signup_date\n00123,2024-01-01\n0456,2024-01-01\n789,2024-01-01\n"
FLOAT_EVENTS = pa.table({"customer_id": pa.array([123.0, 456.0, 789.0]),
                         "timestamp": pa.array(["2024-01-02 10:00:00"] * 3),
                         "event_type": pa.array(["login"] * 3)})


def folder(tmp_path: Path, customers: str = CUSTOMERS, events: pa.Table | str = FLOAT_EVENTS,
           tickets: str | None = None) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / "customers.csv").write_text(customers, encoding="utf-8")
    if isinstance(events, pa.Table):
        pq.write_table(events, raw / "events.parquet")
    else:
        (raw / "events.csv").write_text(events, encoding="utf-8")
    if tickets is not None:
        (raw / "tickets.csv").write_text(tickets, encoding="utf-8")
    return raw


def run(tmp_path: Path, raw: Path, mode: str = "lenient", **options) -> dict:
    out = tmp_path / f"out-{mode}"
    return validate(raw, out / "validated", out / "rejected", out / "report.json", mode, None,
                    Options(today=TODAY, **options))


def test_lenient_stops_when_two_of_three_events_would_be_quarantined_and_names_the_leading_zeros(tmp_path):
    raw = folder(tmp_path)
    with pytest.raises(ContractError) as err:
        run(tmp_path, raw)
    msg = str(err.value)
    assert ("events.parquet: lenient mode would quarantine 2 of the 3 rows of table 'events' (66.7%), more than "
            "validate.max_rejected_share 0.5 (50%); nothing written downstream") in msg
    assert "column 'customer_id', rule 'known_customer': 2 of 3 rows belong to no customer" in msg
    assert ("likely cause: leading zeros in customers.csv and not in events.parquet ('00123' in customers.csv, "
            "'123.0' in events.parquet); events.parquet stores customer_id as a float column, and a number keeps "
            "no leading zeros: 2 of the 2 unknown ids match a customer once that is undone; export customer_id as "
            "text in the same form in both files") in msg
    assert not (tmp_path / "out-lenient/validated").exists() and not (tmp_path / "out-lenient/rejected").exists()


def test_strict_mode_names_the_same_cause(tmp_path):
    with pytest.raises(ContractError, match=r"rule 'known_customer': 2 of 3 rows .*likely cause: leading zeros in "
                                            r"customers\.csv and not in events\.parquet"):
        run(tmp_path, folder(tmp_path), "strict")


def test_a_higher_share_lets_lenient_quarantine_them_with_the_cause_in_the_warning_and_report(tmp_path, caplog):
    report = run(tmp_path, folder(tmp_path), max_rejected_share=0.7)
    assert report["tables"]["events"]["rows_rejected"] == 2 and report["tables"]["events"]["rows_kept"] == 1
    (failure,) = report["failures"]
    assert failure["rule"] == "known_customer" and failure["likely_cause"].startswith("likely cause: leading zeros")
    assert "quarantined: " in caplog.text and "likely cause: leading zeros in customers.csv" in caplog.text


def test_at_the_share_exactly_lenient_goes_on(tmp_path):
    events = ("customer_id,timestamp,event_type\n789,2024-01-02 10:00:00,login\nX1,2024-01-02 10:00:00,login\n")
    report = run(tmp_path, folder(tmp_path, events=events))       # 1 of 2: 50% is not more than 0.5
    assert report["tables"]["events"]["rows_rejected"] == 1
    assert "likely_cause" not in report["failures"][0]            # X1 matches nobody in any form: no guess


def test_customers_and_tickets_are_held_to_the_share_too(tmp_path):
    customers = CUSTOMERS + "789,2024-01-01\n999,2024-01-01\n"     # 789 twice: 2 of 5 rows
    events = "customer_id,timestamp,event_type\n00123,2024-01-02 10:00:00,login\n"
    tickets = ("customer_id,opened_at,category\n00123,2024-01-03 10:00:00,billing\n"
               "00123,2024-01-03 11:00:00,billing\n00123,2023-01-03 11:00:00,billing\n"
               "00123,2023-01-04 11:00:00,billing\n")
    raw = folder(tmp_path, customers=customers, events=events, tickets=tickets)
    with pytest.raises(ContractError, match=r"(?s)tickets\.csv: lenient mode would quarantine 2 of the 4 rows of "
                                            r"table 'tickets' \(50\.0%\), more than validate\.max_rejected_share "
                                            r"0\.45 \(45%\).*rule 'not_before_signup'"):
        run(tmp_path, raw, max_rejected_share=0.45)
    with pytest.raises(ContractError, match=r"(?s)customers\.csv: lenient mode would quarantine 2 of the 5 rows of "
                                            r"table 'customers' \(40\.0%\).*rule 'unique'"):
        run(tmp_path, raw, max_rejected_share=0.3)
    assert run(tmp_path, raw)["tables"]["tickets"]["rows_rejected"] == 2


@pytest.mark.parametrize(("customers", "events", "cause"), [
    ("123\n456\n", "00123\n0456\n", "leading zeros in events.csv and not in customers.csv ('123' in customers.csv, "
                                    "'00123' in events.csv)"),
    ("123\n456\n", "123.0\n456.0\n", "ids written with decimals in one file ('123' in customers.csv, '123.0' in "
                                     "events.csv)"),
    ("AB1\nAB2\n", "ab1\nab2\n", "upper and lower case ('AB1' in customers.csv, 'ab1' in events.csv)"),
    ("AB 1\nAB 2\n", "AB1\nAB2\n", "spaces inside the ids ('AB 1' in customers.csv, 'AB1' in events.csv)"),
])
def test_each_difference_is_named(tmp_path, customers, events, cause):
    raw = folder(tmp_path, customers="customer_id,signup_date\n" + customers.replace("\n", ",2024-01-01\n"),
                 events="customer_id,timestamp,event_type\n" + events.replace("\n", ",2024-01-02 10:00:00,login\n"))
    con = duckdb.connect()
    tables = {}
    for name in ("customers", "events"):
        tables[name] = open_table(con, raw, name, tmp_path / "utf8", "auto", ())
        stage_table(con, tables[name])
    got = unknown_id_cause(con, tables["events"], tables["customers"])
    assert got.startswith(f"likely cause: {cause}: 2 of the 2 unknown ids match a customer once that is undone")


def test_the_share_is_a_checked_param():
    assert ValidateParams().max_rejected_share == 0.5
    with pytest.raises(ValueError, match="less than or equal to 1"):
        ValidateParams(max_rejected_share=1.5)


def test_unknown_ticket_ids_name_their_cause_too(tmp_path):
    events = "customer_id,timestamp,event_type\n00123,2024-01-02 10:00:00,login\n"
    tickets = "customer_id,opened_at,category\n123,2024-01-03 10:00:00,billing\n00123,2024-01-03 11:00:00,billing\n"
    with pytest.raises(ContractError, match=r"tickets\.csv: column 'customer_id', rule 'known_customer': 1 of 2 rows "
                                            r".*likely cause: leading zeros in customers\.csv and not in tickets\.csv "
                                            r"\('00123' in customers\.csv, '123' in tickets\.csv\): 1 of the 1 "
                                            r"unknown ids match"):
        run(tmp_path, folder(tmp_path, events=events, tickets=tickets), "strict")
