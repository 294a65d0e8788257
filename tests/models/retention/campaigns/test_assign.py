"""The control group: stratified, drawn by a hash, the same on a rerun, new for a new campaign."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.retention.campaigns.assign import assign_groups, assignments, hash_uniform, targeted


def _scored(n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    p = np.sort(rng.random(n))[::-1]
    return pd.DataFrame({
        "rank": np.arange(1, n + 1), "customer_id": [f"C{i:05d}" for i in rng.permutation(n)],
        "churn_probability": p,
        "risk_tier_code": np.where(np.arange(n) < 100, "high", np.where(np.arange(n) < 400, "medium", "low")),
        "action_code": rng.choice(["SERVICE_RECOVERY_CALL", "BILLING_REVIEW", "SUCCESS_CHECKIN"], n),
        "driver_family": rng.choice(["complaints", "billing", "usage"], n),
    })


def test_hash_is_uniform_and_depends_on_the_campaign():
    keys = [f"C{i}" for i in range(20000)]
    u = hash_uniform(keys, "2024-12-31")
    assert 0 <= u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.01
    assert np.corrcoef(u, hash_uniform(keys, "2025-01-31"))[0, 1] < 0.05


def test_groups_are_stratified_and_only_among_the_targeted():
    scored = _scored()
    groups = assign_groups(scored, "c1", 0.2, ["high", "medium"])
    out = scored.join(groups)
    assert set(out.loc[out["risk_tier_code"] == "low", "campaign_group"]) == {""}
    assert set(out.loc[out["risk_tier_code"] != "low", "campaign_group"]) == {"contact", "holdout"}
    share = out[out["campaign_group"] != ""].groupby(["risk_tier_code", "action_code"])["campaign_group"].apply(
        lambda g: (g == "holdout").mean())
    assert share.between(0.15, 0.25).all(), share
    assert (out.loc[out["campaign_group"] != "", "campaign_id"] == "c1").all()


def test_reruns_give_the_same_groups_whatever_the_row_order_and_new_campaigns_new_ones():
    scored = _scored()
    first = scored.join(assign_groups(scored, "c1", 0.1, ["high", "medium"]))
    shuffled = scored.sample(frac=1.0, random_state=3)
    again = shuffled.join(assign_groups(shuffled, "c1", 0.1, ["high", "medium"]))
    a = first.set_index("customer_id")["campaign_group"]
    pd.testing.assert_series_equal(a, again.set_index("customer_id")["campaign_group"].reindex(a.index))
    other = scored.join(assign_groups(scored, "c2", 0.1, ["high", "medium"])).set_index("customer_id")
    held = a == "holdout"
    assert (other.loc[held, "campaign_group"] == "holdout").mean() < 0.5


def test_top_share_targets_the_ranked_list():
    scored = _scored(1000)
    assert targeted(scored, 0.05).sum() == 50
    groups = assign_groups(scored, "c", 0.5, 0.05)
    assert (groups["campaign_group"] != "").sum() == 50


def test_small_strata_are_held_out_in_proportion_on_average():
    tiny = pd.DataFrame({"rank": [1, 2, 3], "customer_id": ["a", "b", "c"], "risk_tier_code": ["high"] * 3,
                         "action_code": ["X", "Y", "Z"]})
    held = sum((assign_groups(tiny, f"c{i}", 0.1, ["high"])["campaign_group"] == "holdout").sum()
               for i in range(2000))
    assert held / 6000 == pytest.approx(0.1, abs=0.02)


def test_assignments_file_has_the_contacts_shape():
    scored = _scored(500)
    scored = scored.join(assign_groups(scored, "c", 0.1, ["high"]))
    out = assignments(scored, "2024-12-31")
    assert len(out) == 100
    assert {"customer_id", "campaign_id", "group", "action_code", "risk_tier", "driver_family"} <= set(out.columns)
    assert set(out["group"]) == {"contact", "holdout"}


def test_control_share_out_of_range_is_refused():
    with pytest.raises(ValueError, match="control_share"):
        assign_groups(_scored(10), "c", 1.0, ["high"])
