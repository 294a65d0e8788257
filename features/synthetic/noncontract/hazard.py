"""The behavioural weekly hazard: its family contributions at a time, and the death draw at a week boundary.

The hazard at time ``t`` (a day boundary) reads only what the generated tables
show before ``t``: the last ``email_open``, the tickets opened in the last 8
weeks and what became of them by ``t``, the ``price_change`` notices of the
last 8 weeks, the tenure and the static attributes. Its logit is additive::

    logit = BASE_LOGIT + log(behaviour) + sum over families of behaviour * c_f

so ``behaviour = 0`` switches it off (the pure BG/NBD process) and the reported
contribution of family ``f`` is ``behaviour * c_f``. The ``usage`` row is 0
here: the BG/NBD dropout at purchases is the usage part of the world.
"""

from __future__ import annotations

import math

import numpy as np

from features.catalog import FAMILIES
from features.synthetic.core.config import SECONDS_PER_DAY
from features.synthetic.core.hazard import ATTR, BILLING, COMPLAIN, ENGAGE, TENURE, sigmoid
from features.synthetic.noncontract.config import (
    BASE_LOGIT,
    BEHAVIOURAL,
    COMPLAINT,
    EARLY_LIFE,
    EARLY_LIFE_DAYS,
    LAPSE,
    LAPSE_FULL_DAYS,
    LAPSE_GRACE_DAYS,
    PRICE,
    PRICE_WINDOW_DAYS,
    SLOW_HOURS,
    TICKET_WEIGHT,
    TICKET_WINDOW_DAYS,
    NonContractConfig,
)
from features.synthetic.noncontract.world import ChunkState, World

SAT_EFFECT = np.array([0.0, 1.0, 0.6, 0.1, -0.2, -0.4])  # by satisfaction (0 = no answer)


def complaint_scores(state: ChunkState, t_sec: int) -> np.ndarray:
    """Per customer of the chunk: the tickets opened in the window before ``t_sec``, scored as they stand at ``t_sec``.

    A resolved ticket counts by its resolution time (slow > 72 h) and its
    satisfaction answer; a ticket still open counts more once it is older than 3 days.

    Args:
        state: the chunk (its recent tickets).
        t_sec: the time (seconds since the start).

    Returns:
        The unclipped score per customer of the chunk.
    """
    if not state.recent_tickets:
        return np.zeros(state.n)
    tc, to, tcat, tres, tsat = (np.concatenate(x) for x in zip(*state.recent_tickets))
    inside = (to < t_sec) & (to >= t_sec - TICKET_WINDOW_DAYS * SECONDS_PER_DAY)
    tc, to, tcat, tres, tsat = tc[inside], to[inside], tcat[inside], tres[inside], tsat[inside]
    resolved = tres <= t_sec
    s_resolved = 0.6 * ((tres - to) > SLOW_HOURS * 3600) + SAT_EFFECT[tsat]
    s_open = 0.3 + 0.6 * ((t_sec - to) > 3 * SECONDS_PER_DAY)
    score = TICKET_WEIGHT[tcat] * np.where(resolved, s_resolved, s_open)
    return np.bincount(tc, weights=score, minlength=state.n)


def price_rise(state: ChunkState, world: World, idx: np.ndarray, t_day: int) -> np.ndarray:
    """Relative price increases noticed by customers ``idx`` in the window before day boundary ``t_day``.

    Args:
        state: the chunk.
        world: the price steps.
        idx: customers (chunk positions).
        t_day: the time (a day boundary).

    Returns:
        The sum of the increases noticed in the last ``PRICE_WINDOW_DAYS`` days, per customer of ``idx``.
    """
    out = np.zeros(idx.size)
    for step in world.price_steps:
        if t_day - PRICE_WINDOW_DAYS <= step.day < t_day:
            got = step.regions[state.region[idx]] & (state.t1_sec[idx] < step.day * SECONDS_PER_DAY)
            out += step.pct * got
    return out


def early_life(tenure_days: np.ndarray) -> np.ndarray:
    """The tenure family's term: high right after the first purchase, fading over the first weeks."""
    return EARLY_LIFE * np.exp(-np.maximum(tenure_days, 0.0) / EARLY_LIFE_DAYS)


def contributions(state: ChunkState, world: World, cfg: NonContractConfig, idx: np.ndarray, t_day: int,
                  last_email_sec: np.ndarray) -> np.ndarray:
    """The family contributions to the hazard logit of customers ``idx`` at day boundary ``t_day``.

    Args:
        state: the chunk.
        world: the shared calendar.
        cfg: the world's knobs (``behaviour`` scales every contribution).
        idx: customers (chunk positions), all with a first purchase before ``t_day``.
        t_day: the time, a day boundary (days since the start).
        last_email_sec: per customer of ``idx``, the last ``email_open`` before ``t_day`` (NEVER: none).

    Returns:
        ``(len(FAMILIES), idx.size)`` contributions, ``behaviour`` times the raw terms; the usage row is 0.
    """
    t_sec = t_day * SECONDS_PER_DAY
    c = np.zeros((len(FAMILIES), idx.size))
    if cfg.behaviour == 0 or idx.size == 0:
        return c
    since = np.maximum(last_email_sec, state.t1_sec[idx])
    lapse = (t_sec - since) / SECONDS_PER_DAY
    c[ENGAGE] = LAPSE * np.clip((lapse - LAPSE_GRACE_DAYS) / (LAPSE_FULL_DAYS - LAPSE_GRACE_DAYS), 0.0, 1.0)
    c[TENURE] = early_life(t_day - state.t1[idx])
    c[COMPLAIN] = COMPLAINT * np.clip(complaint_scores(state, t_sec)[idx], -1.0, 3.0)
    c[BILLING] = PRICE * price_rise(state, world, idx, t_day)
    c[ATTR] = state.attr_effect[idx]
    return cfg.behaviour * c


def weekly_hazard(contrib: np.ndarray, behaviour: float) -> np.ndarray:
    """The probability of dying at a week boundary.

    Args:
        contrib: ``(families, customers)`` scaled contributions (``contributions``).
        behaviour: the world's behaviour scale (``0``: no hazard).

    Returns:
        ``sigmoid(BASE_LOGIT + log(behaviour) + sum of contributions)``, or 0 when ``behaviour`` is 0.
    """
    if behaviour == 0:
        return np.zeros(contrib.shape[1])
    return sigmoid(BASE_LOGIT + math.log(behaviour) + contrib.sum(axis=0))


def behavioural_driver(contrib: np.ndarray) -> np.ndarray:
    """The family (index into FAMILIES) with the largest contribution among the hazard's families."""
    return BEHAVIOURAL[np.argmax(contrib[BEHAVIOURAL], axis=0)].astype(np.int8)


def boundary_step(state: ChunkState, world: World, cfg: NonContractConfig, w: int, rng: np.random.Generator) -> None:
    """The boundary at the start of week ``w``: the hazard, the oracle's accumulators, the deaths.

    The accumulators are updated for every customer with a first purchase
    before the boundary, alive or not: the oracle cannot tell them apart.

    Args:
        state: the chunk, updated in place.
        world: the shared calendar.
        cfg: the world's knobs.
        w: the week.
        rng: the chunk's generator (one uniform per customer signed up before the boundary).
    """
    b_day = 7 * w
    idx = np.flatnonzero(state.t1_sec < b_day * SECONDS_PER_DAY)
    if idx.size == 0:
        return
    c = contributions(state, world, cfg, idx, b_day, state.last_email_sec[idx])
    h = weekly_hazard(c, cfg.behaviour)
    accumulate_boundary(state, cfg, idx, b_day, h)
    die = state.alive[idx] & (rng.random(idx.size) < h)
    dead = idx[die]
    state.alive[dead] = False
    state.death_sec[dead] = b_day * SECONDS_PER_DAY
    state.driver[dead] = behavioural_driver(c[:, die])


def accumulate_boundary(state: ChunkState, cfg: NonContractConfig, idx: np.ndarray, b_day: float,
                        h: np.ndarray) -> None:
    """Add a boundary after the last purchase to the posterior's running sums (see ``oracle.py``).

    ``boundary_mass += S * h * ((alpha + t_x) / (alpha + b - t_1)) ** (r + x)`` and
    ``log_surv += log(1 - h)``, with ``S = exp(log_surv)`` the survival of the
    boundaries since the last purchase.
    """
    q = cfg.r + state.x[idx]
    t1 = state.t1[idx]
    log_ratio = q * (np.log(cfg.alpha + state.tx_sec[idx] / SECONDS_PER_DAY - t1) - np.log(cfg.alpha + b_day - t1))
    state.boundary_mass[idx] += h * np.exp(state.log_surv[idx] + log_ratio)
    state.log_surv[idx] += np.log1p(-h)
