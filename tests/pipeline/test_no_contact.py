"""Customers the campaign does not contact get "No contact this cycle", and no campaign.

The tiers outside ``campaign.contact`` (or the customers below its top share of the ranked list) are not told to
get an offer nobody will make: their action is ``NO_CONTACT`` in both languages, unless a segment rule names risk
tiers. They are never drawn into the campaign, and the contacted tiers keep their holdout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.retention import i18n
from models.retention.campaigns.assign import NO_CONTACT as ASSIGN_NO_CONTACT
from models.retention.playbook import NO_CONTACT, Playbook, default_playbook, recommend_actions
from pipeline.core import config
from pipeline.scoring.recipe import Recipe
from pipeline.stages.score import scored_list

N = 400


def _recipe(contact, playbook: Playbook | None = None, language: str = "en") -> Recipe:
    return Recipe(config.section({"score": {}}, "score"),
                  config.CampaignParams(contact=contact, control_share=0.2), language, 30, "subscription",
                  playbook or default_playbook("subscription"), playbook is not None, {})


def _inputs() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    rng = np.random.default_rng(5)
    ids = [f"C{i:03d}" for i in range(N)]
    pop = pd.DataFrame({"customer_id": ids, "churn_probability": rng.uniform(0.01, 0.9, N),
                        "driver_family": rng.choice(["complaints", "usage", "billing"], N),
                        "reason_code_1": "X", "reason_1": "r", "reason_2": "", "reason_3": ""})
    rows = pd.DataFrame({"customer_id": ids, "monthly_fee": rng.choice([10.0, 30.0, 90.0], N),
                         "tenure_days": rng.uniform(10, 1500, N), "plan": rng.choice(["basic", "pro"], N)})
    fmeta = {"features": ["monthly_fee", "tenure_days", "plan"], "categorical": ["plan"],
             "score_date": "2024-12-31", "fee_attribute": "monthly_fee"}
    return pop, rows, fmeta


def test_the_constant_is_the_same_in_the_playbook_and_the_campaign_draw():
    assert NO_CONTACT == ASSIGN_NO_CONTACT == "NO_CONTACT"


@pytest.mark.parametrize("language, text", [("en", "No contact this cycle"), ("ja", "今回は連絡しない")])
def test_uncontacted_customers_read_no_contact_unless_a_rule_names_their_tier(language, text):
    fam = pd.Series(["usage", "complaints", "usage", "billing"])
    segments = pd.DataFrame({"risk_tier_code": ["high", "low", "low", "low"], "tenure_days": [900.0] * 4,
                             "monthly_fee": [100.0, 100.0, 100.0, 5.0], "driver_family": fam})
    contacted = np.array([True, False, False, False])
    out = recommend_actions(fam, segments, default_playbook(), language, contacted=contacted)
    # the default loyalty rule names no tier: it does not give the uncontacted an action
    assert out["action_code"].tolist()[1:] == [NO_CONTACT] * 3
    assert out["recommended_action"].iloc[1] == text == i18n.t("actions.NO_CONTACT", language)
    assert out["action_code"].iloc[0] != NO_CONTACT
    assert out["action_reason"].iloc[1] == i18n.t("action_reasons.no_contact", language)
    named = Playbook.model_validate({**default_playbook().model_dump(), "segment_rules": [
        {"name": "low_but_valuable", "action": "LOYALTY_RECOGNITION",
         "conditions": [{"column": "risk_tier_code", "op": "==", "value": "low"},
                        {"column": "monthly_fee", "op": ">=", "value": 50}]}]})
    out = recommend_actions(fam, segments, named, language, contacted=contacted)
    assert out["action_code"].tolist() == [out["action_code"].iloc[0], "LOYALTY_RECOGNITION",
                                           "LOYALTY_RECOGNITION", NO_CONTACT]


def test_tiers_outside_contact_get_no_contact_and_are_in_no_campaign():
    pop, rows, fmeta = _inputs()
    scored, record = scored_list(_recipe(("high", "medium")), pop, rows, fmeta, "1")
    low = scored["risk_tier_code"] == "low"
    assert low.sum() > 50
    assert (scored.loc[low, "action_code"] == NO_CONTACT).all()
    assert (scored.loc[low, "recommended_action"] == "No contact this cycle").all()
    assert (scored.loc[low, "campaign_group"] == "").all()
    assert not record["action_code"].eq(NO_CONTACT).any()
    # the contacted tiers keep their holdout, stratified as before
    assert set(record["risk_tier"]) == {"high", "medium"} and set(record["group"]) == {"contact", "holdout"}
    held = scored["campaign_group"] == "holdout"
    assert (scored.loc[held, "action_code"] == "HOLDOUT").all() and held.sum() >= 0.1 * (~low).sum()


def test_a_top_share_contact_leaves_the_rest_of_the_list_uncontacted():
    pop, rows, fmeta = _inputs()
    scored, record = scored_list(_recipe(0.05), pop, rows, fmeta, "1")
    k = int(np.ceil(0.05 * N))
    top, rest = scored[scored["rank"] <= k], scored[scored["rank"] > k]
    assert not top["action_code"].eq(NO_CONTACT).any()
    assert rest["action_code"].isin([NO_CONTACT]).all(), "ranked by value at risk: no ties in this frame"
    assert len(record) == k and set(record["customer_id"]) == set(top["customer_id"])
    assert (rest["campaign_group"] == "").all()


def test_contacting_every_tier_changes_nothing():
    pop, rows, fmeta = _inputs()
    scored, record = scored_list(_recipe(("high", "medium", "low")), pop, rows, fmeta, "1")
    assert not scored["action_code"].eq(NO_CONTACT).any() and len(record) == N


def test_a_top_share_splits_ties_by_rank_as_the_list_does():
    pop, rows, fmeta = _inputs()
    pop["churn_probability"] = pop["churn_probability"].round(1)    # big ties: 9 distinct probabilities
    scored, record = scored_list(_recipe(0.05), pop, rows, fmeta, "1")
    k = int(np.ceil(0.05 * N))
    inside = scored["campaign_group"] != ""
    assert inside.iloc[:k].all() and not inside.iloc[k:].any() and len(record) == k
    assert (scored.loc[~inside, "action_code"] == NO_CONTACT).all()
    assert not record["action_code"].eq(NO_CONTACT).any()
