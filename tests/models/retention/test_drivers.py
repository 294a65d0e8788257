"""The driver family: the largest sum of risk-raising contributions; windows longer than the tenure count for tenure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.catalog import FAMILIES
from models.retention.drivers import driver_first, family_scores, history_days
from models.retention.reasons.select import top_reasons


def test_driver_family_is_the_largest_sum_of_risk_raising_contributions():
    names = ["events_login_count_30d", "events_login_count_90d", "days_since_last_event", "tickets_count_30d"]
    contrib = np.array([
        [0.3, 0.3, 0.5, -0.2],    # usage adds up to 0.6 > engagement's single 0.5
        [0.1, -0.4, 0.5, 0.0],    # negative usage parts do not count, engagement leads
        [-0.1, -0.1, -0.1, -0.1],  # nothing raises risk
        [np.nan, 0.2, 0.1, 0.15],
    ])
    scores = family_scores(contrib, names)
    assert scores[0, FAMILIES.index("usage")] == pytest.approx(0.6)
    ranking = driver_first(contrib, names)
    assert ranking[0].argmax() in (0, 1) and ranking[1].argmax() == 2
    np.testing.assert_array_equal(ranking[2], contrib[2])
    assert np.nanargmax(ranking[3]) == 1
    frame = pd.DataFrame(np.ones((4, 4)), columns=names)
    reasons = top_reasons(frame, ranking, names, top_k=3)
    assert list(reasons["driver_family"]) == ["usage", "engagement", "", "usage"]
    assert reasons.loc[0, "reason_family_2"] == "engagement"  # the rest follow by contribution


def test_windows_longer_than_the_tenure_count_for_tenure_in_the_driver_family():
    assert history_days("events_login_count_90d") == 90 and history_days("active_days_7d") == 7
    assert history_days("events_total_change_30d_vs_prev_30d") == 60 and history_days("weeks_active_share_84d") == 84
    assert history_days("tickets_count_90d") is None and history_days("tenure_days") is None
    assert history_days("days_since_last_event") is None
    names = ["events_login_count_90d", "events_login_count_7d", "active_days_30d", "tenure_days", "tickets_count_30d"]
    contrib = np.array([
        [0.5, 0.1, 0.3, 0.2, 0.0],    # joined 20 days ago: the 90- and 30-day windows are early life
        [0.5, 0.1, 0.3, 0.2, 0.0],    # 200 days: usage as before
        [0.5, 0.1, 0.3, -0.1, 0.0],   # 20 days, but tenure_days itself lowers the risk: it may not lead
        [0.5, 0.1, 0.3, 0.2, 0.0],    # tenure unknown: nothing moves
        [-0.2, 0.0, -0.1, 0.1, 0.4],  # 20 days: only risk-raising contributions move (none here)
    ])
    tenure = np.array([20.0, 200.0, 20.0, np.nan, 20.0])
    scores = family_scores(contrib, names, tenure)
    cols = [FAMILIES.index(f) for f in ("usage", "engagement", "tenure")]
    np.testing.assert_allclose(scores[0, cols], [0.1, 0.0, 1.0])
    np.testing.assert_allclose(scores[1], family_scores(contrib, names)[1])
    np.testing.assert_allclose(scores[3], family_scores(contrib, names)[3])
    np.testing.assert_allclose(scores[4], family_scores(contrib, names)[4])
    np.testing.assert_allclose(family_scores(contrib, names[:3] + ["plan", names[4]], tenure),
                               family_scores(contrib, names[:3] + ["plan", names[4]]))  # no tenure_days feature
    ranking = driver_first(contrib, names, tenure)
    assert list(ranking.argmax(axis=1)) == [3, 0, 0, 0, 4]
    np.testing.assert_array_equal(ranking[2], contrib[2])  # no feature of the driver family raises the risk
    np.testing.assert_array_equal(driver_first(contrib, names), driver_first(contrib, names, None))
    frame = pd.DataFrame(np.ones((5, 5)), columns=names)
    frame["tenure_days"] = [20.0, 200.0, 20.0, np.nan, 20.0]
    reasons = top_reasons(frame, ranking, names, top_k=2)
    assert list(reasons["driver_family"]) == ["tenure", "usage", "usage", "usage", "complaints"]
    assert "tenure_days" not in reasons.loc[2, "reason_codes"] and "TENURE" not in reasons.loc[2, "reason_codes"]
    assert reasons.loc[0, "reason_family_2"] == "usage"  # the rest still follow by contribution
    with pytest.raises(ValueError, match="tenure_days has shape"):
        family_scores(contrib, names, tenure[:2])
