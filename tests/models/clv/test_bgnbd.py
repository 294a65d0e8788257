"""BG/NBD: the likelihood against the paper's closed form, the expectations against simulation and
numerical integration of their definitions, parameter recovery, ranking power on simulated
holdouts, and degenerate inputs. Every test turns warnings into errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.special import betaln
from sklearn.metrics import roc_auc_score

from models.clv.bgnbd import BGNBD
from models.clv.fit import fit_bgnbd
from models.clv.simulate import simulate, simulate_with_holdout

pytestmark = pytest.mark.filterwarnings("error")

# The paper's CDNOW estimates (weeks) with alpha rescaled to days; a < 1, so the closed form's
# division by a - 1 is exercised on the "wrong" side. The second set has a > 1.
CDNOW_DAYS = BGNBD(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)
A_ABOVE_1 = BGNBD(r=0.5, alpha=20.0, a=2.5, b=7.5)
PARAM_SETS = pytest.mark.parametrize("params", [CDNOW_DAYS, A_ABOVE_1], ids=["cdnow_days", "a_above_1"])


def _calibration(params: BGNBD, n: int, seed: int, holdout: float = 0.0):
    """n simulated customers with ages uniform in [180, 540] days, and their holdout purchases."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(180, 540, n)
    x, t_x, x_hold = simulate_with_holdout(params, T, holdout, rng)
    return x, t_x, T, x_hold


def _mean_p(p: BGNBD) -> float:
    return p.a / (p.a + p.b)


# --- 1. parameter recovery ---------------------------------------------------

@PARAM_SETS
def test_fit_recovers_the_parameters_of_simulated_customers(params):
    # Over 60 seeds at this size the relative errors had sd <= 2.4% (r), 4% (alpha), 4.4% (mean
    # dropout a/(a+b)), so 15% is >= 3.4 sd. a and b alone are weakly identified (sd 8-15%).
    x, t_x, T, _ = _calibration(params, 8000, seed=11)
    fit = fit_bgnbd(x, t_x, T)
    assert fit.r == pytest.approx(params.r, rel=0.15)
    assert fit.alpha == pytest.approx(params.alpha, rel=0.15)
    assert _mean_p(fit) == pytest.approx(_mean_p(params), rel=0.15)
    assert (fit.a > 1) == (params.a > 1)  # the fit is not constrained to either side of a = 1
    assert fit_bgnbd(x, t_x, T) == fit  # deterministic


def test_fit_reaches_a_maximum_of_the_likelihood():
    x, t_x, T, _ = _calibration(CDNOW_DAYS, 3000, seed=5)
    fit = fit_bgnbd(x, t_x, T)
    best = fit.log_likelihood(x, t_x, T).sum()
    for field in ("r", "alpha", "a", "b"):
        for factor in (0.98, 1.02):
            moved = BGNBD(**{**fit.to_dict(), field: getattr(fit, field) * factor})
            assert moved.log_likelihood(x, t_x, T).sum() < best


def test_weights_are_counts_of_identical_histories():
    x, t_x, T, _ = _calibration(A_ABOVE_1, 400, seed=2)
    rows = np.arange(len(x))
    counts = 1 + rows % 3
    expanded = np.repeat(rows, counts)
    by_weight = fit_bgnbd(x, t_x, T, weights=counts)
    by_rows = fit_bgnbd(x[expanded], t_x[expanded], T[expanded])
    for key, value in by_weight.to_dict().items():
        assert value == pytest.approx(by_rows.to_dict()[key], rel=1e-4)


# --- 2. likelihood against the paper's eq. 6 ----------------------------------

def _reference_log_likelihood(p: BGNBD, x: int, t_x: float, T: float) -> float:
    """Eq. 6 evaluated term by term with math.lgamma, outside log space (fine for moderate x)."""
    def lbeta(u: float, v: float) -> float:
        return math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)

    gamma_part = math.lgamma(p.r + x) - math.lgamma(p.r) + p.r * math.log(p.alpha)
    active = math.exp(lbeta(p.a, p.b + x) - lbeta(p.a, p.b) + gamma_part - (p.r + x) * math.log(p.alpha + T))
    dropped = 0.0
    if x > 0:
        dropped = math.exp(lbeta(p.a + 1, p.b + x - 1) - lbeta(p.a, p.b) + gamma_part
                           - (p.r + x) * math.log(p.alpha + t_x))
    return math.log(active + dropped)


HISTORIES = [(0, 0.0, 0.0), (0, 0.0, 272.0), (1, 14.0, 266.0), (2, 30.43, 38.86), (7, 180.0, 200.0),
             (30, 350.5, 365.0), (100, 1500.0, 2000.0), (3, 0.0, 10.0)]


@pytest.mark.parametrize("params", [CDNOW_DAYS, A_ABOVE_1, BGNBD(3.1, 0.7, 0.05, 40.0)],
                         ids=["cdnow_days", "a_above_1", "odd"])
def test_log_likelihood_matches_a_direct_evaluation_of_eq_6(params):
    x, t_x, T = (np.array(col, dtype=float) for col in zip(*HISTORIES))
    got = params.log_likelihood(x, t_x, T)
    want = [_reference_log_likelihood(params, int(h[0]), h[1], h[2]) for h in HISTORIES]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    assert got[0] == 0.0  # a customer seen only at time 0: the history is certain


# --- 3. expectations --------------------------------------------------------

@PARAM_SETS
@pytest.mark.parametrize("t", [30.0, 180.0, 730.0])
def test_expected_purchases_new_matches_simulated_means(params, t):
    x, _ = simulate(params, np.full(200_000, t), np.random.default_rng(7))
    se = x.std() / math.sqrt(len(x))
    assert abs(params.expected_purchases_new(t)[0] - x.mean()) < 4 * se


def _reference_conditional_expectation(p: BGNBD, t: float, x: int, t_x: float, T: float) -> float:
    """E[purchases in (T, T+t] | history] straight from the individual-level model.

    E = E[1{active at T} (1 - exp(-lambda p t)) / p | history]. Integrating lambda out of
    prior * (1-p)^x lambda^x exp(-lambda T) * (1 - exp(-lambda p t)) / p leaves
    K (1 - (1 + p t/(alpha+T))^-(r+x)) with K = G(r+x) alpha^r / (G(r) (alpha+T)^(r+x)); p is then
    integrated numerically against its Beta(a, b+x) kernel (on the logit scale, with adaptive
    quadrature), and the result is divided by eq. 6 from the reference above.
    """
    rx, u = p.r + x, t / (p.alpha + T)

    def integrand(y: float) -> float:
        log_p, log_q = -np.logaddexp(0.0, -y), -np.logaddexp(0.0, y)
        prob = math.exp(log_p)
        g = -math.expm1(-rx * math.log1p(prob * u)) / prob if prob > 0 else rx * u
        return math.exp(p.a * log_p + (p.b + x) * log_q - betaln(p.a, p.b + x)) * g

    centre = math.log(p.a / (p.b + x))
    mass = (quad(integrand, -np.inf, centre, epsabs=0, epsrel=1e-11, limit=500)[0]
            + quad(integrand, centre, np.inf, epsabs=0, epsrel=1e-11, limit=500)[0])
    log_k = (math.lgamma(rx) - math.lgamma(p.r) + p.r * math.log(p.alpha) - rx * math.log(p.alpha + T)
             + betaln(p.a, p.b + x) - betaln(p.a, p.b))
    return math.exp(log_k - _reference_log_likelihood_any_x(p, x, t_x, T)) * mass


def _reference_log_likelihood_any_x(p: BGNBD, x: int, t_x: float, T: float) -> float:
    """Eq. 6 as above but combined in log space, so that x = 500 does not underflow."""
    def lbeta(u: float, v: float) -> float:
        return math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)

    gamma_part = math.lgamma(p.r + x) - math.lgamma(p.r) + p.r * math.log(p.alpha) - lbeta(p.a, p.b)
    terms = [lbeta(p.a, p.b + x) - (p.r + x) * math.log(p.alpha + T)]
    if x > 0:
        terms.append(lbeta(p.a + 1, p.b + x - 1) - (p.r + x) * math.log(p.alpha + t_x))
    top = max(terms)
    return gamma_part + top + math.log(sum(math.exp(v - top) for v in terms))


CONDITIONAL_PARAMS = [
    CDNOW_DAYS, A_ABOVE_1,
    BGNBD(0.243, 30.9, 1.0, 2.426),       # a = 1: the closed form is 0/0
    BGNBD(0.243, 30.9, 1.004, 2.426),     # just off a = 1: the closed form cancels badly
    BGNBD(0.8, 10.0, 0.3, 0.7),           # a + b = 1: for x = 0 the hypergeometric's c is 0
    BGNBD(0.02, 0.3, 0.79, 800.0),        # scipy's hyp2f1 returns NaN for new customers here
]
CONDITIONAL_HISTORIES = [(0, 0.0, 0.0), (0, 0.0, 365.0), (1, 30.0, 200.0), (5, 150.0, 200.0),
                         (60, 1900.0, 2000.0), (500, 1999.0, 2000.0), (500, 500.0, 2000.0)]


@pytest.mark.parametrize("params", CONDITIONAL_PARAMS, ids=lambda p: f"a={p.a:g},b={p.b:g}")
def test_conditional_expectation_matches_numerical_integration_of_its_definition(params):
    x, t_x, T = (np.array(col, dtype=float) for col in zip(*CONDITIONAL_HISTORIES))
    for t in (1.0, 30.0, 365.0):
        got = params.expected_purchases(t, x, t_x, T)
        want = [_reference_conditional_expectation(params, t, int(h[0]), h[1], h[2]) for h in CONDITIONAL_HISTORIES]
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=0)


@PARAM_SETS
def test_conditional_expectation_averages_to_simulated_holdout_purchases_in_every_stratum(params):
    # Tower property: within any set of histories, the mean of E[Y | history] is E[Y], so eq. 10
    # can be checked against simulated futures without matching histories exactly.
    x, t_x, T, x_hold = _calibration(params, 200_000, seed=3, holdout=180.0)
    expected = params.expected_purchases(180.0, x, t_x, T)
    recent = T - t_x < 60
    strata = {"x=0": x == 0, "x<=2 recent": (x > 0) & (x <= 2) & recent, "x<=2 lapsed": (x > 0) & (x <= 2) & ~recent,
              "x>2 recent": (x > 2) & recent, "x>2 lapsed": (x > 2) & ~recent}
    for name, rows in strata.items():
        assert rows.sum() > 1000, name
        diff = x_hold[rows] - expected[rows]
        assert abs(diff.mean()) < 4 * diff.std() / math.sqrt(rows.sum()), name


@PARAM_SETS
def test_p_no_purchase_averages_to_the_simulated_share_without_a_holdout_purchase(params):
    # Tower property again, on the indicator "no purchase in the holdout".
    x, t_x, T, x_hold = _calibration(params, 200_000, seed=5, holdout=90.0)
    p_none = params.p_no_purchase(90.0, x, t_x, T)
    assert np.all((p_none >= 0) & (p_none <= 1))
    recent = T - t_x < 60
    for name, rows in {"x=0": x == 0, "x>0 recent": (x > 0) & recent, "x>0 lapsed": (x > 0) & ~recent}.items():
        diff = (x_hold[rows] == 0) - p_none[rows]
        assert abs(diff.mean()) < 4 * diff.std() / math.sqrt(rows.sum()), name
    np.testing.assert_allclose(params.p_no_purchase(0.0, x[:50], t_x[:50], T[:50]), 1.0)


@PARAM_SETS
def test_conditional_expectation_limits_and_monotonicity(params):
    t = np.array([1.0, 30.0, 365.0])
    new = params.expected_purchases_new(t)
    zeros = np.zeros(3)
    np.testing.assert_allclose(params.expected_purchases(t, zeros, zeros, zeros), new, rtol=1e-12)
    np.testing.assert_allclose(params.expected_purchases(t, zeros, zeros, np.full(3, 1e-7)), new, rtol=1e-6)
    assert params.p_alive(0, 0, 0)[0] == 1.0
    assert np.all(params.p_alive(np.zeros(3), zeros, np.array([1.0, 100.0, 1000.0])) == 1.0)
    assert np.all(params.expected_purchases(0.0, [3.0], [100.0], [200.0]) == 0.0)

    # More purchases at the same (fully recent) history: more expected.
    x = np.arange(1, 51, dtype=float)
    by_x = params.expected_purchases(90.0, x, np.full_like(x, 200.0), np.full_like(x, 200.0))
    assert np.all(np.diff(by_x) > 0)
    # Same purchases, longer silence since the last one: less expected, less likely alive.
    t_x = np.linspace(200.0, 1.0, 50)
    by_silence = params.expected_purchases(90.0, np.full(50, 3.0), t_x, np.full(50, 200.0))
    assert np.all(np.diff(by_silence) < 0)
    assert np.all(np.diff(params.p_alive(np.full(50, 3.0), t_x, np.full(50, 200.0))) < 0)


def test_expected_purchases_is_smooth_across_a_equals_1():
    # Closed form away from a = 1, quadrature near it: second differences over a fine grid of a
    # stay at the size of the true curvature, so neither the limit nor the hand-over jumps.
    x, t_x, T = np.array([0.0, 2.0, 40.0]), np.array([0.0, 50.0, 350.0]), np.array([100.0, 200.0, 365.0])
    grid = 1.0 + 0.001 * np.arange(-20, 21)
    values = np.array([BGNBD(0.5, 20.0, a, 3.0).expected_purchases(90.0, x, t_x, T) for a in grid])
    second = np.abs(values[2:] - 2 * values[1:-1] + values[:-2])
    assert np.all(second < 1e-5 * values[1:-1])


@settings(max_examples=150, deadline=None)
@given(log_r=st.floats(-4, 3), log_alpha=st.floats(-2, 9), log_a=st.floats(-4, 4.5), log_b=st.floats(-4, 7),
       x=st.integers(0, 1000), frac=st.floats(0, 1), T=st.floats(0, 3000, allow_subnormal=False),
       t=st.floats(0, 3000, allow_subnormal=False))
def test_predictions_are_finite_and_bounded_for_any_parameters(log_r, log_alpha, log_a, log_b, x, frac, T, t):
    p = BGNBD(*np.exp([log_r, log_alpha, log_a, log_b]))
    if x > 0 and T == 0:
        T = 1.0
    t_x = frac * T if x > 0 else 0.0
    e = p.expected_purchases(t, [x], [t_x], [T])[0]
    alive = p.p_alive([x], [t_x], [T])[0]
    # An active customer buys at most at the posterior mean rate (r+x)/(alpha+T) for the whole horizon.
    assert 0.0 <= e <= alive * t * (p.r + x) / (p.alpha + T) * (1 + 1e-6) + 1e-300
    assert 0.0 <= alive <= 1.0
    assert np.isfinite(p.log_likelihood([x], [t_x], [T])[0])
    assert 0.0 <= p.expected_purchases_new(t)[0] <= t * p.r / p.alpha * (1 + 1e-6) + 1e-300


# --- 4. ranking on simulated holdouts ------------------------------------------

@pytest.mark.parametrize(("params", "margin"), [(CDNOW_DAYS, 0.005), (A_ABOVE_1, 0.03)],
                         ids=["cdnow_days", "a_above_1"])
def test_expected_purchases_rank_holdout_silence_better_than_recency(params, margin):
    # Over 8 seeds: AUC 0.78-0.80 vs recency 0.77-0.79 (CDNOW: gain >= 0.013), 0.81-0.82 vs
    # 0.75-0.76 (a > 1: gain >= 0.05); the mean prediction was within 5% of the simulated mean.
    x, t_x, T, x_hold = _calibration(params, 8000, seed=21, holdout=180.0)
    fit = fit_bgnbd(x, t_x, T)
    expected = fit.expected_purchases(180.0, x, t_x, T)
    silent = (x_hold == 0).astype(int)
    auc = roc_auc_score(silent, -expected)
    auc_recency = roc_auc_score(silent, T - t_x)
    assert auc > 0.75
    assert auc >= auc_recency + margin
    assert expected.mean() == pytest.approx(x_hold.mean(), rel=0.10)


def test_simulate_is_the_calibration_part_of_simulate_with_holdout():
    T = np.linspace(0, 400, 1000)
    x, t_x = simulate(CDNOW_DAYS, T, 4)
    x2, t_x2, x_hold = simulate_with_holdout(CDNOW_DAYS, T, 90.0, 4)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(t_x, t_x2)
    assert np.all((t_x <= T) & ((x == 0) == (t_x == 0)) & (x_hold >= 0))
    assert np.all(x[T == 0] == 0)


# --- 5. degenerate inputs and validation ---------------------------------------

DEGENERATE = {
    "all x = 0": (np.zeros(200), np.zeros(200), np.linspace(10, 400, 200)),
    "all seen only today": (np.zeros(5), np.zeros(5), np.zeros(5)),
    "3 customers": (np.array([0.0, 2.0, 5.0]), np.array([0.0, 40.0, 100.0]), np.array([120.0, 120.0, 120.0])),
    "1 customer": (np.array([3.0]), np.array([50.0]), np.array([60.0])),
    "huge x": (np.array([500.0, 800.0, 0.0, 1000.0]), np.array([1990.0, 1999.0, 0.0, 2000.0]), np.full(4, 2000.0)),
    "repeats on day 0": (np.array([3.0, 1.0]), np.zeros(2), np.array([10.0, 5.0])),
    "no customers": (np.array([]), np.array([]), np.array([])),
}


@pytest.mark.parametrize("name", list(DEGENERATE))
@pytest.mark.parametrize("penalizer", [0.0, 0.01])
def test_degenerate_inputs_give_finite_parameters_and_predictions(name, penalizer):
    x, t_x, T = DEGENERATE[name]
    fit = fit_bgnbd(x, t_x, T, penalizer=penalizer)
    assert all(np.isfinite(v) and v > 0 for v in fit.to_dict().values())
    probe_x, probe_tx = np.array([0.0, 3.0, 500.0]), np.array([0.0, 50.0, 1999.0])
    probe_T = np.array([30.0, 60.0, 2000.0])
    for values in (fit.expected_purchases(365.0, probe_x, probe_tx, probe_T), fit.p_alive(probe_x, probe_tx, probe_T),
                   fit.log_likelihood(probe_x, probe_tx, probe_T), fit.expected_purchases_new([1.0, 365.0, 2000.0])):
        assert np.all(np.isfinite(values))


def test_all_zero_histories_fit_a_vanishing_purchase_rate():
    x, t_x, T = DEGENERATE["all x = 0"]
    fit = fit_bgnbd(x, t_x, T)
    assert fit.r / fit.alpha < 1e-6
    assert fit.expected_purchases(365.0, x, t_x, T).max() < 1e-3
    shrunk = fit_bgnbd(x, t_x, T, penalizer=0.01)  # the penalty keeps the estimate off the box edge
    assert 1e-6 < shrunk.r / shrunk.alpha < 1.0


def test_no_information_returns_the_starting_point():
    assert fit_bgnbd([], [], []) == BGNBD(1.0, 1.0, 1.0, 1.0)
    assert fit_bgnbd([2.0], [5.0], [9.0], weights=[0.0]) == BGNBD(1.0, 1.0, 1.0, 1.0)


@pytest.mark.parametrize(("args", "message"), [
    (([1.0], [5.0], [4.0]), "t_x must be <= T"),
    (([-1.0], [0.0], [4.0]), "x must be non-negative"),
    (([1.0, 2.0], [1.0], [4.0]), "same length"),
    (([np.nan], [0.0], [4.0]), "finite"),
    (([[1.0]], [[1.0]], [[4.0]]), "one-dimensional"),
])
def test_invalid_histories_are_refused_with_a_clear_message(args, message):
    with pytest.raises(ValueError, match=message):
        fit_bgnbd(*args)
    with pytest.raises(ValueError, match=message):
        CDNOW_DAYS.expected_purchases(30.0, *args)


def test_invalid_weights_penalizer_and_parameters_are_refused():
    with pytest.raises(ValueError, match="weights"):
        fit_bgnbd([1.0], [1.0], [2.0], weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="weights must be non-negative"):
        fit_bgnbd([1.0], [1.0], [2.0], weights=[-1.0])
    with pytest.raises(ValueError, match="penalizer"):
        fit_bgnbd([1.0], [1.0], [2.0], penalizer=-0.1)
    with pytest.raises(ValueError, match="alpha"):
        BGNBD(1.0, 0.0, 1.0, 1.0)


def test_parameters_round_trip_through_json_as_plain_floats():
    d = json.loads(json.dumps(CDNOW_DAYS.to_dict()))
    assert BGNBD.from_dict(d) == CDNOW_DAYS
    assert all(type(v) is float for v in CDNOW_DAYS.to_dict().values())
