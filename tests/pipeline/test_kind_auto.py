"""``auto`` in label.mode, label.horizon_days and featurize.passive_event_types follows the kind of business."""

from __future__ import annotations

import pytest
import yaml

from features.synthetic.noncontract import PASSIVE_EVENT_TYPES
from pipeline.core import config
from tests.paths import REPO

AUTO = {"label": {"mode": "auto", "horizon_days": "auto"}, "featurize": {"passive_event_types": "auto"}}


def _resolved(**sections) -> tuple[config.LabelParams, config.FeaturizeParams]:
    raw = {**AUTO, **sections}
    params = config.Params(raw)
    return params.label, params.featurize


def test_auto_in_the_default_world_is_todays_subscription_values():
    label, feat = _resolved()
    assert (label.mode, label.horizon_days) == ("churn_date", 30)
    assert feat.passive_event_types == ("payment_failed", "plan_change", "price_change", "nps")


def test_auto_follows_generate_kind_non_contract_to_a_consistent_retailer():
    label, feat = _resolved(generate={"kind": "non_contract"})
    assert (label.mode, label.horizon_days) == ("inactivity", 90)
    assert set(PASSIVE_EVENT_TYPES) <= set(feat.passive_event_types)


@pytest.mark.parametrize("source", ["dir", "telco"])
def test_auto_reads_an_export_and_telco_as_a_subscription_whatever_generate_kind_says(source):
    label, _ = _resolved(generate={"kind": "non_contract"}, data={"source": source})
    assert (label.mode, label.horizon_days) == ("churn_date", 30)


def test_explicit_values_win_over_auto():
    label, feat = _resolved(generate={"kind": "non_contract"}, label={"mode": "inactivity", "horizon_days": 60},
                            featurize={"passive_event_types": ["email_open", "price_change", "sms"]})
    assert label.horizon_days == 60 and feat.passive_event_types == ("email_open", "price_change", "sms")


@pytest.mark.parametrize(("values", "message"), [
    ({"label": {"horizon_days": 0}}, "horizon_days must be auto or a positive"),
    ({"label": {"mode": "automatic"}}, "label.mode"),
])
def test_a_wrong_value_is_still_refused_with_its_key(values, message):
    with pytest.raises(config.ParamsError, match=message):
        _resolved(**values)


def test_params_yaml_sets_the_kind_dependent_values_to_auto():
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    assert params["label"]["mode"] == params["label"]["horizon_days"] == "auto"
    assert params["featurize"]["passive_event_types"] == "auto"


def test_the_module_level_section_reader_resolves_auto_too():
    raw = {**AUTO, "generate": {"kind": "non_contract"}}
    assert config.section(raw, "label").mode == "inactivity"
    assert config.section(raw, "featurize").passive_event_types == ("email_open", "price_change")
