"""What all chunks share (calendar, price notices, first-purchase times) and one chunk's customers as arrays."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from features.synthetic.core.config import SECONDS_PER_DAY
from features.synthetic.noncontract.config import (
    CHANNEL_EFFECT,
    CHANNEL_P,
    CHANNELS,
    COLOURS,
    EMAIL_HOUR_W,
    LOYALTY_EFFECT,
    LOYALTY_P,
    NEVER,
    REGION_EFFECT,
    REGION_P,
    REGIONS,
    SIGNUP_HOUR_W,
    WEEKDAY_W,
    NonContractConfig,
)

# Tickets are opened within two weeks of their order (kept with the order's week) and the hazard reads
# those opened in the last 8 weeks before a time up to the end of the current week: 12 weeks cover it.
TICKET_MEMORY_WEEKS = 12


@dataclass(frozen=True)
class PriceStep:
    """One price increase: notices on ``day`` to the customers of ``regions`` who signed up before it."""

    day: int
    regions: np.ndarray  # (n_regions,) bool
    pct: float
    level: np.ndarray    # (n_regions,) price level after the step (1.0 = prices at the start)


@dataclass(frozen=True)
class World:
    """The calendar every chunk shares (depends on the config only)."""

    start: np.datetime64
    n_days: int
    n_weeks: int           # weeks ``w`` start on day ``7 w``; the last one may be partial
    email_slot_p: np.ndarray  # 168 hour-of-week slots of the simulation week
    price_steps: tuple[PriceStep, ...]

    @property
    def end_sec(self) -> int:
        """First second after the data (end of the as-of day)."""
        return self.n_days * SECONDS_PER_DAY


def make_world(cfg: NonContractConfig) -> World:
    """The shared calendar: the e-mail hour-of-week profile and the price increases in order.

    Args:
        cfg: the world's knobs.

    Returns:
        The calendar; price increases outside the period are dropped.
    """
    n_days = (cfg.end_date - cfg.start_date).days + 1
    day_w = WEEKDAY_W[(cfg.start_date.weekday() + np.arange(7)) % 7]
    slot = np.outer(day_w, EMAIL_HOUR_W).ravel()
    level = np.ones(len(REGIONS))
    steps = []
    for when, region, pct in sorted(cfg.price_increases):
        d = (when - cfg.start_date).days
        if not 0 < d < n_days:
            continue
        regions = np.ones(len(REGIONS), dtype=bool) if region == "all" else np.array([r == region for r in REGIONS])
        level = np.where(regions, np.round(level * (1.0 + pct), 4), level)
        steps.append(PriceStep(d, regions, float(pct), level.copy()))
    return World(np.datetime64(cfg.start_date, "D"), n_days, (n_days - 1) // 7 + 1, slot / slot.sum(), tuple(steps))


def first_purchase_seconds(cfg: NonContractConfig, n_days: int) -> np.ndarray:
    """First-purchase times of all customers (a growing business, quieter weekends, a time-of-day profile).

    Args:
        cfg: the world's knobs (its own random stream, apart from the chunks').
        n_days: days in the period.

    Returns:
        Seconds since the start, sorted, so customer ids follow the first-purchase order.
    """
    rng = np.random.default_rng([cfg.seed, 2**31 - 2])
    days = np.arange(n_days)
    w = (1.0 + 1.5 * days / max(1, n_days - 1)) * WEEKDAY_W[(cfg.start_date.weekday() + days) % 7]
    day = rng.choice(n_days, size=cfg.n_customers, p=w / w.sum())
    hour = rng.choice(24, size=cfg.n_customers, p=SIGNUP_HOUR_W / SIGNUP_HOUR_W.sum())
    sec = day.astype(np.int64) * SECONDS_PER_DAY + hour * 3600 + rng.integers(0, 3600, cfg.n_customers)
    sec.sort(kind="stable")
    return sec


@dataclass
class ChunkState:
    """One chunk of customers: attributes, hidden BG/NBD draws, observable history and the oracle's accumulators.

    Indices are positions within the chunk. Times are seconds (``*_sec``) or
    days (floats) since the start of the period.
    """

    # fixed at the first purchase
    t1_sec: np.ndarray
    t1: np.ndarray            # first purchase, days
    channel: np.ndarray
    region: np.ndarray
    loyalty: np.ndarray
    colour: np.ndarray
    attr_effect: np.ndarray   # the attributes family's hazard term
    # hidden
    lam: np.ndarray           # purchases a day while alive
    p: np.ndarray             # dropout probability after each repeat purchase
    order_mu: np.ndarray      # log median order value
    eng_mu: np.ndarray        # e-mail engagement baseline
    eng: np.ndarray           # latent e-mail engagement
    declining: np.ndarray     # in an engagement drift-down episode
    alive: np.ndarray
    death_sec: np.ndarray     # NEVER while alive
    driver: np.ndarray        # family index of the death (-1: alive)
    # observable history
    x: np.ndarray             # repeat purchases so far
    tx_sec: np.ndarray        # last purchase (the first one while x = 0)
    last_email_sec: np.ndarray
    # oracle accumulators since the last purchase (see oracle.py)
    log_surv: np.ndarray
    boundary_mass: np.ndarray
    recent_tickets: deque = field(default_factory=lambda: deque(maxlen=TICKET_MEMORY_WEEKS))

    @property
    def n(self) -> int:
        return int(self.t1_sec.shape[0])

    @classmethod
    def draw(cls, cfg: NonContractConfig, rng: np.random.Generator, t1_sec: np.ndarray) -> ChunkState:
        """Draw the chunk's attributes and hidden parameters (the chunk's first draws from ``rng``).

        Args:
            cfg: the population parameters.
            rng: the chunk's generator.
            t1_sec: the chunk's first-purchase times.

        Returns:
            The chunk, everyone alive with no repeat purchase yet.
        """
        n = t1_sec.shape[0]
        channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_P).astype(np.int8)
        region = rng.choice(len(REGIONS), size=n, p=REGION_P).astype(np.int8)
        loyalty = rng.random(n) < LOYALTY_P
        colour = rng.integers(0, len(COLOURS), size=n).astype(np.int8)
        lam = rng.gamma(cfg.r, 1.0 / cfg.alpha, n)
        p = rng.beta(cfg.a, cfg.b, n)
        order_mu = np.log(cfg.mean_order_value) + rng.normal(0.0, 0.5, n)
        eng_mu = rng.normal(-0.2, 0.8, n) + 0.2 * loyalty
        eng = eng_mu + rng.normal(0.0, 0.3, n)
        t1 = t1_sec / SECONDS_PER_DAY
        return cls(
            t1_sec=t1_sec, t1=t1, channel=channel, region=region, loyalty=loyalty, colour=colour,
            attr_effect=CHANNEL_EFFECT[channel] + REGION_EFFECT[region] + LOYALTY_EFFECT * loyalty,
            lam=lam, p=p, order_mu=order_mu, eng_mu=eng_mu, eng=eng, declining=np.zeros(n, dtype=bool),
            alive=np.ones(n, dtype=bool), death_sec=np.full(n, NEVER, dtype=np.int64),
            driver=np.full(n, -1, dtype=np.int8), x=np.zeros(n, dtype=np.int64), tx_sec=t1_sec.copy(),
            last_email_sec=np.full(n, NEVER, dtype=np.int64), log_surv=np.zeros(n), boundary_mass=np.zeros(n),
        )
