"""The score stage's campaign.

Holdouts get no contact action in the export, and the record is the contacts table's shape."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.retention.campaigns.assign import hash_uniform
from pipeline.core import config
from pipeline.core.io import write_csv_for_spreadsheet
from pipeline.scoring import campaign
from pipeline.stages.validate import validate
from tests.pipeline.test_validate import write


def _scored(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    tiers = np.where(np.arange(n) < 20, "high", np.where(np.arange(n) < 80, "medium", "low"))
    return pd.DataFrame({
        "rank": np.arange(1, n + 1), "customer_id": [f"C{i}" for i in range(n)],
        "churn_probability": np.linspace(0.9, 0.01, n), "risk_tier": tiers, "risk_tier_code": tiers,
        "driver_family": rng.choice(["complaints", "usage"], n),
        "action_code": rng.choice(["SERVICE_RECOVERY_CALL", "SUCCESS_CHECKIN"], n),
        "recommended_action": "Call them", "action_reason": "Driver", "customer_value": 100.0})


def test_holdouts_have_no_contact_action_in_the_csv_and_keep_their_score(tmp_path):
    cp = config.CampaignParams(control_share=0.25)
    scored, record = campaign.with_campaign(_scored(), cp, "2024-12-31", "en")
    write_csv_for_spreadsheet(scored, tmp_path / "list.csv")
    csv = pd.read_csv(tmp_path / "list.csv", encoding="utf-8-sig")
    held = csv[csv["campaign_group"] == "holdout"]
    assert 10 <= len(held) <= 30
    assert (held["action_code"] == "HOLDOUT").all()
    assert held["recommended_action"].eq("Do not contact: holdout of campaign 2024-12-31").all()
    assert held["churn_probability"].notna().all() and (held["risk_tier"] != "low").all()
    assert csv.loc[csv["risk_tier"] == "low", "campaign_group"].isna().all()
    # the record keeps the action the holdout's stratum is on, for the per-action measurement
    assert set(record.loc[record["group"] == "holdout", "action_code"]) <= {"SERVICE_RECOVERY_CALL",
                                                                            "SUCCESS_CHECKIN"}
    assert (record["campaign_id"] == "2024-12-31").all() and len(record) == 80


def test_the_campaign_id_defaults_to_the_scoring_date_and_a_new_id_draws_new_groups():
    assert campaign.campaign_id(config.CampaignParams(), "2024-12-31") == "2024-12-31"
    a, _ = campaign.with_campaign(_scored(), config.CampaignParams(control_share=0.5), "2024-12-31", "en")
    b, _ = campaign.with_campaign(_scored(), config.CampaignParams(id="spring", control_share=0.5), "2024-12-31",
                                  "en")
    assert (a["campaign_group"] != b["campaign_group"]).sum() > 10
    assert hash_uniform(["C1"], "2024-12-31")[0] == hash_uniform(["C1"], "2024-12-31")[0]


def test_the_assignments_file_is_accepted_as_a_contacts_table(tmp_path):
    scored, record = campaign.with_campaign(_scored(), config.CampaignParams(), "2024-01-31", "en")
    customers = "customer_id,signup_date\n" + "".join(f"{c},2023-06-01\n" for c in scored["customer_id"])
    raw = write(tmp_path / "raw", customers_csv=customers,
                events_csv="customer_id,timestamp,event_type\nC1,2024-02-10 10:00:00,login\n")
    path = campaign.write_record(record, raw.parent / "campaigns", "2024-01-31")
    (raw / "contacts.parquet").write_bytes(path.read_bytes())
    report = validate(raw, tmp_path / "v", tmp_path / "r", tmp_path / "report.json", "strict", None)
    assert report["tables"]["contacts"]["rows_kept"] == len(record) == 80
    contacts = pd.read_parquet(tmp_path / "v/contacts.parquet")
    assert contacts["contacted_at"].isna().all() and set(contacts["group"]) == {"contact", "holdout"}
    assert str(contacts["assigned_at"].iloc[0]) == "2024-01-31"


@pytest.mark.parametrize("values, message", [
    ({"contrl_share": 0.2}, r"campaign.contrl_share: Extra inputs are not permitted"),
    ({"control_share": 1.0}, r"campaign.control_share"),
    ({"contact": 1.5}, r"contact as a share of the ranked list must be in \(0, 1\]"),
    ({"contact": ["high", "urgent"]}, r"campaign.contact"),
    ({"id": "../spring"}, r"must be a non-empty name usable as a folder"),
])
def test_campaign_params_are_checked_at_start_naming_the_key(values, message):
    with pytest.raises(config.ParamsError, match=message):
        config.section({"campaign": values}, "campaign")


def test_generate_campaigns_params_are_checked_too():
    with pytest.raises(config.ParamsError, match=r"generate.campaigns.reach_rate"):
        config.section({"generate": {"campaigns": {"enabled": True, "reach_rate": 0}}}, "generate")
    with pytest.raises(config.ParamsError, match=r"generate.campaigns.enabeld"):
        config.section({"generate": {"campaigns": {"enabeld": True}}}, "generate")
