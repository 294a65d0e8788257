"""The playbook: family actions, segment rules, custom actions, one source for the defaults; tiers and value at risk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from models.retention.playbook import default_playbook, recommend_actions
from models.retention.tiers import assign_tiers, tier_labels
from models.retention.value import value_at_risk


@pytest.fixture()
def segments() -> pd.DataFrame:
    return pd.DataFrame(
        {"tenure_days": [10, 900, 1200, 800, 50], "monthly_fee": [20.0, 500.0, 30.0, 40.0, 25.0]},
        index=[11, 12, 13, 14, 15],
    )


def test_family_actions_and_loyalty_override(segments):
    families = pd.Series(["complaints", "complaints", "usage", "", "billing"], index=segments.index)
    out = recommend_actions(families, segments, default_playbook(), "en")
    assert list(out.index) == list(segments.index)
    assert list(out["action_code"]) == [
        "SERVICE_RECOVERY_CALL", "LOYALTY_RECOGNITION", "SUCCESS_CHECKIN", "ACCOUNT_REVIEW", "BILLING_REVIEW"]
    assert out.loc[11, "action_reason"] == "Top driver: complaints"
    assert out.loc[12, "action_reason"] == "Long-standing, high-value customer"
    assert out.loc[14, "action_reason"] == "No single driver stands out"
    assert "48 hours" in out.loc[11, "recommended_action"]
    ja = recommend_actions(families, segments, default_playbook(), "ja")
    assert ja.loc[11, "action_reason"] == "主な要因：苦情・問い合わせ"
    assert "48時間以内" in ja.loc[11, "recommended_action"]


def test_playbook_serialises_to_yaml_and_custom_actions(segments):
    dumped = yaml.safe_dump(default_playbook().model_dump(mode="json"))
    assert type(default_playbook()).model_validate(yaml.safe_load(dumped)) == default_playbook()
    book = {"families": {"usage": "WEBINAR"}, "default": "WEBINAR",
            "actions": {"WEBINAR": {"en": "Invite to webinar", "ja": "ウェビナーに招待"}}}
    out = recommend_actions(pd.Series(["usage"] * 5, index=segments.index), segments, book, "ja")
    assert set(out["recommended_action"]) == {"ウェビナーに招待"}
    with pytest.raises(ValueError, match="no text"):
        recommend_actions(pd.Series(["usage"] * 5, index=segments.index), segments,
                          {"families": {"usage": "UNKNOWN_CODE"}}, "en")
    with pytest.raises(ValueError, match="not driver families"):
        recommend_actions(pd.Series(["usage"] * 5, index=segments.index), segments,
                          {"families": {"price": "BILLING_REVIEW"}}, "en")


def test_rule_on_missing_segment_column_is_skipped(segments):
    families = pd.Series(["complaints"] * 5, index=segments.index)
    out = recommend_actions(families, segments.drop(columns=["monthly_fee"]), default_playbook(), "en")
    assert set(out["action_code"]) == {"SERVICE_RECOVERY_CALL"}


def test_value_at_risk():
    p = pd.Series([0.5, 0.1, 0.2], index=["a", "b", "c"])
    rev = pd.Series([100.0, np.nan, 30.4375], index=["a", "b", "c"])
    var = value_at_risk(p, rev, 30.4375 * 3)
    assert var["a"] == pytest.approx(150.0)
    assert np.isnan(var["b"])
    assert var["c"] == pytest.approx(0.2 * 30.4375 * 3)
    assert value_at_risk(0.5, 100.0, 30) == pytest.approx(0.5 * 100 * 30 / 30.4375)
    with pytest.raises(ValueError):
        value_at_risk(p, rev, -1)


def test_tiers_threshold_and_share():
    p = pd.Series([0.9, 0.6, 0.3, 0.1, 0.05, 0.3], index=list("abcdef"))
    assert list(assign_tiers(p, "threshold", 0.5, 0.2)) == ["high", "high", "medium", "low", "low", "medium"]
    share = assign_tiers(p, "top_share", 0.2, 0.5)
    assert list(share) == ["high", "medium", "medium", "low", "low", "medium"]  # tie at 0.3 shares the tier
    assert list(tier_labels(share, "ja"))[:2] == ["高", "中"]
    with pytest.raises(ValueError):
        assign_tiers(p, "threshold", 0.1, 0.5)
    with pytest.raises(ValueError, match="missing"):
        assign_tiers(pd.Series([0.1, np.nan]))
    with pytest.raises(ValueError, match="not supported"):
        assign_tiers(p, "quantile")


def test_a_renewal_that_is_due_gets_a_renewal_call_not_onboarding_help():
    segments = pd.DataFrame({
        "tenure_days": [354, 20, 1200, 360],
        "monthly_fee": [30.0, 30.0, 500.0, 30.0],
        "driver_family": ["tenure", "tenure", "tenure", "complaints"],
        "reason_code_1": ["TENURE_RENEWAL_SOON", "TENURE_SHORT", "TENURE_RENEWAL_SOON", "COMPLAINTS_RECENT"],
    })
    out = recommend_actions(segments["driver_family"], segments, default_playbook(), "en")
    assert list(out["action_code"]) == ["RENEWAL_CALL", "ONBOARDING_HELP", "LOYALTY_RECOGNITION",
                                        "SERVICE_RECOVERY_CALL"]
    assert out.loc[0, "action_reason"] == "Contract renewal is due"
    assert out.loc[0, "recommended_action"].startswith("Renewal call")
    ja = recommend_actions(segments["driver_family"], segments, default_playbook(), "ja")
    assert ja.loc[0, "action_reason"] == "契約更新が近づいています"
    assert ja.loc[0, "recommended_action"].startswith("更新前の連絡")


def test_the_default_playbook_has_one_source_and_params_only_override_it():

    from pipeline.core import config
    from pipeline.scoring.recipe import Recipe
    from tests.paths import REPO as root
    params = yaml.safe_load((root / "params.yaml").read_text())
    default_file = root / "models/retention/playbooks/subscription.yaml"
    assert default_playbook() == default_playbook().model_validate(yaml.safe_load(default_file.read_text()))
    assert Recipe.from_params(config.Params(params)).playbook == default_playbook()  # params.yaml repeats nothing
    assert not any(params["playbook"].values()) if params["playbook"] else True
    changed = Recipe.from_params(config.Params({"playbook": {"families": {"usage": "VALUE_CONTENT"}}})).playbook
    assert changed.families["usage"] == "VALUE_CONTENT" and changed.families["complaints"] == "SERVICE_RECOVERY_CALL"
    assert changed.segment_rules == default_playbook().segment_rules


def test_the_non_contract_playbook_speaks_to_a_retailers_customers():
    playbook = default_playbook("non_contract")
    segments = pd.DataFrame({
        "repeat_active_days": [0, 6, 8, 3, 0, 2, 5],
        "overdue_ratio": [np.nan, 2.5, 0.8, 0.9, np.nan, 0.5, 0.7],
        "days_since_first_activity": [20, 400, 700, 200, 30, 300, 100],
        "customer_value": [30.0, 200.0, 900.0, 120.0, 25.0, 80.0, 60.0],
    })
    families = pd.Series(["tenure", "engagement", "usage", "complaints", "complaints", "billing", "attributes"])
    segments["driver_family"] = families   # the score stage hands the rules the driver family too
    out = recommend_actions(families, segments, playbook, "en")
    assert list(out["action_code"]) == ["SECOND_PURCHASE_INCENTIVE", "WINBACK_OFFER", "CUSTOMER_RECOGNITION",
                                        "SERVICE_RECOVERY", "SERVICE_RECOVERY", "PRICE_MATCH_OFFER", "REENGAGEMENT"]
    assert list(out["action_reason"][:3]) == ["Bought once and has not come back",
                                              "Regular customer whose next purchase is overdue",
                                              "Long-standing customer among the top spenders"]
    text = " ".join(out["recommended_action"])
    assert "webinar" not in text and "contract" not in text.lower() and "account manager" not in text
    ja = recommend_actions(families, segments, playbook, "ja")
    assert ja["recommended_action"].str.contains("[\u3040-\u30ff\u4e00-\u9fff]").all()


def test_every_action_of_both_default_playbooks_has_a_text_in_every_language():
    from models.retention import i18n

    for kind in ("subscription", "non_contract"):
        pb = default_playbook(kind)
        for code in {*pb.families.values(), pb.default, *(r.action for r in pb.segment_rules)}:
            for lang in i18n.LANGUAGES:
                assert isinstance(i18n.catalog(lang)["actions"].get(code), str), (kind, code, lang)
        for rule in pb.segment_rules:
            for lang in i18n.LANGUAGES:
                assert i18n.t(rule.action_reason, lang), (kind, rule.name, lang)


def test_changing_the_default_playbook_data_a_caller_got_changes_no_later_call():
    from models.retention.playbook import _default_data

    got = _default_data("subscription")
    families = dict(got["families"])
    got["families"].clear()
    got["default"] = "CHANGED"
    again = _default_data("subscription")
    assert again["families"] == families and again["default"] != "CHANGED"
    assert default_playbook("subscription").families == families
