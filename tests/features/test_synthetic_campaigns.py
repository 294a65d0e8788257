"""The synthetic retention team: contacts that validate, heterogeneous true effects, and intervals that cover them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bench.campaigns import coverage
from features.cutoffs import schedule
from features.synthetic.subscription import CampaignConfig, SyntheticConfig
from pipeline.stages.generate import write_world
from pipeline.stages.validate import validate

CUTOFFS = schedule(dt.date(2023, 6, 30), dt.date(2024, 12, 31), "month_end", 30)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    out = {}
    for name, team in (("off", None), ("on", CampaignConfig())):
        root = tmp_path_factory.mktemp(name)
        write_world(root / "raw", root / "gt", SyntheticConfig(n_customers=2000, seed=11, campaigns=team),
                    CUTOFFS, 30)
        out[name] = root
    return out


def test_without_campaigns_no_campaign_tables_are_written(worlds):
    assert sorted(p.name for p in (worlds["off"] / "raw").iterdir()) == ["customers.parquet", "events.parquet",
                                                                         "tickets.parquet"]
    assert not (worlds["off"] / "gt/campaigns.parquet").exists()


def test_the_world_before_the_first_campaign_is_the_world_without_campaigns(worlds):
    first = pd.Timestamp("2023-07-01")
    on, off = (pd.read_parquet(worlds[k] / "raw/events.parquet") for k in ("on", "off"))
    pd.testing.assert_frame_equal(on[on["timestamp"] < first].reset_index(drop=True),
                                  off[off["timestamp"] < first].reset_index(drop=True))


def test_contacts_validate_strictly_and_holdouts_are_never_contacted(worlds, tmp_path):
    root = worlds["on"]
    report = validate(root / "raw", tmp_path / "v", tmp_path / "r", tmp_path / "report.json", "strict", None)
    contacts = pd.read_parquet(tmp_path / "v/contacts.parquet")
    assert report["tables"]["contacts"]["rows_kept"] == len(contacts) > 0
    assert contacts.loc[contacts["group"] == "holdout", "contacted_at"].isna().all()
    share = (contacts["group"] == "holdout").mean()
    assert share == pytest.approx(0.2, abs=0.01)
    reached = contacts.loc[contacts["group"] == "contact", "contacted_at"].notna().mean()
    assert reached == pytest.approx(0.8, abs=0.03)
    assert set(contacts["campaign_id"]) == {c.isoformat() for c in CUTOFFS if c <= dt.date(2024, 11, 30)}


def test_effects_depend_on_the_true_driver_and_the_action(worlds):
    e = pd.read_parquet(worlds["on"] / "gt/campaign_effects.parquet")
    call = e[(e["action_code"] == "SERVICE_RECOVERY_CALL") & ~e["sleeping_dog"]]
    complaint = call.loc[call["true_driver"] == "complaints", "true_effect"].mean()
    price = call.loc[call["true_driver"] == "billing", "true_effect"].mean()
    assert complaint < 2 * price < 0          # the call helps complaint-driven customers, barely price-driven ones
    assert (e.loc[e["sleeping_dog"], "true_effect"] > 0).all()   # sleeping dogs are pushed away
    assert (e["itt_effect"] == e["true_effect"].where(e["reached"], 0.0)).all()
    truth = pd.read_parquet(worlds["on"] / "gt/campaigns.parquet").set_index("campaign_id")
    mean_itt = e.groupby("campaign_id")["itt_effect"].mean()
    pd.testing.assert_series_equal(truth["true_average_effect"], mean_itt, check_names=False)


def test_same_seed_same_contacts(worlds, tmp_path):
    write_world(tmp_path / "raw", tmp_path / "gt", SyntheticConfig(n_customers=2000, seed=11,
                                                                   campaigns=CampaignConfig()), CUTOFFS, 30)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "raw/contacts.parquet"),
                                  pd.read_parquet(worlds["on"] / "raw/contacts.parquet"))


def test_the_95_percent_interval_covers_the_true_effect_in_at_least_90_percent_of_20_campaigns():
    share, table = coverage(seeds=20, n_customers=1500, campaigns=1)
    assert len(table) == 20 and table["seed"].nunique() == 20
    assert share >= 0.9, table
