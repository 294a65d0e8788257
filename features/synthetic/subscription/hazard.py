"""The weekly churn hazard, the churn draw, and the oracle's probability at each cutoff.

The hazard of week ``w`` reads only what the generated tables show before the
week starts (the usage and failure rings, the last event and NPS answer, the
tickets of the last weeks), so a point-in-time feature pipeline can learn it.
Its logit is additive: a base for the contract plus one contribution per
driver family (``features.catalog.FAMILIES``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.catalog import FAMILIES
from features.synthetic.core.config import SECONDS_PER_DAY
from features.synthetic.core.hazard import ATTR, BILLING, COMPLAIN, ENGAGE, TENURE, USAGE, sigmoid
from features.synthetic.subscription.config import (
    DOWNGRADE,
    FAIL,
    INACTIVITY,
    NPS_DETRACTOR,
    NPS_PROMOTER,
    PRICE,
    RENEWAL_BOOST,
    SLOW_HOURS,
    TICKET_WEIGHT,
    UPGRADE,
    USAGE_DECLINE,
)
from features.synthetic.subscription.state import CustomerState
from features.synthetic.subscription.world import World, add_months, early_life


@dataclass
class Week:
    """One simulated week of the customers present in it (``P``: their indices in the chunk)."""

    w: int
    w0: int          # first day of the week
    w_last: int      # last day of the week inside the period
    P: np.ndarray
    tenure0: np.ndarray  # tenure at the start of the week (days)


@dataclass
class Hazard:
    """The hazard at the start of a week, per present customer."""

    contrib: np.ndarray       # (families, P) contribution of each family to the logit
    logit: np.ndarray
    early: np.ndarray         # the early-life part of the tenure contribution
    complaint: np.ndarray     # clipped complaint score (also drives disengagement and NPS)
    fails4: np.ndarray        # failed payments in the last 4 weeks
    recent_price: np.ndarray  # relative price increase of the last 8 weeks (0 if none)
    is_annual: np.ndarray
    treat: np.ndarray | None = None  # a campaign's term in the logit (None without campaigns)


def complaint_scores(state: CustomerState, w0: int) -> np.ndarray:
    """Per customer of the chunk: the tickets of the last weeks scored by how they went (before clipping)."""
    if not state.recent_tickets:
        return np.zeros(state.n)
    tc, to, tcat, tres, tsat = (np.concatenate(x) for x in zip(*state.recent_tickets))
    t0 = w0 * SECONDS_PER_DAY
    resolved = tres < t0  # resolved (and rated) before the week starts
    slow = (tres - to) > SLOW_HOURS * 3600
    sat_eff = np.array([0.0, 0.9, 0.6, 0.1, -0.2, -0.45])[tsat]  # tsat 0 = no answer
    s_resolved = 0.5 * slow + sat_eff
    s_open = 0.25 + 0.5 * ((t0 - to) > 3 * SECONDS_PER_DAY)
    score = TICKET_WEIGHT[tcat] * np.where(resolved, s_resolved, s_open)
    return np.bincount(tc, weights=score, minlength=state.n)


def hazard(state: CustomerState, week: Week) -> Hazard:
    """The family contributions and the hazard logit at the start of the week."""
    P, w, w0 = week.P, week.w, week.w0
    ring = state.usage_ring[P][:, (w - 1 - np.arange(8)) % 8]
    recent4, prev4 = ring[:, :4].sum(axis=1), ring[:, 4:].sum(axis=1)
    contrib = np.zeros((len(FAMILIES), P.size))
    contrib[USAGE] = USAGE_DECLINE * np.clip(np.log((prev4 + 1.0) / (recent4 + 1.0)), 0.0, 3.0)
    led = state.last_event_day[P]
    dsl = np.where(led >= 0, w0 - led, week.tenure0).astype(np.float64)
    nps = state.last_nps[P]
    nps_term = np.where(
        ~np.isnan(nps),
        np.where(nps >= 9, NPS_PROMOTER, NPS_DETRACTOR * np.maximum(0.0, 7.0 - np.nan_to_num(nps))),
        0.0,
    )
    contrib[ENGAGE] = INACTIVITY * np.clip(dsl / 28.0, 0.0, 2.0) + nps_term
    early = early_life(week.tenure0.astype(np.float64))
    contrib[TENURE] = (
        early
        + DOWNGRADE * (w0 - state.downgrade_day[P] <= 56)
        + UPGRADE * (w0 - state.upgrade_day[P] <= 56)
    )
    cs = np.clip(complaint_scores(state, w0)[P], -1.0, 3.0)
    contrib[COMPLAIN] = cs
    fails4 = state.fail_ring[P].sum(axis=1)
    recent_price = np.where(w0 - state.price_day[P] <= 56, state.price_pct[P], 0.0)
    contrib[BILLING] = FAIL * np.minimum(fails4, 3) + PRICE * recent_price
    contrib[ATTR] = state.attr_effect[P]
    logit = state.base_logit[P] + contrib.sum(axis=0)
    treat = None
    if state.treatment is not None:  # a synthetic campaign's effect (generate.campaigns); absent, nothing changes
        treat = state.treatment.term(P, w)
        logit = logit + treat
    return Hazard(contrib, logit, early, cs, fails4, recent_price, state.contract[P] == 1, treat)


def week_churn_probability(state: CustomerState, week: Week, hz: Hazard, first_day: int,
                           last_day: int) -> tuple[np.ndarray, ...]:
    """Per present customer: the probability of churn on the days ``[first_day, last_day]`` of the week.

    One function for the churn draw (the whole week) and the continuation oracle (the week's days inside the
    horizon), so that both apply the same weekly hazard: ``1 - (1 - h) ** (days / 7)`` over the days after
    signup, or the renewal probability ``sigmoid(logit + RENEWAL_BOOST)`` when an annual renewal falls on them.

    Returns:
        ``(q, first day counted, days counted, renewal day, renewal among them)`` per present customer.
    """
    P = week.P
    h = sigmoid(hz.logit)
    lo = np.maximum(first_day, state.signup_day[P] + 1)
    n_el = last_day - lo + 1
    rday = state.next_renewal[P]
    renew_in = hz.is_annual & (rday >= lo) & (rday <= last_day)
    p_renew = sigmoid(hz.logit + RENEWAL_BOOST)
    q = np.where(renew_in, p_renew, -np.expm1(np.log1p(-h) * np.maximum(n_el, 0) / 7.0))
    q = np.where(n_el > 0, q, 0.0)
    return q, lo, n_el, rday, renew_in


def draw_churn(state: CustomerState, week: Week, hz: Hazard, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw who churns this week and on which day; record the churn day and the dominant driver.

    Churn can happen on any day after signup (probability ``1 - (1 - h) ** (days / 7)``);
    an annual customer whose renewal day falls in the week churns on that day with
    probability ``sigmoid(logit + RENEWAL_BOOST)`` instead.

    Returns:
        ``(churns, churn day)`` per present customer.
    """
    P, w_last = week.P, week.w_last
    q, lo, n_el, rday, renew_in = week_churn_probability(state, week, hz, week.w0, w_last)
    u = rng.random(P.size)
    churns = u < q
    # given churn, u / q is uniform on [0, 1): reuse it to pick the day
    n_pos = np.maximum(n_el, 1)
    frac = np.where(churns, u / np.where(churns, q, 1.0), 0.0)
    cday = np.where(renew_in, rday, lo + np.minimum((frac * n_pos).astype(np.int32), n_pos - 1))
    Cn = P[churns]
    state.churn_day[Cn] = cday[churns]
    cc = hz.contrib[:, churns]
    cc[TENURE] += np.where(renew_in[churns], RENEWAL_BOOST, 0.0)
    state.driver[Cn] = np.argmax(cc, axis=0).astype(np.int8)
    return churns, cday


def oracle(state: CustomerState, world: World, week: Week, hz: Hazard, cutoff_day: int,
           horizon_days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The true probability of churn within ``(D, D + H]`` of every customer active at cutoff ``D``, and its drivers.

    The week's hazard (state from before the week, so never after ``D``) is held
    fixed over the horizon, except for what advances with time: the early-life term
    at the tenure of each horizon week, and an annual renewal inside the horizon.

    The drivers are the family contributions of that same hazard (``hz.contrib``,
    the week containing ``D + 1``, which is also the first horizon week, so
    ``base + sum`` is exactly the logit of that week), with the renewal put into
    ``tenure``: an annual customer whose next renewal falls in ``(D, D + H]`` gets
    ``RENEWAL_BOOST`` added, the log-odds the probability applies in the renewal
    week (as ``draw_churn`` does for the dominant driver of a churn).

    Returns:
        ``(customer indices, probabilities, contributions (families x customers))``.
    """
    P = week.P
    active = (state.signup_day[P] <= cutoff_day) & ((state.churn_day[P] < 0) | (state.churn_day[P] > cutoff_day))
    A = np.flatnonzero(active)
    if A.size == 0:
        return P[A], np.zeros(0), np.zeros((len(FAMILIES), 0))
    lg_static = hz.logit[A] - hz.early[A]
    log_surv, rn, ann = horizon_log_survival(state, world, P[A], lg_static, cutoff_day, horizon_days)
    h_first, h_last = cutoff_day + 1, cutoff_day + horizon_days
    contrib = hz.contrib[:, A]  # fancy indexing: a copy
    contrib[TENURE] += np.where(ann & (rn >= h_first) & (rn <= h_last), RENEWAL_BOOST, 0.0)
    return P[A], -np.expm1(log_surv), contrib


def next_renewal_after(state: CustomerState, world: World, cust: np.ndarray, cutoff_day: int) -> np.ndarray:
    """The first annual renewal day after ``cutoff_day`` of each customer (the stored one may have passed)."""
    rn = state.next_renewal[cust].astype(np.int64)
    passed = rn <= cutoff_day
    if passed.any():
        k_next = state.renewal_k[cust]
        rn2 = (add_months(state.signup_d64[cust][passed], 12 * (k_next[passed] + 1)) - world.start).astype(np.int64)
        rn = rn.copy()
        rn[passed] = rn2
    return rn


def horizon_log_survival(state: CustomerState, world: World, cust: np.ndarray, lg_static: np.ndarray,
                         cutoff_day: int, horizon_days: int, shift: np.ndarray | None = None,
                         shift_from_week: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log of the probability of no churn in ``(D, D + H]``, the hazard held at ``lg_static`` but for time.

    The early-life term is re-evaluated at the tenure of each horizon week and an annual renewal in the horizon
    applies the renewal probability. ``shift`` (per customer) is added to the logit of the horizon weeks from
    ``shift_from_week`` on: a campaign's effect (``features/synthetic/subscription/campaigns.py``).

    Returns:
        ``(log survival, next renewal day, is annual)`` per customer of ``cust`` (chunk indices).
    """
    sd = state.signup_day[cust]
    rn = next_renewal_after(state, world, cust, cutoff_day)
    ann = state.contract[cust] == 1
    log_surv = np.zeros(cust.size)
    h_first, h_last = cutoff_day + 1, cutoff_day + horizon_days
    for k in range(h_first // 7, h_last // 7 + 1):
        a, b = max(h_first, 7 * k), min(h_last, 7 * k + 6)
        lg = lg_static + early_life(np.maximum(0, 7 * k - sd).astype(np.float64))
        if shift is not None and k >= shift_from_week:
            lg = lg + shift
        qk = -np.expm1(np.log1p(-sigmoid(lg)) * (b - a + 1) / 7.0)
        ren = ann & (rn >= a) & (rn <= b)
        qk = np.where(ren, sigmoid(lg + RENEWAL_BOOST), qk)
        log_surv += np.log1p(-qk)
    return log_surv, rn, ann
