"""The baselines the model must beat: the rule-based health score and the logistic regression."""

from __future__ import annotations

import numpy as np
import pandas as pd
from models.evaluation.baselines import fit_logistic, health_score, health_signals_used, predict_logistic


def test_health_score_ranks_recency_and_decline_and_skips_missing_columns():
    frame = pd.DataFrame({"days_since_last_event": [1, 50, 10, np.nan],
                          "events_total_change_30d_vs_prev_30d": [5, -10, 0, 0]})
    s = health_score(frame)
    assert s.argmax() == 1 and s.argmin() == 0
    assert health_signals_used(frame) == ["days_since_last_event", "events_total_change_30d_vs_prev_30d"]
    assert np.all(health_score(pd.DataFrame({"x": [1, 2]})) == 0.5)


def test_logistic_baseline_handles_missing_values_and_unseen_levels():
    rng = np.random.default_rng(0)
    n = 300
    train = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "plan": rng.choice(["x", "y"], n)})
    train.loc[::7, "a"] = np.nan
    train.loc[::11, "plan"] = None
    y = (train["b"] + rng.normal(scale=0.5, size=n) > 0.5).astype(int).to_numpy()
    pipe = fit_logistic(train, y, ["a", "b", "plan"], ["plan"])
    test = pd.DataFrame({"a": [np.nan, 0.0], "b": [2.0, -2.0], "plan": ["z", "x"]})
    p = predict_logistic(pipe, test)
    assert p.shape == (2,) and p[0] > p[1]


def test_health_score_ignores_recency_that_only_restates_tenure():
    tenure = pd.Series([10.0, 400.0, 50.0, 900.0])
    frame = pd.DataFrame({"days_since_last_event": tenure, "tenure_days": tenure})
    assert health_signals_used(frame) == ["tenure_days"]
    assert health_score(frame).argmax() == 0          # the newest customer is the riskiest
