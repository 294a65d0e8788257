"""Params are validated when a stage starts.

Playbook rules and tier shares give one clear message, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from models.retention.labels import check_display_names
from pipeline.core import config
from pipeline.scoring.recipe import Recipe, check_rule_columns

RULE = {"name": "vip", "action": "LOYALTY_RECOGNITION",
        "conditions": [{"column": "tenure_days", "op": ">=", "value": 730}]}


def _playbook(**overrides):
    return Recipe.from_params(config.Params({"playbook": overrides})).playbook


@pytest.mark.parametrize("rule, message", [
    ({**RULE, "conditions": [{"colum": "tenure_days", "op": ">=", "value": 730}]}, "colum"),
    ({**RULE, "conditions": [{"column": "tenure_days", "op": ">=", "value": "abc"}]}, "is not a number"),
    ({**RULE, "conditions": [{"column": "tenure_days", "op": "=>", "value": 730}]}, "op"),
    ({**RULE, "conditions": [{"column": "monthly_fee", "op": "top_share", "value": 20}]}, "share in (0, 1]"),
    ({**RULE, "conditions": [{"column": "plan", "op": "in", "value": "gold"}]}, "non-empty list"),
    ({**RULE, "conditions": []}, "conditions"),
    ({**RULE, "action": "FREE_PONY"}, "FREE_PONY"),
    ({**RULE, "action_reason": "action_reasons.no_such_key"}, "no_such_key"),
    ({**RULE, "priority": 1}, "priority"),
])
def test_a_broken_segment_rule_is_a_params_error_naming_it(rule, message):
    with pytest.raises(config.ParamsError) as err:
        _playbook(segment_rules=[rule])
    assert message in str(err.value) and "playbook" in str(err.value)


def test_unknown_families_keys_and_action_texts_are_refused():
    with pytest.raises(config.ParamsError, match="not driver families"):
        _playbook(families={"price": "BILLING_REVIEW"})
    with pytest.raises(config.ParamsError, match="playbook.colour"):
        _playbook(colour="blue")
    with pytest.raises(config.ParamsError, match="needs texts keyed by language"):
        _playbook(families={"usage": "WEBINAR"}, actions={"WEBINAR": {"fr": "Webinaire"}})
    book = _playbook(families={"usage": "WEBINAR"}, actions={"WEBINAR": {"en": "Webinar", "ja": "ウェビナー"}})
    assert book.families["usage"] == "WEBINAR" and book.families["billing"] == "BILLING_REVIEW"


def test_a_rule_from_params_on_a_column_the_data_lacks_stops_the_score_stage():
    params = config.Params({"playbook": {"segment_rules": [
        {**RULE, "conditions": [{"column": "tenure_dayz", "op": ">=", "value": 730}]}]}})
    book = Recipe.from_params(params).playbook
    with pytest.raises(config.ParamsError,
                       match="params.yaml: playbook.segment_rules .*tenure_dayz.*available: .*tenure_days"):
        with params.located():
            check_rule_columns(book, True, ["customer_id", "tenure_days", "plan"])
    # the default rules are the data's business: one on a column this data lacks is skipped, not an error
    check_rule_columns(Recipe.from_params(config.Params()).playbook, False, ["customer_id"])


@pytest.mark.parametrize("tiers, message", [
    ({"method": "top_share", "high": 0.3, "medium": 0.2}, "high must be <= medium"),
    ({"method": "threshold", "high": 0.2, "medium": 0.5}, "medium must be <= high"),
])
def test_tier_shares_and_thresholds_must_be_in_order(tiers, message):
    with pytest.raises(config.ParamsError, match=message):
        config.section({"score": {"tiers": tiers}}, "score")


def test_the_score_stage_reports_a_broken_rule_in_one_line_with_exit_code_1(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"playbook": {"segment_rules": [
        {**RULE, "conditions": [{"column": "tenure_days", "op": ">=", "value": "two years"}]}]}}))
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "score", "--params", str(params)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "score failed" in proc.stderr and "is not a number" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def _names(names):
    """``business.display_names`` as a stage that shows names reads them: checked by the names' own schema."""
    return config.Params({"business": {"display_names": names}}).checked("business.display_names",
                                                                          check_display_names)


def test_display_names_take_event_types_columns_and_values_and_name_a_bad_key():
    names = yaml.safe_load("""
      newfriend: {en: friend invitation, ja: 友達招待}
      paid_social: paid social ads
      plan change: {one: plan change, other: plan changes}
      acquisition_channel:
        en: Channel
        values: {paid_social: {en: social ads, ja: SNS広告}}
      is_senior: {values: {0: not senior, 1: senior}}
      loyalty_member: {values: {true: member, false: {en: not a member, ja: 非会員}}}
    """)
    got = _names(names)
    assert got["newfriend"] == {"en": "friend invitation", "ja": "友達招待"} and got["paid_social"] == "paid social ads"
    assert got["acquisition_channel"] == {"en": "Channel",
                                          "values": {"paid_social": {"en": "social ads", "ja": "SNS広告"}}}
    assert got["is_senior"]["values"] == {"0": "not senior", "1": "senior"}, "numbers as the data's text"
    assert set(got["loyalty_member"]["values"]) == {"true", "false"}
    assert _names(None) == {}


@pytest.mark.parametrize("names, message", [
    ({"newfriend": 3}, "business.display_names: .*display_names.newfriend: expected a name"),
    ({"newfriend": {"en": "friend invitation", "fr": "invitation"}}, r"display_names\.newfriend\.fr: unknown key"),
    ({"channel": {"vaules": {"paid_social": "ads"}}}, r"display_names\.channel\.vaules: unknown key"),
    ({"channel": {"values": ["paid_social"]}}, r"display_names\.channel\.values: expected a mapping"),
    ({"channel": {"values": {"paid_social": {"en": "ads", "de": "Anzeigen"}}}},
     r"display_names\.channel\.values\.paid_social\.de: unknown key"),
    ({"channel": {"values": {"paid_social": ""}}}, r"display_names\.channel\.values\.paid_social: expected a name"),
    ({"newfriend": {"en": "friend invitation", "one": "friend invitation"}}, "not both"),
    ({"newfriend": {"other": "friend invitations"}}, "'other' needs 'one'"),
    ({"newfriend": {"en": {"one": "friend invitation", "many": "x"}}}, r"display_names\.newfriend\.en\.many"),
])
def test_a_broken_display_name_is_a_params_error_naming_its_key(names, message):
    with pytest.raises(config.ParamsError, match=message):
        _names(names)
