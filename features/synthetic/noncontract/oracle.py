"""The exact posterior predictive of "no purchase in (D, D + H]" and the drivers at each cutoff.

Derivation
----------
Take a customer at cutoff ``D`` (end of day D, time ``tau = D + 1`` in days).
Observed: the first purchase ``t_1``, ``x`` repeat purchases before ``tau``, the
last one at ``t_x`` (``t_x = t_1`` when ``x = 0``); ``T = tau - t_1``,
``u = t_x - t_1``. Week boundaries ``beta_k = 7 k`` with ``t_x < beta_k < tau``
came after the last purchase; their hazards ``h_k`` are functions of the data
before ``beta_k``, so they are known. Hidden: ``lambda``, ``p`` and how the
customer stands: died at the last purchase (A, only if ``x >= 1``), died at
boundary ``beta_k`` (B_k), or alive at ``tau`` (C).

The likelihood of the purchases under each, dropping the factors common to all
of them (``lambda ** x``, ``(1 - p) ** (x - 1)``, the survival of the boundaries
before ``t_x``, and the law of the other data given the purchases: e-mail
opens, price notices, order amounts and the tickets about orders do not involve
``lambda``, ``p`` or the death, see ``activity.py``)::

    A:    p      * exp(-lambda u)
    B_k:  (1-p)  * prod_{j<k} (1 - h_j) * h_k * exp(-lambda (beta_k - t_1))
    C:    (1-p)  * prod_j (1 - h_j)           * exp(-lambda T)

(without the ``p`` factors when ``x = 0``). Integrating ``lambda ~ Gamma(r, alpha)``,
``int lambda^x exp(-lambda s) dGamma = Gamma(r+x) / Gamma(r) * alpha^r * (alpha + s) ** -(r+x)``,
and ``p ~ Beta(a, b)``, ``B(a+1, b+x-1) / B(a, b+x) = a / (b+x-1)``; dividing by the
common ``B(a, b+x) (alpha + u) ** -(r+x)``::

    w_A = a / (b + x - 1)                                        (0 if x = 0)
    w_B = sum_k S_<k h_k ((alpha + u) / (alpha + beta_k - t_1)) ** (r + x)
    w_C = S ((alpha + u) / (alpha + T)) ** (r + x)
    P(alive at tau | data) = w_C / (w_A + w_B + w_C)

with ``S_<k``, ``S`` the survival of the boundaries after ``t_x`` before ``beta_k``,
up to ``tau``. With no hazard this is BG/NBD's P(alive). ``w_B`` and ``S`` only
involve what happened since the last purchase (``x`` fixed), so they are running
sums updated at each boundary (``hazard.accumulate_boundary``) and reset by a purchase.

Given C, ``lambda | data ~ Gamma(r + x, alpha + T)``. In the horizon the
customer dies at boundary ``gamma_j`` (``tau <= gamma_j < tau + H``) with hazard
``h'_j``: the hazard at the state at D held fixed, except the early-life term at
the tenure of ``gamma_j``. No purchase happens when that death comes first, or
when it survives the horizon without buying (a dropout at a horizon purchase is
irrelevant: that purchase counts). With ``E exp(-lambda s) = ((alpha+T) / (alpha+T+s)) ** (r+x)``::

    Q = sum_j S'_<j h'_j ((alpha+T) / (alpha+T+gamma_j-tau)) ** (r+x) + S' ((alpha+T) / (alpha+T+H)) ** (r+x)
    oracle = 1 - P(alive) + P(alive) * Q

Drivers at a cutoff
-------------------
The six contributions at the state used for the cutoff: the hazard's families
(``hazard.contributions`` at ``tau``) and ``usage`` = the log-odds of *not*
being alive under the pure BG/NBD posterior with the true parameters (clipped to
``+-USAGE_CLIP``; ``x = 0`` gives ``-USAGE_CLIP``): it grows with the time since
the last purchase, the more so the more regular the customer was, so a lapsed
regular reads as usage. ``true_driver`` is the family with the largest
contribution relative to the customer's reference, the mean contribution over
the chunk's customers eligible at D with the same ``channel`` (a chunk holds up to
``chunk_customers``, the whole world by default); ties go to the first family.
With ``behaviour = 0`` the hazard families do not exist and ``true_driver`` is usage.
"""

from __future__ import annotations

import math

import numpy as np

from features.synthetic.core.config import SECONDS_PER_DAY
from features.synthetic.core.hazard import TENURE, USAGE, sigmoid
from features.synthetic.noncontract.activity import Stamps
from features.synthetic.noncontract.config import BASE_LOGIT, CHANNELS, USAGE_CLIP, NonContractConfig
from features.synthetic.noncontract.hazard import contributions, early_life
from features.synthetic.noncontract.world import ChunkState, World

ACTIVE_LOOKBACK_DAYS = 90  # eligible: a purchase in the 90 days up to and including D


def _as_of(state: ChunkState, tau_sec: int, purchases: Stamps, emails: Stamps) -> dict[str, np.ndarray]:
    """The observable history at ``tau_sec``: the state before the week plus the week's rows stamped before it."""
    p, e = purchases.before(tau_sec), emails.before(tau_sec)
    x, tx_sec = state.x.copy(), state.tx_sec.copy()
    np.add.at(x, p.cust[p.repeat], 1)
    np.maximum.at(tx_sec, p.cust, p.sec)
    log_surv, mass = state.log_surv.copy(), state.boundary_mass.copy()
    log_surv[p.cust] = 0.0  # no boundary between a purchase this week and tau
    mass[p.cust] = 0.0
    last_email = state.last_email_sec.copy()
    np.maximum.at(last_email, e.cust, e.sec)
    return {"x": x, "tx_sec": tx_sec, "log_surv": log_surv, "mass": mass, "last_email": last_email}


def p_alive(cfg: NonContractConfig, x: np.ndarray, u: np.ndarray, big_t: np.ndarray, log_surv: np.ndarray,
            mass: np.ndarray) -> np.ndarray:
    """P(alive at the cutoff | data) from the weights ``w_A, w_B, w_C`` of the derivation above.

    Args:
        cfg: the true population parameters.
        x: repeat purchases.
        u: days from the first to the last purchase (``t_x - t_1``).
        big_t: days from the first purchase to the cutoff (``T``).
        log_surv: log survival of the boundaries since the last purchase (``log S``).
        mass: ``w_B``, the running sum over those boundaries.

    Returns:
        The posterior probability of being alive at the end of the cutoff day.
    """
    q = cfg.r + x
    w_a = np.where(x > 0, cfg.a / (cfg.b + x - 1.0 + (x == 0)), 0.0)
    w_c = np.exp(log_surv + q * (np.log(cfg.alpha + u) - np.log(cfg.alpha + big_t)))
    return w_c / np.maximum(w_a + mass + w_c, 1e-300)


def pure_not_alive_log_odds(cfg: NonContractConfig, x: np.ndarray, u: np.ndarray, big_t: np.ndarray) -> np.ndarray:
    """The log-odds of not being alive under the pure BG/NBD posterior (the usage driver before clipping).

    Args:
        cfg: the true population parameters.
        x: repeat purchases.
        u: days from the first to the last purchase.
        big_t: days from the first purchase to the cutoff.

    Returns:
        ``log(P(not alive) / P(alive))``; ``-inf`` for ``x = 0`` (BG/NBD cannot drop out before a repeat).
    """
    q = cfg.r + x
    with np.errstate(divide="ignore"):
        return np.where(x > 0, np.log(cfg.a / np.maximum(cfg.b + x - 1.0, 1e-12))
                        + q * (np.log(cfg.alpha + big_t) - np.log(cfg.alpha + u)), -np.inf)


def no_purchase_given_alive(cfg: NonContractConfig, q: np.ndarray, big_t: np.ndarray, t1: np.ndarray,
                            fixed_logit: np.ndarray, d_day: int, horizon_days: int) -> np.ndarray:
    """``Q``: P(no purchase in the horizon | alive at the cutoff, data), horizon hazards held at the cutoff's state.

    Args:
        cfg: the true population parameters and ``behaviour``.
        q: ``r + x``, the posterior Gamma shape.
        big_t: ``T``; ``alpha + T`` is the posterior Gamma rate.
        t1: first purchase (days), for the early-life term at each horizon boundary.
        fixed_logit: the hazard logit at the cutoff without its tenure term (held over the horizon).
        d_day: the cutoff (day index).
        horizon_days: H.

    Returns:
        The probability, per customer.
    """
    tau = d_day + 1
    out = np.zeros(q.size)
    log_s = np.zeros(q.size)
    if cfg.behaviour > 0:
        for g in range(7 * math.ceil(tau / 7), d_day + horizon_days + 1, 7):
            h = sigmoid(fixed_logit + cfg.behaviour * early_life(g - t1))
            out += np.exp(log_s + q * (np.log(cfg.alpha + big_t) - np.log(cfg.alpha + big_t + g - tau))) * h
            log_s += np.log1p(-h)
    return out + np.exp(log_s + q * (np.log(cfg.alpha + big_t) - np.log(cfg.alpha + big_t + horizon_days)))


def relative_driver(contrib: np.ndarray, channel: np.ndarray) -> np.ndarray:
    """The true driver: the family with the largest contribution minus its mean over the same channel.

    Args:
        contrib: ``(families, customers)`` contributions of the customers eligible at one cutoff.
        channel: their channel codes (the reference groups).

    Returns:
        Family indices (into ``FAMILIES``); ties go to the first family.
    """
    n_ch = len(CHANNELS)
    counts = np.bincount(channel, minlength=n_ch).astype(np.float64)
    ref = np.stack([np.bincount(channel, weights=row, minlength=n_ch) for row in contrib]) / np.maximum(counts, 1.0)
    return np.argmax(contrib - ref[:, channel], axis=0).astype(np.int8)


def _logit_without_tenure(cfg: NonContractConfig, contrib: np.ndarray) -> np.ndarray:
    """The hazard logit at the cutoff's state without the tenure term (which advances over the horizon)."""
    base = BASE_LOGIT + math.log(cfg.behaviour) if cfg.behaviour > 0 else 0.0
    return base + contrib.sum(axis=0) - contrib[TENURE]


def cutoff_truth(state: ChunkState, world: World, cfg: NonContractConfig, d_day: int, horizon_days: int,
                 purchases: Stamps, emails: Stamps) -> dict[str, np.ndarray]:
    """The oracle and the drivers of every customer eligible at cutoff ``d_day`` (run after the cutoff's week).

    Args:
        state: the chunk, with the history up to the start of the cutoff's week.
        world: the shared calendar.
        cfg: the world's knobs.
        d_day: the cutoff (day index; the end of that day).
        horizon_days: H.
        purchases: the cutoff week's purchases.
        emails: the cutoff week's e-mail opens.

    Returns:
        ``cust`` (chunk positions), ``prob``, ``contrib`` (families x customers) and ``driver`` (family index).
    """
    tau = d_day + 1
    tau_sec = tau * SECONDS_PER_DAY
    obs = _as_of(state, tau_sec, purchases, emails)
    eligible = (state.t1_sec < tau_sec) & (obs["tx_sec"] // SECONDS_PER_DAY >= tau - ACTIVE_LOOKBACK_DAYS)
    idx = np.flatnonzero(eligible)
    contrib = contributions(state, world, cfg, idx, tau, obs["last_email"][idx])
    x, t1 = obs["x"][idx], state.t1[idx]
    u = obs["tx_sec"][idx] / SECONDS_PER_DAY - t1
    big_t = tau - t1
    alive = p_alive(cfg, x, u, big_t, obs["log_surv"][idx], obs["mass"][idx])
    q_none = no_purchase_given_alive(cfg, cfg.r + x, big_t, t1, _logit_without_tenure(cfg, contrib), d_day,
                                     horizon_days)
    prob = np.clip(1.0 - alive + alive * q_none, 0.0, 1.0)
    contrib[USAGE] = np.clip(pure_not_alive_log_odds(cfg, x, u, big_t), -USAGE_CLIP, USAGE_CLIP)
    if cfg.behaviour > 0 and idx.size:
        driver = relative_driver(contrib, state.channel[idx])
    else:  # the pure process has no hazard families: usage is the only driver
        driver = np.full(idx.size, USAGE, dtype=np.int8)
    return {"cust": idx, "prob": prob, "contrib": contrib, "driver": driver}
