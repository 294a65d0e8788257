"""What customers do during a week: e-mail engagement, price notices, purchases and tickets.

Each step is one function over the chunk's customers. They run in a fixed
order, because each draws from the chunk's random generator and the draw order
is what makes a seed reproduce the same world byte for byte.

Only purchases (and their ``items``) depend on the hidden BG/NBD state: the
e-mail engagement, the price notices and the tickets (which follow orders)
are the same whether the customer is still alive or not, so they tell the
oracle nothing about being alive beyond what they do to the hazard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synthetic.core.chunks import Batches
from features.synthetic.core.config import SECONDS_PER_DAY
from features.synthetic.core.hazard import USAGE
from features.synthetic.noncontract.config import (
    BAD_DELIVERY_P,
    EMAIL_OPEN,
    ITEMS,
    PRICE_CHANGE,
    PURCHASE,
    T_DELIVERY,
    T_QUESTION,
    T_RETURN,
    TICKET_MEDIAN_HOURS,
    NonContractConfig,
)
from features.synthetic.noncontract.world import ChunkState, World

UNRESOLVED = np.iinfo(np.int64).max
MAX_TICKET_DELAY_DAYS = 14.0  # a ticket is opened within two weeks of its order (see TICKET_MEMORY_WEEKS)


@dataclass
class Stamps:
    """Customer positions and times (seconds) of one kind of observation in a week."""

    cust: np.ndarray
    sec: np.ndarray
    repeat: np.ndarray | None = None  # purchases: a repeat purchase (not the first one)

    def before(self, t_sec: int) -> Stamps:
        """The observations stamped before ``t_sec``."""
        m = self.sec < t_sec
        return Stamps(self.cust[m], self.sec[m], None if self.repeat is None else self.repeat[m])


def week_bounds(world: World, w: int) -> tuple[int, int]:
    """First second of week ``w`` and the first second after it (capped at the end of the data)."""
    return 7 * w * SECONDS_PER_DAY, min(7 * (w + 1), world.n_days) * SECONDS_PER_DAY


def emit(events: Batches, cust: np.ndarray, sec: np.ndarray, etype: int, value: np.ndarray) -> None:
    """Record one event of type ``etype`` per row."""
    events.add(cust=cust.astype(np.int32), sec=sec.astype(np.int64), type=np.full(cust.size, etype, dtype=np.int8),
               value=np.asarray(value, dtype=np.float64))


def step_engagement(state: ChunkState, world: World, w: int, rng: np.random.Generator) -> None:
    """Latent e-mail engagement: a mean-reverting walk with occasional drift-down episodes."""
    idx = np.flatnonzero(state.t1_sec < week_bounds(world, w)[1])
    dec = state.declining[idx]
    dec = np.where(dec, rng.random(idx.size) >= 0.1, rng.random(idx.size) < 0.012)
    state.declining[idx] = dec
    e = state.eng[idx]
    e = e + 0.1 * (state.eng_mu[idx] - e) + rng.normal(0.0, 0.15, idx.size) - 0.3 * dec
    state.eng[idx] = np.clip(e, -4.0, 2.0)


def step_emails(state: ChunkState, world: World, cfg: NonContractConfig, w: int, rng: np.random.Generator,
                events: Batches) -> Stamps:
    """Newsletter opens (``email_open``, passive): Poisson by the latent engagement, from the first purchase on.

    Returns:
        The week's opens (alive or not: opening a newsletter is not buying).
    """
    w_start, w_end = week_bounds(world, w)
    idx = np.flatnonzero(state.t1_sec < w_end)
    counts = rng.poisson(cfg.emails_per_week * np.exp(state.eng[idx]))
    loc = np.repeat(np.arange(idx.size), counts)
    slot = rng.choice(168, size=loc.size, p=world.email_slot_p)
    sec = w_start + slot.astype(np.int64) * 3600 + rng.integers(0, 3600, loc.size)
    keep = (sec > state.t1_sec[idx][loc]) & (sec < w_end)
    cust, sec = idx[loc[keep]], sec[keep]
    emit(events, cust, sec, EMAIL_OPEN, np.ones(cust.size))
    return Stamps(cust, sec)


def step_price_notices(state: ChunkState, world: World, w: int, rng: np.random.Generator, events: Batches) -> None:
    """``price_change`` notices (passive, value = new price level) to the region's customers signed up before."""
    w_start, w_end = week_bounds(world, w)
    for step in world.price_steps:
        day_sec = step.day * SECONDS_PER_DAY
        if not w_start <= day_sec < w_end:
            continue
        cust = np.flatnonzero(step.regions[state.region] & (state.t1_sec < day_sec))
        sec = day_sec + 6 * 3600 + rng.integers(0, 3600, cust.size)
        emit(events, cust, sec, PRICE_CHANGE, step.level[state.region[cust]])


def _repeat_purchases(state: ChunkState, w_start: int, w_end: int, rng: np.random.Generator) -> Stamps:
    """The week's repeat purchases of the alive customers, up to and including a dropout; records the dropouts.

    While alive a customer buys as a Poisson process of rate ``lambda`` (uniform
    in time); right after each repeat purchase it dies with probability ``p``.
    """
    idx = np.flatnonzero(state.alive & (state.t1_sec < w_end))
    start = np.maximum(w_start, state.t1_sec[idx])
    length = w_end - start
    counts = rng.poisson(state.lam[idx] * length / SECONDS_PER_DAY)
    loc = np.repeat(np.arange(idx.size), counts)
    sec = start[loc] + (rng.random(loc.size) * length[loc]).astype(np.int64)
    order = np.lexsort((sec, loc))
    loc, sec = loc[order], sec[order]
    drop = rng.random(loc.size) < state.p[idx][loc]
    # keep each customer's purchases up to its first dropout: no dropout among the earlier ones
    drops_before = np.concatenate(([0], np.cumsum(drop)))
    first = np.cumsum(counts) - counts
    keep = drops_before[:-1] - np.repeat(drops_before[first], counts) == 0
    dies = keep & drop
    dead = idx[loc[dies]]
    state.alive[dead] = False
    state.death_sec[dead] = sec[dies]
    state.driver[dead] = USAGE
    return Stamps(idx[loc[keep]], sec[keep], np.ones(int(keep.sum()), dtype=bool))


def step_purchases(state: ChunkState, world: World, w: int, rng: np.random.Generator, events: Batches) -> Stamps:
    """First and repeat purchases of the week: a ``purchase`` (value = amount) and an ``items`` event each.

    Returns:
        The week's purchases (``repeat`` False for first purchases).
    """
    w_start, w_end = week_bounds(world, w)
    new = np.flatnonzero((state.t1_sec >= w_start) & (state.t1_sec < w_end))
    rep = _repeat_purchases(state, w_start, w_end, rng)
    cust = np.concatenate((new, rep.cust))
    sec = np.concatenate((state.t1_sec[new], rep.sec))
    amount = np.round(rng.lognormal(state.order_mu[cust], 0.45), 2)
    items = 1 + rng.poisson(amount / 40.0)
    emit(events, cust, sec, PURCHASE, amount)
    emit(events, cust, sec, ITEMS, items)
    return Stamps(cust, sec, np.concatenate((np.zeros(new.size, dtype=bool), rep.repeat)))


def step_tickets(state: ChunkState, world: World, purchases: Stamps, rng: np.random.Generator,
                 tickets: Batches) -> None:
    """Tickets about orders: most bad deliveries (by region) and a few other orders get one within two weeks.

    Resolution times are log-normal by category; the satisfaction answer
    (1..5, 0 = none) falls when the resolution is slow. A ticket still open at
    the end of the data has neither.
    """
    n = purchases.cust.size
    bad = rng.random(n) < BAD_DELIVERY_P[state.region[purchases.cust]]
    filed = np.where(bad, rng.random(n) < 0.8, rng.random(n) < 0.05)
    cat = np.where(bad, T_DELIVERY, np.where(rng.random(n) < 0.5, T_RETURN, T_QUESTION)).astype(np.int8)
    delay_days = np.minimum(0.3 + rng.exponential(1.5, n), MAX_TICKET_DELAY_DAYS)
    opened = purchases.sec + (delay_days * SECONDS_PER_DAY).astype(np.int64)
    hours = TICKET_MEDIAN_HOURS[cat] * np.exp(rng.normal(0.0, 0.9, n))
    sat_lat = 4.5 - 0.9 * np.log1p(hours / 24.0) - 0.5 * bad + rng.normal(0.0, 0.7, n)
    answered = rng.random(n) < 0.6
    keep = filed & (opened < world.end_sec)
    opened, cat, hours = opened[keep], cat[keep], hours[keep]
    resolved = opened + np.maximum(60, (hours * 3600).astype(np.int64))
    sat = np.where(answered[keep], np.clip(np.round(sat_lat[keep]), 1, 5), 0).astype(np.int8)
    open_at_end = resolved >= world.end_sec
    resolved = np.where(open_at_end, UNRESOLVED, resolved)
    sat = np.where(open_at_end, 0, sat).astype(np.int8)
    cust = purchases.cust[keep].astype(np.int32)
    tickets.add(cust=cust, open=opened, cat=cat, resolved=resolved, sat=sat)
    state.recent_tickets.append((cust, opened, cat, resolved, sat))


def apply_week(state: ChunkState, purchases: Stamps, emails: Stamps) -> None:
    """Fold the week's purchases and e-mail opens into the observable history (after the week's cutoffs)."""
    np.add.at(state.x, purchases.cust[purchases.repeat], 1)
    np.maximum.at(state.tx_sec, purchases.cust, purchases.sec)
    # a purchase restarts the posterior's running sums over the boundaries since the last purchase
    state.log_surv[purchases.cust] = 0.0
    state.boundary_mass[purchases.cust] = 0.0
    np.maximum.at(state.last_email_sec, emails.cust, emails.sec)
