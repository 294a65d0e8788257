"""The oracle by continuation: P(churn in (D, D + H] | the world's state at D), by simulating on from that state.

The labels come from a hazard recomputed every week from a state that keeps moving (latent engagement walks and
has decline episodes, usage follows it, tickets, failed payments, plan changes, NPS answers and renewals feed the
next weeks' hazard). Holding the first horizon week's hazard fixed (``hazard.oracle``, kept as the frozen
figure) ignores all of that. Here the active customers' state at the start of the week containing ``D + 1``
(built from data strictly before that week, so never after ``D``) is copied ``K`` times, and each copy lives
on through the horizon with the world's own weekly steps (``hazard.hazard`` and ``activity.step_*``, the very
functions the world runs), with no churn drawn into it: each week adds ``log(1 - q)`` of that week's churn
probability on the horizon's days (``hazard.week_churn_probability``, as ``draw_churn`` uses), and the oracle is
``1 - mean over the copies of exp(sum)`` (the churn integrated out along each path, so no churn noise).

The copies draw from their own generator (``[seed, chunk, ORACLE_STREAM, D]``) and never touch the world's
state or its generator, so the world's tables are the same bytes with or without this oracle.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from features.synthetic.subscription import activity
from features.synthetic.subscription.activity import Activity
from features.synthetic.subscription.config import MONTH_SEASON, NEVER, SyntheticConfig
from features.synthetic.subscription.hazard import Week, hazard, week_churn_probability
from features.synthetic.subscription.state import CustomerState
from features.synthetic.subscription.world import World, outages_per_region

ORACLE_STREAM = 9_191  # the continuations' generator: [seed, chunk, ORACLE_STREAM, cutoff day]


class _Discard:
    """Where the copies' events and tickets go: nowhere (only their effect on the copies' state matters)."""

    def add(self, **cols: np.ndarray) -> None:
        pass


_DISCARD = _Discard()


def replicate(state: CustomerState, cust: np.ndarray, k: int) -> CustomerState:
    """``k`` copies of the customers ``cust`` (chunk indices) as one state: row ``j * len(cust) + i`` is copy ``j``
    of ``cust[i]``. The tickets of the last weeks and a campaign's effect in force are copied too."""
    rows = np.tile(cust, k)
    n = state.n
    values = {}
    for f in dataclasses.fields(state):
        v = getattr(state, f.name)
        if isinstance(v, np.ndarray) and v.shape[:1] == (n,):
            values[f.name] = v[rows].copy()
    out = CustomerState(**values)
    pos = np.full(n, -1, dtype=np.int64)
    pos[cust] = np.arange(cust.size)
    offsets = np.arange(k, dtype=np.int64) * cust.size
    for tc, *cols in state.recent_tickets:
        keep = pos[tc] >= 0 if tc.size else np.zeros(0, dtype=bool)
        p = pos[tc[keep]]
        new_c = (offsets[:, None] + p[None, :]).ravel().astype(np.int32)
        out.recent_tickets.append((new_c, *(np.tile(c[keep], k) for c in cols)))
    if state.treatment is not None:
        out.treatment = _copied_treatment(state.treatment, rows)
    return out


def _copied_treatment(treatment, rows: np.ndarray):
    """The campaign effects in force (decided at earlier cutoffs) for the copies; no campaign's truth to keep."""
    draws = treatment.draws
    copy = type(treatment)(rows.size, type(draws)(draws.response[rows], draws.dog_u[rows]))
    copy.start(np.arange(rows.size), treatment.shift[rows], 0, 0)
    copy.first_week[:] = treatment.first_week[rows]
    copy.last_week[:] = treatment.last_week[rows]
    return copy


def horizon_calendar(world: World, w: int, last_day: int, rng: np.random.Generator) -> World:
    """The calendar the continuations live on from week ``w`` to ``last_day`` (the horizon's end, past the data's
    end for the last cutoffs), made of nothing the world does after week ``w`` starts: the season by each week's
    month (as ``make_world`` sets it), the regional outages of the weeks before ``w`` and, from ``w`` on, new
    ones drawn at the world's rate (the world's own are events after the cutoff). The price steps stay: the
    business's own plan, set in the config before any week runs."""
    n_days = last_day + 1
    n_weeks = n_days // 7 + 1
    mid = world.start + (np.arange(n_weeks) * 7 + 3).astype("timedelta64[D]")
    months = (mid.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int64)
    rate = min(outages_per_region(world.n_weeks), world.n_weeks) / world.n_weeks  # share of a region's weeks
    past = world.outage[: min(w, n_weeks)]
    outage = np.vstack([past, rng.random((n_weeks - past.shape[0], world.outage.shape[1])) < rate])
    return dataclasses.replace(world, n_days=n_days, n_weeks=n_weeks, outage=outage, week_season=MONTH_SEASON[months])


def continuation_probability(cfg: SyntheticConfig, state: CustomerState, world: World, w: int, cust: np.ndarray,
                             cutoff_day: int, horizon_days: int, rng: np.random.Generator,
                             k: int) -> np.ndarray:
    """P(churn in ``(D, D + H]``) of each of ``cust`` (active at ``D``), from ``k`` continuations of the state at
    the start of week ``w`` (the week containing ``D + 1``; the world's loop is there, before the week's churn
    draw). Reads ``state`` only; draws from ``rng`` only."""
    if cust.size == 0:
        return np.zeros(0)
    h_first, h_last = cutoff_day + 1, cutoff_day + horizon_days
    copies = replicate(state, cust, k)
    cal = horizon_calendar(world, w, h_last, rng)
    log_surv = np.zeros(copies.n)
    everyone = np.arange(copies.n)
    no_churn = np.zeros(copies.n, dtype=bool)
    last_week = h_last // 7
    for wk in range(w, last_week + 1):
        w0 = 7 * wk
        week = Week(wk, w0, min(w0 + 6, cal.end_day), everyone, np.maximum(0, w0 - copies.signup_day))
        hz = hazard(copies, week)
        q, *_ = week_churn_probability(copies, week, hz, max(w0, h_first), min(week.w_last, h_last))
        log_surv += np.log1p(-q)
        if wk == last_week:
            break
        _step(cfg, cal, copies, week, hz, no_churn, rng)
    return -np.expm1(log_surv).reshape(k, cust.size).mean(axis=0)


def _step(cfg: SyntheticConfig, world: World, state: CustomerState, week: Week, hz, no_churn: np.ndarray,
          rng: np.random.Generator) -> None:
    """The world's week of activity (``simulate.simulate_week``'s steps, in its order), nobody churning."""
    act = Activity.start(state, week, no_churn, np.zeros(no_churn.size, dtype=np.int32), _DISCARD)
    activity.step_engagement(act, hz, rng)
    _step_usage_counts(act, cfg, world, rng)
    activity.step_price_increases(act, world, rng)
    activity.step_billing(act, hz, world, rng)
    activity.step_plan_changes(act, hz, world, rng)
    activity.step_nps(act, hz, cfg, rng)
    activity.step_tickets(act, hz, cfg, world, rng, _DISCARD)
    state.last_event_day[week.P] = np.maximum(state.last_event_day[week.P], act.week_last_event)
    state.advance_renewals(world, week.P, week.w_last)


def _step_usage_counts(act: Activity, cfg: SyntheticConfig, world: World, rng: np.random.Generator) -> None:
    """What ``activity.step_usage`` leaves in the state, without the events: the week's usage count (the ring)
    and last usage day. The same law, drawn faster: the world draws a Poisson count, an hour-of-week slot per
    event, and keeps the events on the days the customer may act on; the kept count is then Poisson with the rate
    times those days' share of the slots, and given ``m`` kept events the last one falls on or before day ``d``
    with probability ``(share up to d / share of the kept days) ** m``: one Poisson and one uniform a customer."""
    s, week = act.state, act.week
    days = week.w0 + np.arange(7)
    ok = (days[None, :] >= act.first_day[:, None]) & (days[None, :] <= act.last_day[:, None])
    cum = np.cumsum(ok * world.slot_p.reshape(7, 24).sum(axis=1)[None, :], axis=1)
    total = cum[:, -1]
    m = rng.poisson(activity.usage_rate(act, cfg, world) * total)
    u = rng.random(m.size)
    with np.errstate(divide="ignore"):
        level = total * u ** (1.0 / np.maximum(m, 1))
    last = week.w0 + np.argmax((cum >= level[:, None]) & ok, axis=1)
    s.usage_ring[week.P, week.w % 8] = m.astype(np.int32)
    act.week_last_event[:] = np.maximum(act.week_last_event, np.where(m > 0, last, NEVER).astype(np.int32))
