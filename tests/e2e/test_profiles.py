"""Each business profile end to end, on small data: the retailer in English and Japanese, the subscription world.

A retention team at a retailer must never read about contracts or webinars; every customer has a value or an
explicit "unknown"; the actions come from the non-contract playbook; the report speaks of buying again.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from models.retention.playbook import default_playbook
from tests.e2e.helpers import copy_repo, dvc, git, set_params

pytestmark = pytest.mark.e2e

# The built-in retailer with only generate.kind changed (and a small world): label.mode, label.horizon_days and
# featurize.passive_event_types are auto and follow it.
RETAIL = dict(generate__kind="non_contract", generate__n_customers=1200)


def _codes(kind: str) -> set[str]:
    pb = default_playbook(kind)
    return {*pb.families.values(), pb.default, *(r.action for r in pb.segment_rules)}


def _actions(scored: pd.DataFrame) -> set[str]:
    """The action codes of the customers to call; a campaign's holdout is told not to be contacted, and so is
    everybody outside the tiers the campaign contacts (``campaign.contact``: high and medium)."""
    held = scored["campaign_group"] == "holdout"
    assert (scored.loc[held, "action_code"] == "HOLDOUT").all()
    low = scored["risk_tier_code"] == "low"
    assert (scored.loc[low, "action_code"] == "NO_CONTACT").all() and low.any()
    assert not (scored.loc[~low, "action_code"] == "NO_CONTACT").any()
    return set(scored.loc[~held & ~low, "action_code"])


def _scored(repo) -> pd.DataFrame:
    return pd.read_csv(repo / "data/scored/at_risk_customers.csv", encoding="utf-8-sig")


@pytest.fixture(scope="module")
def retailer(tmp_path_factory):
    repo = copy_repo(tmp_path_factory.mktemp("retail") / "repo")
    set_params(repo, **RETAIL)
    git(repo, "commit", "-qam", "the synthetic retailer, small")
    dvc(repo, "repro")
    return repo


def test_generate_kind_non_contract_alone_gives_a_consistent_retailer(retailer):
    meta = json.loads((retailer / "data/models/model_meta.json").read_text())
    assert meta["horizon_days"] == 90   # auto: the retailer's horizon
    labels = pd.read_parquet(retailer / "data/labels/labels.parquet")
    assert 0 < labels["label"].mean() < 1
    assert "churn_date" not in pd.read_parquet(retailer / "data/raw/customers.parquet").columns
    metrics = json.loads((retailer / "data/metrics/metrics.json").read_text())
    assert 0.5 < metrics["roc_auc"] <= 1


def test_a_retailer_reads_purchases_values_and_retail_actions(retailer):
    scored = _scored(retailer)
    assert len(scored) > 100
    reasons = scored[["reason_1", "reason_2", "reason_3", "action_reason"]].fillna("").agg(" ".join, axis=1)
    assert not reasons.str.contains(r"contract|renew", case=False).any(), "a retailer has no contracts"
    assert reasons.str.contains("purchase|bought|buys", case=False).mean() > 0.5
    assert _actions(scored) <= _codes("non_contract")
    assert not scored["recommended_action"].str.contains("webinar|account manager|onboarding", case=False).any()
    valued = scored["value_at_risk"].notna() | scored["value_basis"].str.startswith("unknown")
    assert valued.all(), "every customer has a value or an explicit unknown"
    assert (scored["value_basis"] == "expected purchase spend over 12 months").all()
    assert (scored["customer_value"] > 0).all()
    features = json.loads((retailer / "data/features/features_meta.json").read_text())
    assert "days_to_renewal" not in features["features"] and "days_to_anniversary_month" not in features["features"]
    report = re.sub(r"<[^>]+>", " ", (retailer / "data/reports/retention_report.html").read_text(encoding="utf-8"))
    assert "least likely to buy again" in report and "Repeat-purchase rate" in report
    assert "Spend at risk over the next 12 months" in report and "contract" not in report.lower()


def test_the_same_retailer_in_japanese_with_yen(retailer):
    set_params(retailer, report__language="ja", report__currency="JPY")
    git(retailer, "commit", "-qam", "Japanese report")
    dvc(retailer, "repro")
    scored = _scored(retailer)
    text = scored[["reason_1", "reason_2", "reason_3", "recommended_action", "action_reason"]].fillna("")
    joined = text.agg(" ".join, axis=1)
    assert not joined.str.contains("契約|更新|ウェビナー").any()
    assert joined.str.contains("購入").mean() > 0.5
    assert not joined.str.contains(r"[A-Za-z]{4,}").any(), "no English words in the Japanese list"
    assert _actions(scored) <= _codes("non_contract")
    assert (scored["value_basis"] == "今後12か月の購入見込み額").all() and scored["value_at_risk"].notna().all()
    report = re.sub(r"<[^>]+>", " ", (retailer / "data/reports/retention_report.html").read_text(encoding="utf-8"))
    assert "再購入しない可能性が高い顧客" in report and "￥" in report and "契約" not in report


def test_the_subscription_world_keeps_its_own_words(world):
    scored = _scored(world)
    assert _actions(scored) <= _codes("subscription")
    assert (scored["value_basis"] == "monthly_fee × 1.0 months").all()
    report = re.sub(r"<[^>]+>", " ", (world / "data/reports/retention_report.html").read_text(encoding="utf-8"))
    assert "most likely to leave" in report and "Churn rate" in report


def _one_fact_per_reason(repo) -> pd.DataFrame:
    """No customer of the explained population has two reasons of one fact."""
    pop = pd.read_parquet(repo / "data/explain/scoring_population.parquet")
    k = len([c for c in pop.columns if c.startswith("reason_fact_")])
    assert k >= 3
    facts = pop[[f"reason_fact_{i}" for i in range(1, k + 1)]]
    codes = pop[[f"reason_code_{i}" for i in range(1, k + 1)]]
    given = (facts != "").sum(axis=1)
    assert ((codes != "").sum(axis=1) == given).all(), "every reason has its fact"
    distinct = facts.apply(lambda row: len({f for f in row if f}), axis=1)
    assert (distinct == given).all(), pop.loc[distinct != given, facts.columns].head().to_string()
    assert (given >= 2).mean() > 0.5, "most customers still get two reasons or more"
    return pop


def _segments_listed(repo) -> None:
    """The scored list's segment is the driver and the action of every customer; the report shows the segments."""
    scored = pd.read_parquet(repo / "data/scored/at_risk_customers.parquet")
    acted = scored[scored["campaign_group"] != "holdout"]
    expected = acted["driver_family"].replace("", "none") + "/" + acted["action_code"]
    assert (acted["segment"] == expected).all()
    assert scored.columns[:len(COLUMNS_BEFORE)].tolist() == list(COLUMNS_BEFORE), "the earlier columns stay put"
    html = (repo / "data/reports/retention_report.html").read_text(encoding="utf-8")
    shown = re.findall(r'<tr data-segment="([^"]+)">', html)
    contact = scored[scored["campaign_group"] == "contact"]
    assert shown and set(shown) <= set(contact["segment"]) and len(shown) == min(12, contact["segment"].nunique())
    assert html.index('id="action-segments"') < html.index('id="customers"')


# The scored list's first columns before the segment column was added (it comes after them).
COLUMNS_BEFORE = ("rank", "customer_id", "churn_probability", "risk_tier", "value_at_risk", "reason_1", "reason_2",
                  "reason_3")


def test_the_retailer_reads_one_fact_per_reason_and_its_segments(retailer):
    _one_fact_per_reason(retailer)
    _segments_listed(retailer)


def test_the_subscription_world_reads_one_fact_per_reason_and_its_segments(world):
    _one_fact_per_reason(world)
    _segments_listed(world)
