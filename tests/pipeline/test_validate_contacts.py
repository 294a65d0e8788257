"""The optional contacts table: validated like the others (strict errors, lenient quarantine that loses nothing)."""

from __future__ import annotations

import pandas as pd
import pytest

from features.contract import ContractError
from tests.pipeline.test_validate import run, write

CUSTOMERS = """customer_id,signup_date,churn_date
C1,2024-01-01,
C2,2024-01-05,
C3,2024-01-05,
"""
EVENTS = """customer_id,timestamp,event_type,value
C1,2024-01-02 10:00:00,login,1
C2,2024-02-10 23:59:59,login,1
"""
GOOD = """customer_id,campaign_id,group,contacted_at,action_code,channel
C1,2024-01-31,contact,2024-02-01 10:00:00,SERVICE_RECOVERY_CALL,phone
C2,2024-01-31,Holdout,,,
C3,2024-01-31,contact,,SERVICE_RECOVERY_CALL,
"""
BROKEN = """customer_id,campaign_id,group,contacted_at
C1,2024-01-31,contact,2024-02-01 10:00:00
C1,2024-01-31,holdout,
C2,2024-01-31,called,
C9,2024-01-31,contact,
C3,,contact,not a date
"""


def test_a_good_contacts_table_is_typed_and_kept(tmp_path):
    raw = write(tmp_path / "raw", customers_csv=CUSTOMERS, events_csv=EVENTS, contacts_csv=GOOD)
    report = run(tmp_path, raw, "strict")
    assert report["tables"]["contacts"]["rows_kept"] == 3
    contacts = pd.read_parquet(tmp_path / "out/validated/contacts.parquet")
    assert contacts["group"].tolist() == ["contact", "holdout", "contact"]
    assert contacts["contacted_at"].notna().tolist() == [True, False, False]
    assert contacts["campaign_id"].unique().tolist() == ["2024-01-31"]


def test_no_contacts_table_writes_an_empty_one_with_its_columns(tmp_path):
    raw = write(tmp_path / "raw", customers_csv=CUSTOMERS, events_csv=EVENTS)
    run(tmp_path, raw, "strict")
    contacts = pd.read_parquet(tmp_path / "out/validated/contacts.parquet")
    assert contacts.empty and {"customer_id", "campaign_id", "group", "contacted_at"} <= set(contacts.columns)


def test_broken_contacts_stop_strict_mode_naming_file_column_rule_and_rows(tmp_path):
    raw = write(tmp_path / "raw", customers_csv=CUSTOMERS, events_csv=EVENTS, contacts_csv=BROKEN)
    with pytest.raises(ContractError) as err:
        run(tmp_path, raw, "strict")
    msg = str(err.value)
    assert "contacts.csv: column 'group', rule 'contact_or_holdout': 1 of 5 rows have a group other than contact " \
           "or holdout (lines 4: 'called')" in msg
    assert "contacts.csv: column 'customer_id', rule 'once_per_campaign': 2 of 5 rows" in msg
    assert "contacts.csv: column 'customer_id', rule 'known_customer': 1 of 5 rows" in msg
    assert "contacts.csv: column 'campaign_id', rule 'required': 1 of 5 rows are empty" in msg
    assert "contacts.csv: column 'contacted_at', rule 'type': 1 of 5 rows are not a datetime" in msg
    assert not (tmp_path / "out/validated").exists()


def test_broken_contacts_are_quarantined_in_lenient_mode_with_nothing_lost(tmp_path):
    raw = write(tmp_path / "raw", customers_csv=CUSTOMERS, events_csv=EVENTS, contacts_csv=BROKEN)
    report = run(tmp_path, raw, "lenient")
    t = report["tables"]["contacts"]
    assert (t["rows_read"], t["rows_kept"], t["rows_rejected"]) == (5, 0, 5)
    rejected = pd.read_parquet(tmp_path / "out/rejected/contacts.parquet")
    assert len(rejected) == 5 and rejected["reason"].str.len().gt(0).all()
    assert "group:contact_or_holdout" in rejected.loc[rejected["customer_id"] == "C2", "reason"].iloc[0]
