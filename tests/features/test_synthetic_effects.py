"""The synthetic world's effect design and its truth at the scoring date (``effects_at_score``).

The effects must vary with what the data shows (sleeping dogs are the dormant, the decided hardly respond) and
not in step with risk, and the truth must be there for every customer active at the scoring date and every
action a playbook can recommend.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from features.cutoffs import schedule
from features.synthetic.subscription import CampaignConfig, SyntheticConfig
from features.synthetic.subscription.at_score import ACTIONS
from features.synthetic.subscription.effects import DOG_IDLE_DAYS, DOG_MAX_USAGE
from pipeline.core import config
from pipeline.stages.generate import write_world

CUTOFFS = schedule(dt.date(2023, 6, 30), dt.date(2024, 12, 31), "month_end", 30)
END = dt.date(2024, 12, 31)
USAGE = ("login", "session", "feature_use")


def _world(root, design="heterogeneous", score_date=None, n=3000):
    write_world(root / "raw", root / "gt", SyntheticConfig(n_customers=n, seed=11, campaigns=CampaignConfig(
        effects=design, score_date=score_date)), CUTOFFS, 30)
    return root


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return _world(tmp_path_factory.mktemp("heterogeneous"))


@pytest.fixture(scope="module")
def truth(world):
    return pd.read_parquet(world / "gt/effects_at_score.parquet")


def _fitting(truth: pd.DataFrame) -> pd.DataFrame:
    """One row per customer: the action that fits the true driver (the first, for tenure's two)."""
    return truth[truth["fits_driver"]].drop_duplicates("customer_id").set_index("customer_id")


def _active_at(root, day: dt.date) -> set[str]:
    c = pd.read_parquet(root / "raw/customers.parquet")
    signup, churn = pd.to_datetime(c["signup_date"]), pd.to_datetime(c["churn_date"])
    d = pd.Timestamp(day)
    return set(c.loc[(signup <= d) & (churn.isna() | (churn > d)), "customer_id"])


def test_every_active_customer_at_the_scoring_date_has_every_action(world, truth):
    active = _active_at(world, END)
    assert set(truth["customer_id"]) == active
    assert len(truth) == len(active) * len(ACTIONS)
    assert (truth.groupby("customer_id")["action_code"].nunique() == len(ACTIONS)).all()
    assert (truth["scored_at"] == END).all()
    np.testing.assert_allclose(truth["true_effect"], truth["p_treated"] - truth["p_untreated"])
    assert truth[["p_untreated", "p_treated"]].apply(lambda s: s.between(0, 1).all()).all()


def test_at_the_data_s_last_day_the_untreated_truth_is_the_oracle(world, truth):
    """With no future to walk, the truth is the frozen oracle's arithmetic (``oracle_probability_frozen``): the
    same probability (but for customers a campaign's action still works on in the first horizon week, which the
    oracle includes)."""
    oracle = pd.read_parquet(world / "gt/oracle.parquet")
    oracle = oracle[oracle["cutoff"] == END].set_index("customer_id")["oracle_probability_frozen"]
    effects = pd.read_parquet(world / "gt/campaign_effects.parquet")
    last = effects[effects["cutoff"] == effects["cutoff"].max()]
    treated = set(last.loc[(last["group"] == "contact") & last["reached"], "customer_id"])
    p0 = truth.drop_duplicates("customer_id").set_index("customer_id")["p_untreated"]
    keep = p0.index.difference(list(treated))
    assert len(keep) > 0.75 * len(p0)
    np.testing.assert_allclose(p0[keep], oracle[keep], rtol=1e-9)


def _observed(root, day: dt.date) -> pd.DataFrame:
    """Per customer, from the raw tables, as the world's state sees them at the start of the week holding
    ``day + 1`` (the hazard's week: data up to a day at or before ``day``): days since the last event (since
    signup without one) and usage events in the 8 weeks before."""
    start = dt.date(2023, 1, 1)
    week_start = pd.Timestamp(start + dt.timedelta(days=7 * (((day - start).days + 1) // 7)))
    ev = pd.read_parquet(root / "raw/events.parquet")
    ev = ev[ev["timestamp"] < week_start]
    customers = pd.read_parquet(root / "raw/customers.parquet").set_index("customer_id")
    last = ev.groupby("customer_id")["timestamp"].max().dt.normalize()
    last = last.reindex(customers.index).fillna(pd.to_datetime(customers["signup_date"]))
    usage = ev[ev["event_type"].isin(USAGE) & (ev["timestamp"] >= week_start - pd.Timedelta(weeks=8))]
    return pd.DataFrame({"idle_days": (week_start - last).dt.days,
                         "usage_8w": usage.groupby("customer_id").size()}).fillna({"usage_8w": 0})


def test_sleeping_dogs_are_marked_by_idleness_and_low_usage(world, truth):
    fit = _fitting(truth).join(_observed(world, END), how="left")
    dormant = (fit["idle_days"] >= DOG_IDLE_DAYS) & (fit["usage_8w"] <= DOG_MAX_USAGE)
    pd.testing.assert_series_equal(dormant, fit["dormant"], check_names=False)   # the mark is in the raw tables
    assert dormant.sum() > 50
    assert fit.loc[dormant, "sleeping_dog"].mean() > 0.8       # the observable mark makes most of them
    assert fit.loc[~dormant, "sleeping_dog"].mean() < 0.03     # few dogs that nothing marks
    assert 0.03 < fit["sleeping_dog"].mean() < 0.25
    # every action pushes a sleeping dog away, and only a sleeping dog
    assert (truth.loc[truth["sleeping_dog"], "true_effect"] > 0).all()
    assert (truth.loc[~truth["sleeping_dog"], "true_effect"] <= 0).all()


def test_customers_who_have_decided_hardly_respond(truth):
    fit = _fitting(truth)
    fit = fit[~fit["sleeping_dog"]]
    relative = -fit["true_effect"] / fit["p_untreated"]       # the share of their churn a call prevents
    assert fit["decided"].sum() > 20
    assert relative[fit["decided"]].median() < 0.2 * relative[~fit["decided"]].median()


def test_effects_are_not_in_step_with_risk(truth):
    """Among the riskiest fifth (the list risk ranking contacts) the effect hardly follows the probability, and
    the best targets (largest fall) are not the riskiest."""
    fit = _fitting(truth)
    top = fit[fit["p_untreated"].rank(pct=True, method="first") > 0.8]
    rho = spearmanr(top["true_effect"], top["p_untreated"])[0]
    assert abs(rho) < 0.4, rho
    k = len(top)
    by_risk = -top["true_effect"].sum()
    by_effect = -fit.nsmallest(k, "true_effect")["true_effect"].sum()
    assert by_effect > 1.5 * by_risk
    assert top["sleeping_dog"].mean() > fit["sleeping_dog"].mean()   # dogs crowd the risk list


def test_a_uniform_world_has_the_same_shift_for_everyone(tmp_path):
    truth = pd.read_parquet(_world(tmp_path, "uniform", n=1500) / "gt/effects_at_score.parquet")
    assert not truth["sleeping_dog"].any() and not truth["decided"].any() and (truth["true_effect"] < 0).all()
    per_customer = truth.groupby("customer_id")["true_effect"]
    np.testing.assert_allclose(per_customer.max(), per_customer.min())   # the action does not matter
    fit = _fitting(truth)
    assert spearmanr(fit["true_effect"], fit["p_untreated"])[0] < -0.9   # risk ranking is the right ranking


def test_an_earlier_scoring_date_covers_the_customers_active_then(tmp_path):
    day = dt.date(2024, 10, 31)
    root = _world(tmp_path, score_date=day, n=1500)
    truth = pd.read_parquet(root / "gt/effects_at_score.parquet")
    assert (truth["scored_at"] == day).all()
    assert set(truth["customer_id"]) == _active_at(root, day)


def test_same_seed_same_truth(world, tmp_path):
    again = _world(tmp_path)
    assert (again / "gt/effects_at_score.parquet").read_bytes() == (world / "gt/effects_at_score.parquet").read_bytes()


def test_an_unknown_effect_design_is_refused():
    with pytest.raises(config.ParamsError, match=r"generate.campaigns.effects"):
        config.section({"generate": {"campaigns": {"enabled": True, "effects": "random"}}}, "generate")
    with pytest.raises(ValueError, match="effects must be one of"):
        CampaignConfig(effects="random")


def test_the_truth_does_not_depend_on_the_number_of_workers(tmp_path):
    digests = []
    for name, workers in (("a", 1), ("b", 2)):
        root = tmp_path / name
        write_world(root / "raw", root / "gt", SyntheticConfig(n_customers=1200, seed=3, chunk_customers=500,
                                                               workers=workers, campaigns=CampaignConfig()),
                    CUTOFFS, 30)
        digests.append((root / "gt/effects_at_score.parquet").read_bytes())
    assert digests[0] == digests[1]
