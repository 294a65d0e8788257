"""What customers do during a week: engagement, usage, billing, plan changes, NPS answers and tickets.

Each step is one function over the week's present customers. They run in a
fixed order, because each draws from the chunk's random generator and the
draw order is what makes a seed reproduce the same world byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synthetic.core.chunks import Batches
from features.synthetic.core.config import SECONDS_PER_DAY
from features.synthetic.core.hazard import sigmoid
from features.synthetic.subscription.config import (
    NEVER,
    NPS,
    PAYFAIL,
    PLAN_USAGE,
    PLANCHG,
    PRICECHG,
    SESSION,
    T_BILLING,
    T_BUG,
    T_COMPLAINT,
    T_HOWTO,
    T_OUTAGE,
    TICKET_MEDIAN_HOURS,
    USAGE_SHARES,
    SyntheticConfig,
)
from features.synthetic.subscription.hazard import Hazard, Week
from features.synthetic.subscription.state import EMPTY_TICKETS, CustomerState
from features.synthetic.subscription.world import World, add_months


@dataclass
class Activity:
    """The week's activity context: who may act on which days, and what has been emitted."""

    state: CustomerState
    week: Week
    events: Batches
    first_day: np.ndarray       # per present customer: signup day
    last_day: np.ndarray        # per present customer: last day it may act this week (its churn day if it churns)
    week_last_event: np.ndarray  # per present customer: last day with an event this week (NEVER: none)
    engagement: np.ndarray | None = None  # latent engagement this week, after the walk
    declining: np.ndarray | None = None
    price_week: bool = False
    week_fails: np.ndarray | None = None

    @classmethod
    def start(cls, state: CustomerState, week: Week, churns: np.ndarray, churn_day: np.ndarray,
              events: Batches) -> Activity:
        last_day = np.where(churns, churn_day, week.w_last).astype(np.int32)
        return cls(state, week, events, state.signup_day[week.P], last_day,
                   np.full(week.P.size, NEVER, dtype=np.int32))

    def in_week(self, d: np.ndarray, sel: np.ndarray | None = None) -> np.ndarray:
        """Whether day ``d`` is one the customer (``sel``: a subset) can act on this week."""
        fd, ld = (self.first_day, self.last_day) if sel is None else (self.first_day[sel], self.last_day[sel])
        return (d >= np.maximum(self.week.w0, fd)) & (d <= ld)

    def emit(self, sel: np.ndarray, d: np.ndarray, tod_sec: np.ndarray, etype_code: int, val: np.ndarray) -> None:
        """Record one event of type ``etype_code`` for each present customer in ``sel`` on day ``d``."""
        if sel.size == 0:
            return
        self.events.add(
            cust=self.week.P[sel].astype(np.int32),
            sec=d.astype(np.int64) * SECONDS_PER_DAY + tod_sec.astype(np.int64),
            type=np.full(sel.size, etype_code, dtype=np.int8),
            value=val.astype(np.float64),
        )
        np.maximum.at(self.week_last_event, sel, d.astype(np.int32))


def step_engagement(act: Activity, hz: Hazard, rng: np.random.Generator) -> None:
    """Latent engagement: a mean-reverting walk with disengagement episodes (likelier after bad experiences)."""
    s, P = act.state, act.week.P
    enter_p = 0.006 * np.exp(0.5 * np.maximum(hz.complaint, 0.0) + 4.0 * hz.recent_price
                             + 0.35 * np.minimum(hz.fails4, 3))
    dec = s.declining[P]
    dec = np.where(dec, rng.random(P.size) >= 0.12, rng.random(P.size) < enter_p)
    s.declining[P] = dec
    e = s.eng[P]
    e = e + 0.12 * (s.mu[P] - e) + rng.normal(0.0, 0.12, P.size) - 0.24 * dec
    e = np.clip(e, -4.0, 2.5)
    s.eng[P] = e
    act.engagement, act.declining = e, dec


def onboarding_tenure(act: Activity) -> np.ndarray:
    """Tenure at the middle of the week (days), which ramps usage up and drives how-to tickets."""
    return np.maximum(0.0, act.week.w0 + 3.5 - act.first_day)


def usage_rate(act: Activity, cfg: SyntheticConfig, world: World) -> np.ndarray:
    """Per present customer: the week's mean number of usage events, by engagement, onboarding, plan, season and
    outages (also the continuation oracle's, ``continuation.py``)."""
    s, P, w = act.state, act.week.P, act.week.w
    onboarding = 1.0 - 0.75 * np.exp(-onboarding_tenure(act) / 14.0)
    outage_now = world.outage[w, s.region[P]]
    return (
        cfg.events_per_customer_month * 12.0 / 52.0
        * onboarding
        * np.exp(act.engagement - 0.1)
        * PLAN_USAGE[s.plan[P]]
        * world.week_season[w]
        * np.where(outage_now, 0.6, 1.0)
    )


def step_usage(act: Activity, cfg: SyntheticConfig, world: World, rng: np.random.Generator) -> None:
    """Usage events (login, session, feature_use): Poisson (:func:`usage_rate`), on the hour-of-week profile."""
    s, week = act.state, act.week
    P, w, w0 = week.P, week.w, week.w0
    e = act.engagement
    counts = rng.poisson(usage_rate(act, cfg, world))
    tot = int(counts.sum())
    loc = np.repeat(np.arange(P.size, dtype=np.int32), counts)
    slot = rng.choice(168, size=tot, p=world.slot_p)
    day = w0 + slot // 24
    keep = (day >= act.first_day[loc]) & (day <= act.last_day[loc])
    loc, slot, day = loc[keep], slot[keep], day[keep]
    sec = day.astype(np.int64) * SECONDS_PER_DAY + (slot % 24) * 3600 + rng.integers(0, 3600, size=loc.size)
    etype = rng.choice(3, size=loc.size, p=USAGE_SHARES).astype(np.int8)
    value = np.ones(loc.size)
    is_sess = etype == SESSION
    value[is_sess] = np.round(np.exp(rng.normal(np.log(14.0) + 0.3 * e[loc[is_sess]], 0.7)), 1) + 0.5
    act.events.add(cust=P[loc].astype(np.int32), sec=sec, type=etype, value=value)
    s.usage_ring[P, w % 8] = np.bincount(loc, minlength=P.size).astype(np.int32)
    np.maximum.at(act.week_last_event, loc, day.astype(np.int32))


def step_price_increases(act: Activity, world: World, rng: np.random.Generator) -> None:
    """Configured list-price increases: a ``price_change`` event (value = new fee) for each affected customer."""
    s, week = act.state, act.week
    P = week.P
    for pday, pplan, pct in world.price_steps:
        if week.w0 <= pday <= week.w_last:
            act.price_week = True
            sel = np.flatnonzero((s.plan[P] == pplan) & (act.first_day < pday) & (act.last_day >= pday))
            new_fee = np.round(s.fee[P[sel]] * (1.0 + pct), 2)
            act.emit(sel, np.full(sel.size, pday), 6 * 3600 + rng.integers(0, 3600, sel.size), PRICECHG, new_fee)
            s.fee[P[sel]] = new_fee
            s.price_day[P[sel]] = pday
            s.price_pct[P[sel]] = pct


def _billing_days(act: Activity, world: World, is_annual: np.ndarray) -> np.ndarray:
    """Per present customer: the billing day inside this week, or NEVER.

    Monthly customers are billed on their signup day of the month, annual ones at
    signup and on each anniversary.
    """
    s, P, w0 = act.state, act.week.P, act.week.w0
    wk_month = (world.start + np.timedelta64(w0, "D")).astype("datetime64[M]")
    k0 = (wk_month - s.signup_d64[P].astype("datetime64[M]")).astype(np.int64)
    bill = np.full(P.size, NEVER, dtype=np.int64)
    for dk in (0, 1):
        cand = (add_months(s.signup_d64[P], np.maximum(k0 + dk, 0)) - world.start).astype(np.int64)
        bill = np.where(act.in_week(cand) & (bill == NEVER), cand, bill)
    ann_bill = np.where(act.in_week(s.signup_day[P].astype(np.int64)), s.signup_day[P],
                        s.next_renewal[P]).astype(np.int64)
    return np.where(is_annual, np.where(act.in_week(ann_bill), ann_bill, NEVER), bill)


def step_billing(act: Activity, hz: Hazard, world: World, rng: np.random.Generator) -> None:
    """Billing attempts that fail (``payment_failed``, value = amount), with an occasional failed retry."""
    s, P = act.state, act.week.P
    bill = _billing_days(act, world, hz.is_annual)
    billed = np.flatnonzero(bill != NEVER)
    p_fail = sigmoid(s.card_risk[P[billed]] + 2.0 * hz.recent_price[billed])
    failed = billed[rng.random(billed.size) < p_fail]

    def amount(sel: np.ndarray) -> np.ndarray:
        return np.where(hz.is_annual[sel], 10.0 * s.fee[P[sel]], s.fee[P[sel]])

    act.emit(failed, bill[failed], 2 * 3600 + rng.integers(0, 3 * 3600, failed.size), PAYFAIL, amount(failed))
    retry = failed[rng.random(failed.size) < 0.45]
    retry_day = bill[retry] + 2
    ok = act.in_week(retry_day, retry)
    retry, retry_day = retry[ok], retry_day[ok]
    act.emit(retry, retry_day, 2 * 3600 + rng.integers(0, 3 * 3600, retry.size), PAYFAIL, amount(retry))
    wk_fail = np.zeros(P.size, dtype=np.int16)
    np.add.at(wk_fail, failed, 1)
    np.add.at(wk_fail, retry, 1)
    s.fail_ring[P, act.week.w % 4] = wk_fail
    act.week_fails = wk_fail


def step_plan_changes(act: Activity, hz: Hazard, world: World, rng: np.random.Generator) -> None:
    """Upgrades (engaged customers) and downgrades (disengaged or complaining ones); none in a price-change week."""
    if act.price_week:
        return
    s, P, w0 = act.state, act.week.P, act.week.w0
    e = act.engagement
    up_p = 0.0035 * np.exp(0.8 * e) * (s.plan[P] < 2)
    down_p = 0.0035 * np.exp(-0.8 * e + 0.4 * np.maximum(hz.complaint, 0)) * (s.plan[P] > 0)
    r = rng.random(P.size)
    pc_day = w0 + rng.integers(0, 7, P.size)
    up = (r < up_p) & act.in_week(pc_day)
    down = (r >= up_p) & (r < up_p + down_p) & act.in_week(pc_day)
    for sel_mask, delta, mark in ((up, 1, s.upgrade_day), (down, -1, s.downgrade_day)):
        sel = np.flatnonzero(sel_mask)
        if sel.size == 0:
            continue
        new_plan = (s.plan[P[sel]] + delta).astype(np.int8)
        new_fee = world.list_price(new_plan, pc_day[sel])
        act.emit(sel, pc_day[sel], 8 * 3600 + rng.integers(0, 12 * 3600, sel.size), PLANCHG, new_fee)
        s.plan[P[sel]] = new_plan
        s.fee[P[sel]] = new_fee
        mark[P[sel]] = pc_day[sel]


def step_nps(act: Activity, hz: Hazard, cfg: SyntheticConfig, rng: np.random.Generator) -> None:
    """NPS surveys after 4 weeks and every 13 weeks; answers follow engagement and the support experience."""
    s, P, w0 = act.state, act.week.P, act.week.w0
    tw = act.week.w - s.signup_week[P]
    surveyed = (tw >= 4) & ((tw - 4) % 13 == 0) & (rng.random(P.size) < cfg.nps_response_rate)
    s_day = w0 + rng.integers(0, 7, P.size)
    sel = np.flatnonzero(surveyed & act.in_week(s_day))
    score = np.clip(
        np.round(7.3 + 1.5 * act.engagement[sel] - 0.9 * hz.complaint[sel] + rng.normal(0.0, 1.3, sel.size)), 0, 10
    )
    act.emit(sel, s_day[sel], 9 * 3600 + rng.integers(0, 12 * 3600, sel.size), NPS, score)
    s.last_nps[P[sel]] = score


def _ticket_rates(act: Activity, hz: Hazard, cfg: SyntheticConfig, world: World) -> np.ndarray:
    """(category, present customer) weekly ticket rates."""
    s, P, e = act.state, act.week.P, act.engagement
    base_t = cfg.tickets_per_customer_month * 12.0 / 52.0
    fail_recent = (hz.fails4 + act.week_fails) > 0
    outage_now = world.outage[act.week.w, s.region[P]]
    rates = np.empty((5, P.size))
    rates[T_BILLING] = base_t * 0.2 * (1.0 + 4.0 * fail_recent + 25.0 * hz.recent_price)
    rates[T_BUG] = base_t * 0.3 * np.exp(0.3 * e)
    rates[T_OUTAGE] = base_t * 0.08 * (1.0 + 25.0 * outage_now)
    rates[T_HOWTO] = base_t * 0.25 * (1.0 + 3.0 * np.exp(-onboarding_tenure(act) / 30.0))
    rates[T_COMPLAINT] = base_t * 0.17 * np.exp(-0.7 * (e - s.mu[P])) * (1.0 + 0.5 * act.declining)
    return rates


def step_tickets(act: Activity, hz: Hazard, cfg: SyntheticConfig, world: World, rng: np.random.Generator,
                 tickets: Batches) -> None:
    """Support tickets: category rates, log-normal resolution times and a satisfaction answer that falls when slow."""
    P, w0 = act.week.P, act.week.w0
    tcounts = rng.poisson(_ticket_rates(act, hz, cfg, world))  # (5, P)
    if not int(tcounts.sum()):
        act.state.remember_tickets(EMPTY_TICKETS)
        return
    ttot = int(tcounts.sum())
    tcat = np.repeat(np.tile(np.arange(5, dtype=np.int8), P.size), tcounts.T.ravel())
    tloc = np.repeat(np.arange(P.size, dtype=np.int32), tcounts.sum(axis=0))
    tslot = rng.choice(168, size=ttot, p=world.ticket_slot_p)
    tday = w0 + tslot // 24
    keep = (tday >= act.first_day[tloc]) & (tday <= act.last_day[tloc])
    tloc, tcat, tslot, tday = tloc[keep], tcat[keep], tslot[keep], tday[keep]
    topen = tday.astype(np.int64) * SECONDS_PER_DAY + (tslot % 24) * 3600 + rng.integers(0, 3600, tloc.size)
    quality = rng.normal(0.0, 1.0, tloc.size)
    hours = TICKET_MEDIAN_HOURS[tcat] * np.exp(0.9 * quality)
    tres = topen + np.maximum(60, (hours * 3600).astype(np.int64))
    sat_lat = (
        4.5 - 0.9 * np.log1p(hours / 24.0) - 0.6 * (tcat == T_COMPLAINT)
        + 0.25 * act.engagement[tloc] + rng.normal(0.0, 0.7, tloc.size)
    )
    answered = rng.random(tloc.size) < 0.6
    sat = np.where(answered, np.clip(np.round(sat_lat), 1, 5), 0).astype(np.int8)
    unresolved = tres >= (world.end_day + 1) * SECONDS_PER_DAY
    tres = np.where(unresolved, np.iinfo(np.int64).max, tres)
    sat = np.where(unresolved, 0, sat).astype(np.int8)
    tcust = P[tloc].astype(np.int32)
    tickets.add(cust=tcust, open=topen, cat=tcat, resolved=tres, sat=sat)
    act.state.remember_tickets((tcust, topen, tcat, tres, sat))
