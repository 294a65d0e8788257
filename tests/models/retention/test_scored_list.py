"""The scored list's layout, shared by the score stage and Spark: rank order, columns, the rules' columns."""

from __future__ import annotations

import pandas as pd

from models.retention.playbook import default_playbook
from models.retention.scored_list import COLUMNS, ranked, segment_columns


def _scored() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["c", "a", "b", "d"], "churn_probability": [0.4, 0.9, 0.4, None],
        "reason_2": ["r2"] * 4, "reason_1": ["r1"] * 4, "reason_10": ["r10"] * 4, "risk_tier": ["m", "h", "m", "l"],
        "action_code": ["x"] * 4, "risk_tier_code": ["t"] * 4, "region": ["n", "s", "n", "e"],
        "reason_reference": ["annual"] * 4, "MRR": [10.0, 20.0, 30.0, 40.0]})


def test_ranked_by_risk_then_id_with_the_public_columns_first():
    out = ranked(_scored(), "churn_probability", ["region", "reason_1"])
    assert out["customer_id"].tolist() == ["a", "b", "c", "d"], "ties by id; a missing score ranks last"
    assert out["rank"].tolist() == [1, 2, 3, 4]
    assert out.columns.tolist() == ["rank", "customer_id", "churn_probability", "risk_tier", "reason_1", "reason_2",
                                    "reason_10", "action_code", "risk_tier_code", "region", "reason_reference"]
    assert [c for c in out.columns if c in COLUMNS] == [c for c in COLUMNS if c in out.columns], "COLUMNS' order"


def test_segment_columns_read_the_revenue_column_as_monthly_fee():
    playbook = default_playbook()
    fee = segment_columns(_scored(), playbook, "MRR", "fee")
    assert fee["monthly_fee"].tolist() == [10.0, 20.0, 30.0, 40.0], "the default rules read monthly_fee"
    assert {"region", "MRR"} <= set(fee.columns)
    assert "monthly_fee" not in segment_columns(_scored(), playbook, "MRR", "spend").columns, \
        "a spend basis has no fee column"


def test_the_campaign_segment_is_the_driver_and_the_action_as_codes():
    from models.retention.segment_key import campaign_segment
    got = campaign_segment(pd.Series(["usage", "", None, "complaints"]),
                           pd.Series(["WINBACK_OFFER", "NURTURE", "NURTURE", "SERVICE_RECOVERY"]))
    assert got.tolist() == ["usage/WINBACK_OFFER", "none/NURTURE", "none/NURTURE", "complaints/SERVICE_RECOVERY"]
    out = ranked(_scored().assign(segment=["a/x", "b/x", "a/x", "c/x"]), "churn_probability", ["region"])
    assert out.columns[-1] == "segment" and out["segment"].tolist() == ["b/x", "a/x", "a/x", "c/x"]
