import numpy as np
import pytest

from models.uplift.metrics import auuc, evaluate, profit_curve, qini_coefficient, qini_curve, uplift_at
from tests.models.uplift.worlds import campaign

# Six customers, ranked as listed (score 6..1). Worked by hand in the comments below.
SCORE = np.array([6, 5, 4, 3, 2, 1])
TREATED = np.array([1, 0, 1, 1, 0, 0])
CHURNED = np.array([0, 1, 0, 1, 0, 1])


def test_qini_curve_by_hand():
    # k=2: 1 held out churned, scaled to 1 contacted, none of them churned -> 1; k=3: scaled to 2 -> 2;
    # k=4: 3 contacted, 1 churned -> 3 - 1 = 2; k=5: 1 of 2 held out churned -> 1.5 - 1; k=6: 2/3 x 3 - 1.
    np.testing.assert_allclose(qini_curve(SCORE, TREATED, CHURNED), [0, 0, 1, 2, 2, 0.5, 1])


def test_qini_coefficient_by_hand():
    # area over the random line: (1/6)(-1/6 + 2/3 + 3/2 + 4/3 - 1/3) = 1/2; the optimum's curve is
    # [0, 0, 0, 2, 2, 2, 1], area 21/36; so 0.5 / (21/36) = 6/7.
    assert qini_coefficient(SCORE, TREATED, CHURNED) == pytest.approx(6 / 7)
    assert qini_coefficient(-SCORE, TREATED, CHURNED) < qini_coefficient(SCORE, TREATED, CHURNED)


def test_auuc_and_uplift_at_depth_by_hand():
    # U(k)/6 = [0, 0, 2, 3, 8/3, 5/6, 2] / 6, trapezoid over x = k/6 -> 57/216
    assert auuc(SCORE, TREATED, CHURNED) == pytest.approx(57 / 216)
    assert uplift_at(SCORE, TREATED, CHURNED, 4) == pytest.approx(1 - 1 / 3)
    assert np.isnan(uplift_at(SCORE, TREATED, CHURNED, 1))     # no held-out customer in the top 1


def test_profit_curve_by_hand():
    curve = profit_curve(SCORE, TREATED, CHURNED, np.full(6, 10.0), contact_cost=1.0, points=7)
    assert curve["n_contacted"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    row = curve.set_index("n_contacted").loc[4]
    assert row["saved_value"] == pytest.approx((10 - 10 / 3) * 4)
    assert row["profit"] == pytest.approx((10 - 10 / 3) * 4 - 4)


def test_the_truth_ranks_above_risk_and_random_with_intervals():
    X, t, y, _, tau, p0 = campaign(n=20000, seed=5)
    rankings = {"truth": tau, "risk": p0, "random": np.random.default_rng(0).random(len(t))}
    ev = evaluate(rankings, t, y, depth=5000, n_boot=100, seed=3)
    q, lo, hi = ev.qini("truth")
    assert lo <= q <= hi and lo > 0.0
    assert ev.qini("random")[1] < 0 < ev.qini("random")[2]
    d, d_lo, _ = ev.difference("truth", "risk")
    assert d > 0 and d_lo > 0
    assert ev.table["truth"]["uplift_at_depth"][0] > ev.table["risk"]["uplift_at_depth"][0]
    again = evaluate(rankings, t, y, depth=5000, n_boot=100, seed=3)
    assert again.table == ev.table
