"""What every chunk of customers shares: the calendar, outages, price steps and signup days."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synthetic.subscription.config import (
    EARLY_LIFE,
    EARLY_LIFE_DAYS,
    HOUR_W,
    MONTH_SEASON,
    PLAN_PRICE,
    PLANS,
    REGIONS,
    TICKET_HOUR_W,
    WEEKDAY_W,
    SyntheticConfig,
)


def early_life(tenure_days: np.ndarray) -> np.ndarray:
    """The tenure family's early-life hazard term: high at signup, fading over the first weeks."""
    return EARLY_LIFE * np.exp(-tenure_days / EARLY_LIFE_DAYS)


def add_months(d: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Calendar ``d + months`` (day of month clipped to the target month's length)."""
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    tm = m + np.asarray(months).astype("timedelta64[M]")
    dim = ((tm + 1).astype("datetime64[D]") - tm.astype("datetime64[D]")).astype(np.int64)
    return tm.astype("datetime64[D]") + np.minimum(dom, dim - 1).astype("timedelta64[D]")


@dataclass(frozen=True)
class World:
    """The calendar every chunk shares (depends on the config only)."""

    start: np.datetime64
    n_days: int  # days in the period; day indices 0 .. n_days - 1
    n_weeks: int
    start_weekday: int
    slot_p: np.ndarray  # 168 hour-of-week slots (offset within the simulation week)
    ticket_slot_p: np.ndarray
    week_season: np.ndarray  # (n_weeks,)
    outage: np.ndarray  # (n_weeks, n_regions) bool
    price_steps: tuple[tuple[int, int, float], ...]  # (day, plan, pct), sorted by day

    @property
    def end_day(self) -> int:
        return self.n_days - 1

    def list_price(self, plan: np.ndarray, day: np.ndarray) -> np.ndarray:
        """List monthly price of ``plan`` on ``day`` (after the increases up to then)."""
        price = PLAN_PRICE[plan].copy()
        for pday, pplan, pct in self.price_steps:
            hit = (plan == pplan) & (day >= pday)
            price[hit] = np.round(price[hit] * (1.0 + pct), 2)
        return price


def outages_per_region(n_weeks: int) -> int:
    """How many weeks of the period each region has an outage (about one in 35; the continuation oracle draws
    the weeks after a cutoff at this rate)."""
    return max(1, round(n_weeks / 35))


def make_world(cfg: SyntheticConfig) -> World:
    """The shared calendar: hour-of-week profiles, seasons, regional outages and price increases."""
    n_days = (cfg.end_date - cfg.start_date).days + 1
    n_weeks = n_days // 7 + 1
    start_weekday = cfg.start_date.weekday()
    day_w = WEEKDAY_W[(start_weekday + np.arange(7)) % 7]
    slot_p = np.outer(day_w, HOUR_W).ravel()
    ticket_slot_p = np.outer(day_w * np.array([1.0 if (start_weekday + i) % 7 < 5 else 0.5 for i in range(7)]),
                             TICKET_HOUR_W).ravel()
    start = np.datetime64(cfg.start_date, "D")
    mid = start + (np.arange(n_weeks) * 7 + 3).astype("timedelta64[D]")
    months = (mid.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int64)
    rng = np.random.default_rng([cfg.seed, 2**31 - 1])
    n_outages = outages_per_region(n_weeks)
    outage = np.zeros((n_weeks, len(REGIONS)), dtype=bool)
    for r in range(len(REGIONS)):
        outage[rng.choice(n_weeks, size=min(n_outages, n_weeks), replace=False), r] = True
    steps = []
    for when, plan, pct in cfg.price_increases:
        d = (when - cfg.start_date).days
        if 0 < d < n_days:
            steps.append((d, PLANS.index(plan), float(pct)))
    steps.sort()
    return World(
        start=start,
        n_days=n_days,
        n_weeks=n_weeks,
        start_weekday=start_weekday,
        slot_p=slot_p / slot_p.sum(),
        ticket_slot_p=ticket_slot_p / ticket_slot_p.sum(),
        week_season=MONTH_SEASON[months],
        outage=outage,
        price_steps=tuple(steps),
    )


def signup_days(cfg: SyntheticConfig, n_days: int) -> np.ndarray:
    """Sorted signup day indices of all customers (a growing business, quieter weekends)."""
    rng = np.random.default_rng([cfg.seed, 2**31 - 2])
    days = np.arange(n_days)
    w = (1.0 + 1.5 * days / max(1, n_days - 1)) * WEEKDAY_W[(cfg.start_date.weekday() + days) % 7]
    # the last day cannot host a churn (> signup) but can host a signup
    out = rng.choice(n_days, size=cfg.n_customers, p=w / w.sum())
    out.sort(kind="stable")
    return out.astype(np.int32)
