"""Ranking and money metrics on known cases."""

from __future__ import annotations

import numpy as np
import pytest

from models.evaluation import metrics as M
from tests.models.worlds import miscalibrated


def test_ranking_metrics_on_a_known_case():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    assert M.recall_top_fraction(y, p, 0.2) == pytest.approx(2 / 3)
    assert M.precision_at_k(y, p, 2) == 1.0
    assert M.precision_at_k(y, p, 100) == pytest.approx(0.3)
    seg = M.segment_auc(y, p, np.array(["a"] * 5 + ["b"] * 5), min_rows=1)
    assert seg["a"] == 1.0 and seg["b"] == 0.0
    g = M.gains(y, p, n_points=11)
    assert g["gain"][0] == 0 and g["gain"][-1] == 1 and g["gain"][2] == pytest.approx(2 / 3)


def test_profit_curve_counts_contacts_and_kept_churners():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.9, 0.8, 0.7, 0.1])
    curve = M.profit_curve(y, p, value=100.0, contact_cost=10.0, acceptance_rate=0.5, n_points=5)
    # share 0.25: one contact, one churner kept half the time: 50 - 10
    np.testing.assert_allclose(curve["profit"], [0, 40, 30, 70, 60])
    best, share = M.max_profit(curve)
    assert best == 70 and share == 0.75
    np.testing.assert_allclose(curve["expected_profit"][1], 0.5 * 0.9 * 100 - 10)


def test_reliability_bins_cover_every_row():
    raw, y = miscalibrated(n=1003)
    rel = M.reliability(y, raw, n_bins=10)
    assert rel["rows"].sum() == 1003 and len(rel["bin"]) == 10
    assert np.all(np.diff(rel["mean_predicted"]) >= 0)
