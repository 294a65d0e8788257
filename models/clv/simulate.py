"""Purchase histories drawn from the BG/NBD process itself, and the purchases that follow them."""

from __future__ import annotations

import numpy as np

from models.clv.bgnbd import BGNBD
from models.clv.inputs import as_vector, validate_horizon


def _draw(params: BGNBD, T: np.ndarray, holdout: np.ndarray, rng: np.random.Generator
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Histories over [0, T] and the purchase counts in (T, T + holdout] of the same customers."""
    n = len(T)
    lam = rng.gamma(shape=params.r, scale=1.0 / params.alpha, size=n)
    p = rng.beta(params.a, params.b, size=n)
    # J = the repeat purchase after which the customer drops out, geometric on {1, 2, ...};
    # drawn by inversion as a float so that p ~ 0 gives J = inf instead of an int overflow.
    u = 1.0 - rng.random(n)  # in (0, 1]
    log_keep = np.log1p(-np.minimum(p, 1.0))
    with np.errstate(all="ignore"):  # p below ~1e-308 overflows the ratio to inf, which is the right J
        J = np.where(p > 0, np.floor(np.log(u) / np.where(p > 0, log_keep, -1.0)) + 1, np.inf)
    J = np.where(p >= 1, 1.0, J)
    n_cal = rng.poisson(lam * T)  # Poisson events in the window; those after J never happen
    x = np.minimum(n_cal, J)
    # Given n_cal events, their times are uniform order statistics: the x-th is T * Beta(x, n_cal - x + 1).
    x_pos = np.maximum(x, 1.0)
    t_x = np.where(x > 0, T * rng.beta(x_pos, np.maximum(n_cal, x_pos) - x_pos + 1), 0.0)
    # Drawn last, so the calibration histories do not depend on the holdout length.
    n_hold = rng.poisson(lam * holdout)  # independent increments: the holdout continues the process
    x_hold = np.minimum(n_hold, np.maximum(J - n_cal, 0.0))  # purchases left before dropping out
    return x.astype(np.int64), t_x, x_hold.astype(np.int64)


def simulate(params: BGNBD, T: np.ndarray, rng: np.random.Generator | int | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Draw purchase histories from the BG/NBD process itself.

    Each customer gets ``lambda ~ Gamma(r, rate alpha)`` and ``p ~ Beta(a, b)``,
    buys at Poisson rate ``lambda`` from the first purchase at time 0, and drops
    out with probability ``p`` right after each repeat purchase.

    Args:
        params: population parameters.
        T: observation window per customer (its age at the end), non-negative.
        rng: a numpy Generator (or a seed).

    Returns:
        ``(x, t_x)``: repeat purchases (int) and time of the last one (0 when ``x == 0``).
        For a given seed these equal the first two outputs of ``simulate_with_holdout``, whatever
        its holdout length.
    """
    x, t_x, _ = simulate_with_holdout(params, T, 0.0, rng)
    return x, t_x


def simulate_with_holdout(params: BGNBD, T: np.ndarray, holdout: float | np.ndarray,
                          rng: np.random.Generator | int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Like ``simulate``, plus each customer's own purchases in the following ``holdout`` window.

    Args:
        params: population parameters.
        T: calibration window per customer, non-negative.
        holdout: length of the window ``(T, T + holdout]`` (scalar or one per customer).
        rng: a numpy Generator (or a seed).

    Returns:
        ``(x, t_x, x_holdout)``; a customer who dropped out in the calibration window buys nothing later.
    """
    T = as_vector("T", T)
    holdout = validate_horizon(holdout, len(T))
    return _draw(params, T, holdout, np.random.default_rng(rng))
