"""The expected spend: which event is spend, and the non-contract value model against BG/NBD's own world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.clv.bgnbd import BGNBD
from models.clv.simulate import simulate_with_holdout
from models.clv.spend import expected_spend, spend_event_type


def test_the_spend_event_is_named_purchase_or_order_else_the_largest_value():
    cols = ["events_items_value_sum_all", "events_purchase_value_sum_all", "tenure_days"]
    assert spend_event_type(cols) == "purchase"
    assert spend_event_type(["events_order_value_sum_all", "events_session_value_sum_all"]) == "order"
    assert spend_event_type(["events_a_value_sum_all", "events_b_value_sum_all"], totals={"a": 5.0, "b": 9.0}) == "b"
    assert spend_event_type(["tenure_days"]) is None
    assert spend_event_type(cols, "items") == "items" and spend_event_type(cols, "refund") is None


def _histories(n: int, seed: int, truth: BGNBD, spend_per_day: float):
    rng = np.random.default_rng(seed)
    T = rng.uniform(60, 500, n)
    x, t_x, hold = simulate_with_holdout(truth, T, 365.0, rng)
    active = x + 1
    return pd.DataFrame({"repeat_active_days": x, "activity_span_days": t_x, "days_since_first_activity": T,
                         "active_days_all": active,
                         "events_purchase_value_sum_all": active * spend_per_day * rng.lognormal(0, 0.2, n)}), hold


def test_expected_spend_on_bgnbds_own_world_matches_the_spend_that_followed():
    truth = BGNBD(r=0.5, alpha=20.0, a=2.5, b=7.5)
    histories, future_days = _histories(20_000, 3, truth, 40.0)
    spend, model = expected_spend(histories, histories, "purchase", 12)
    per_day = histories["events_purchase_value_sum_all"] / histories["active_days_all"]
    realised = future_days * per_day
    assert spend.mean() == pytest.approx(realised.mean(), rel=0.05)
    assert np.corrcoef(spend, realised)[0, 1] > 0.5
    assert set(model) == {"bgnbd", "spend_per_active_day_fallback", "spend_event_type", "months"}


def test_a_customer_never_active_gets_the_mean_spend_per_active_day():
    truth = BGNBD(r=0.5, alpha=20.0, a=2.5, b=7.5)
    histories, _ = _histories(2_000, 4, truth, 40.0)
    newcomer = histories.head(1).assign(repeat_active_days=0.0, activity_span_days=0.0, days_since_first_activity=0.0,
                                        active_days_all=0.0, events_purchase_value_sum_all=np.nan)
    spend, model = expected_spend(histories, newcomer, "purchase", 12)
    assert np.isfinite(spend).all() and spend[0] > 0
    assert model["spend_per_active_day_fallback"] == pytest.approx(40.0, rel=0.1)
