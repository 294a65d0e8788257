"""A seeded, vectorised synthetic subscription business with ground truth.

The generator simulates a "customer world" week by week. Every customer of a
chunk is a row of numpy arrays; the only Python loops are over weeks, chunks,
cutoffs and the handful of horizon weeks of the oracle, never over customers or
events.

Model of the world
------------------
* Customers sign up between ``start_date`` and ``end_date`` (growing business,
  fewer signups at weekends). Customer ids are given in signup order. Static
  attributes are drawn at signup: ``plan`` (basic/standard/premium), the list
  ``monthly_fee`` at signup, ``contract`` (monthly/annual), acquisition
  ``channel``, ``region`` and ``favourite_colour`` (which has no effect at all).
* A latent engagement ``e`` per customer follows a mean-reverting random walk
  around a personal baseline. Occasionally a customer enters a "disengaging"
  state in which ``e`` drifts down week after week (more likely after bad
  support, price increases and payment failures) until it recovers or the
  customer leaves. Usage events (``login``, ``session``, ``feature_use``) are
  Poisson with a mean of ``rate * onboarding(tenure) * exp(e) * season``;
  the onboarding curve ramps usage up over the first weeks, weekends are quieter
  and there is a time-of-day profile. Regional outages depress usage and cause
  outage tickets.
* Support tickets (billing, bug, outage, howto, complaint) have category
  dependent rates, log-normal resolution times (tickets still open at the end
  of the data have no ``resolved_at``) and a satisfaction answer (1..5,
  sometimes missing) that falls with slow resolution.
* Monthly customers are billed on their signup day-of-month, annual customers
  on the signup anniversary; a payment can fail (``payment_failed`` events,
  value = amount, with an occasional retry failure). Configured price increases
  emit ``price_change`` events (value = new monthly fee) to the affected active
  customers. Plans can be upgraded or downgraded (``plan_change``, value = new
  fee). NPS surveys are sent after 4 weeks and then every 13 weeks; answers
  (``nps``, value 0..10) follow the latent engagement and support experience.

Churn hazard
------------
At the start of every week ``w`` each customer has a weekly churn hazard
``h = sigmoid(base[contract] + shift + sum of family contributions)`` computed
only from what is observable in the generated tables *before* that week (so a
point-in-time feature pipeline can learn it):

=============  ================================================================
family         contribution
=============  ================================================================
usage          decline of usage events: ``log((prev 4 weeks + 1) / (last 4 weeks + 1))`` clipped at 0
engagement     days since the last event of any kind; last NPS answer (detractors up, promoters down)
tenure         early life (decays with tenure); annual renewal (annual customers churn mostly on their
               renewal day); recent downgrade (up) / upgrade (down)
complaints     tickets opened in the last 8 weeks: open and ageing, slow resolution (> 72 h), low
               satisfaction raise it, fast well-rated resolutions lower it; complaints weigh most
billing        payment failures in the last 4 weeks; a price increase in the last 8 weeks (by its size)
attributes     acquisition channel, region, plan at signup (``favourite_colour`` has no effect)
=============  ================================================================

Within a week churn can happen on any day after signup (probability
``1 - (1 - h) ** (days / 7)``); an annual customer whose renewal day falls in the
week instead churns on the renewal day with probability
``sigmoid(logit + renewal_boost)``. A churned customer produces nothing after
the end of its churn day.

Ground truth
------------
* ``oracle.parquet``: for each cutoff ``D`` (end of day ``D``) and every
  customer active at ``D``, the probability of churn within ``(D, D + H]``. It is
  the generator's hazard *as of the week containing D + 1* (state computed from
  data strictly before that week, so never from after ``D``) held fixed over the
  horizon, except for the parts that advance deterministically with time: the
  early-life term is re-evaluated at the tenure of each horizon week and an
  annual renewal falling in the horizon applies the renewal probability:
  ``1 - prod_k (1 - q_k)`` over the horizon weeks ``k``.
* ``drivers.parquet``: for every churned customer, the family with the largest
  contribution to the hazard of its churn week (``features.catalog.FAMILIES``).

Determinism and resources
-------------------------
Chunk ``i`` uses ``np.random.default_rng([seed, i])`` (signup days come from a
separate stream), so the output does not depend on the number of worker
processes. Tables are written chunk by chunk with ``pyarrow.parquet.ParquetWriter``
to temporary names and renamed when everything is written.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from features.catalog import FAMILIES

logger = logging.getLogger(__name__)

__all__ = [
    "SyntheticConfig",
    "generate",
    "EVENT_TYPES",
    "TICKET_CATEGORIES",
    "PLANS",
    "CHANNELS",
    "REGIONS",
    "COLOURS",
    "NO_EFFECT_ATTRIBUTES",
]

# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------
EVENT_TYPES: tuple[str, ...] = (
    "login",
    "session",
    "feature_use",
    "payment_failed",
    "nps",
    "plan_change",
    "price_change",
)
_LOGIN, _SESSION, _FEATURE, _PAYFAIL, _NPS, _PLANCHG, _PRICECHG = range(len(EVENT_TYPES))
_USAGE_SHARES = np.array([0.40, 0.35, 0.25])  # login, session, feature_use

TICKET_CATEGORIES: tuple[str, ...] = ("billing", "bug", "outage", "howto", "complaint")
_T_BILLING, _T_BUG, _T_OUTAGE, _T_HOWTO, _T_COMPLAINT = range(len(TICKET_CATEGORIES))
_TICKET_MEDIAN_HOURS = np.array([18.0, 40.0, 10.0, 6.0, 44.0])
_TICKET_WEIGHT = np.array([1.0, 0.8, 0.5, 0.3, 1.6])  # weight in the complaints hazard

PLANS: tuple[str, ...] = ("basic", "standard", "premium")
_PLAN_P = np.array([0.45, 0.40, 0.15])
_PLAN_PRICE = np.array([9.99, 19.99, 39.99])
_PLAN_USAGE = np.array([0.85, 1.0, 1.25])
_PLAN_EFFECT = np.array([0.15, 0.0, -0.15])

CONTRACTS: tuple[str, ...] = ("monthly", "annual")
CHANNELS: tuple[str, ...] = ("organic", "paid_search", "paid_social", "referral", "partner")
_CHANNEL_P = np.array([0.35, 0.25, 0.20, 0.12, 0.08])
_CHANNEL_EFFECT = np.array([0.0, 0.15, 0.45, -0.35, -0.15])
_CHANNEL_ENGAGEMENT = np.array([0.0, -0.05, -0.15, 0.15, 0.05])
REGIONS: tuple[str, ...] = ("north", "south", "east", "west")
_REGION_P = np.array([0.30, 0.25, 0.25, 0.20])
_REGION_EFFECT = np.array([0.0, 0.12, -0.08, 0.05])
COLOURS: tuple[str, ...] = ("red", "green", "blue", "yellow", "purple")
NO_EFFECT_ATTRIBUTES: tuple[str, ...] = ("favourite_colour",)

# Family indices in FAMILIES order.
_F = {name: i for i, name in enumerate(FAMILIES)}
_USAGE, _ENGAGE, _TENURE, _COMPLAIN, _BILLING, _ATTR = (
    _F["usage"],
    _F["engagement"],
    _F["tenure"],
    _F["complaints"],
    _F["billing"],
    _F["attributes"],
)

# Weekday (Mon=0) and hour-of-day activity profiles.
_WEEKDAY_W = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.6, 0.55])
_HOUR_W = np.array(
    [0.15, 0.08, 0.05, 0.04, 0.05, 0.12, 0.35, 0.7, 1.0, 1.2, 1.2, 1.15,
     1.0, 1.05, 1.1, 1.1, 1.0, 1.0, 1.1, 1.25, 1.3, 1.1, 0.7, 0.35]
)
_TICKET_HOUR_W = np.array(
    [0.05, 0.03, 0.02, 0.02, 0.03, 0.08, 0.25, 0.6, 1.1, 1.3, 1.3, 1.2,
     1.0, 1.2, 1.25, 1.2, 1.1, 0.9, 0.6, 0.45, 0.4, 0.3, 0.2, 0.1]
)
_MONTH_SEASON = np.array([1.0, 1.0, 1.02, 1.0, 0.98, 0.95, 0.88, 0.88, 1.0, 1.03, 1.02, 0.85])

_NEVER = np.int32(-(10**6))  # "no such day" for day-valued state
_SECONDS_PER_DAY = 86_400
_KEY_SHIFT = 32  # sort key: customer index << 32 | second of the period


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class SyntheticConfig:
    """Knobs of the synthetic customer world.

    Attributes:
        n_customers: number of customers (all sign up within the period).
        start_date: first possible signup.
        end_date: the data's as-of date; nothing is stamped after the end of this day.
        seed: master seed; the same config gives byte-identical files.
        chunk_customers: customers simulated per chunk; bounds memory.
        events_per_customer_month: usage events (login + session + feature_use)
            per month of a fully onboarded customer of average engagement. The
            default gives ~100 events per customer over the default two years.
        tickets_per_customer_month: support tickets per customer-month at baseline.
        annual_share: share of customers on annual contracts.
        nps_response_rate: probability that a surveyed customer answers.
        payment_failure_rate: average probability that a billing attempt fails.
        price_increases: ``(effective date, plan, relative increase)``; affected
            active customers get a ``price_change`` event on that date.
        churn_logit_shift: added to every hazard logit (moves the churn rate).
        workers: processes that simulate chunks in parallel (``0``: one per CPU,
            at most 4). Does not change the output.
    """

    n_customers: int = 20_000
    start_date: date = date(2023, 1, 1)
    end_date: date = date(2024, 12, 31)
    seed: int = 42
    chunk_customers: int = 50_000
    events_per_customer_month: float = 13.0
    tickets_per_customer_month: float = 0.3
    annual_share: float = 0.3
    nps_response_rate: float = 0.35
    payment_failure_rate: float = 0.04
    price_increases: tuple[tuple[date, str, float], ...] = field(
        default=(
            (date(2024, 4, 1), "basic", 0.20),
            (date(2024, 4, 1), "standard", 0.15),
        )
    )
    churn_logit_shift: float = 0.0
    workers: int = 1

    def __post_init__(self) -> None:
        if self.n_customers < 1:
            raise ValueError("n_customers must be >= 1")
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        if self.chunk_customers < 1:
            raise ValueError("chunk_customers must be >= 1")
        if self.events_per_customer_month <= 0 or self.tickets_per_customer_month < 0:
            raise ValueError("event and ticket rates must be positive")
        if not 0.0 <= self.annual_share <= 1.0:
            raise ValueError("annual_share must be in [0, 1]")
        if not 0.0 <= self.nps_response_rate <= 1.0:
            raise ValueError("nps_response_rate must be in [0, 1]")
        if not 0.0 <= self.payment_failure_rate < 1.0:
            raise ValueError("payment_failure_rate must be in [0, 1)")
        for when, plan, pct in self.price_increases:
            if plan not in PLANS:
                raise ValueError(f"unknown plan in price_increases: {plan!r}")
            if not isinstance(when, date) or pct <= -1.0:
                raise ValueError(f"bad price increase: {(when, plan, pct)!r}")
        if self.workers < 0:
            raise ValueError("workers must be >= 0")
        if (self.end_date - self.start_date).days + 7 >= 2**31 // _SECONDS_PER_DAY:
            raise ValueError("period too long")


# Hazard coefficients (weekly logit scale).
_BASE_LOGIT = np.array([-5.95, -9.0])  # monthly, annual (outside renewal)
_RENEWAL_BOOST = 6.6
_EARLY_LIFE = 1.1
_EARLY_LIFE_DAYS = 35.0
_USAGE_DECLINE = 1.3
_INACTIVITY = 1.1  # per 28 days without any event, capped at 2 x
_NPS_DETRACTOR = 0.22  # per point below 7
_NPS_PROMOTER = -0.3
_DOWNGRADE = 0.6
_UPGRADE = -0.3
_FAIL = 0.75  # per failed payment in the last 4 weeks (max 3)
_PRICE = 5.0  # x relative increase, for 8 weeks
_SLOW_HOURS = 72.0


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _early_life(tenure_days: np.ndarray) -> np.ndarray:
    return _EARLY_LIFE * np.exp(-tenure_days / _EARLY_LIFE_DAYS)


def _add_months(d: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Calendar ``d + months`` (day of month clipped to the target month's length)."""
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    tm = m + np.asarray(months).astype("timedelta64[M]")
    dim = ((tm + 1).astype("datetime64[D]") - tm.astype("datetime64[D]")).astype(np.int64)
    return tm.astype("datetime64[D]") + np.minimum(dom, dim - 1).astype("timedelta64[D]")


# --------------------------------------------------------------------------
# The world shared by all chunks (depends on the config only)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class _World:
    start: np.datetime64
    n_days: int  # days in the period; day indices 0 .. n_days - 1
    n_weeks: int
    start_weekday: int
    slot_p: np.ndarray  # 168 hour-of-week slots (offset within the simulation week)
    ticket_slot_p: np.ndarray
    week_season: np.ndarray  # (n_weeks,)
    outage: np.ndarray  # (n_weeks, n_regions) bool
    price_steps: tuple[tuple[int, int, float], ...]  # (day, plan, pct), sorted by day

    def list_price(self, plan: np.ndarray, day: np.ndarray) -> np.ndarray:
        """List monthly price of ``plan`` on ``day`` (after the increases up to then)."""
        price = _PLAN_PRICE[plan].copy()
        for pday, pplan, pct in self.price_steps:
            hit = (plan == pplan) & (day >= pday)
            price[hit] = np.round(price[hit] * (1.0 + pct), 2)
        return price


def _make_world(cfg: SyntheticConfig) -> _World:
    n_days = (cfg.end_date - cfg.start_date).days + 1
    n_weeks = n_days // 7 + 1
    start_weekday = cfg.start_date.weekday()
    day_w = _WEEKDAY_W[(start_weekday + np.arange(7)) % 7]
    slot_p = np.outer(day_w, _HOUR_W).ravel()
    ticket_slot_p = np.outer(day_w * np.array([1.0 if (start_weekday + i) % 7 < 5 else 0.5 for i in range(7)]),
                             _TICKET_HOUR_W).ravel()
    start = np.datetime64(cfg.start_date, "D")
    mid = start + (np.arange(n_weeks) * 7 + 3).astype("timedelta64[D]")
    months = (mid.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int64)
    rng = np.random.default_rng([cfg.seed, 2**31 - 1])
    n_outages = max(1, round(n_weeks / 35))
    outage = np.zeros((n_weeks, len(REGIONS)), dtype=bool)
    for r in range(len(REGIONS)):
        outage[rng.choice(n_weeks, size=min(n_outages, n_weeks), replace=False), r] = True
    steps = []
    for when, plan, pct in cfg.price_increases:
        d = (when - cfg.start_date).days
        if 0 < d < n_days:
            steps.append((d, PLANS.index(plan), float(pct)))
    steps.sort()
    return _World(
        start=start,
        n_days=n_days,
        n_weeks=n_weeks,
        start_weekday=start_weekday,
        slot_p=slot_p / slot_p.sum(),
        ticket_slot_p=ticket_slot_p / ticket_slot_p.sum(),
        week_season=_MONTH_SEASON[months],
        outage=outage,
        price_steps=tuple(steps),
    )


def _signup_days(cfg: SyntheticConfig, n_days: int) -> np.ndarray:
    """Sorted signup day indices of all customers (a growing business, quieter weekends)."""
    rng = np.random.default_rng([cfg.seed, 2**31 - 2])
    days = np.arange(n_days)
    w = (1.0 + 1.5 * days / max(1, n_days - 1)) * _WEEKDAY_W[(cfg.start_date.weekday() + days) % 7]
    # the last day cannot host a churn (> signup) but can host a signup
    out = rng.choice(n_days, size=cfg.n_customers, p=w / w.sum())
    out.sort(kind="stable")
    return out.astype(np.int32)


# --------------------------------------------------------------------------
# Chunk simulation
# --------------------------------------------------------------------------
class _Batches:
    """Collects per-week column arrays and concatenates them once."""

    def __init__(self, names: Sequence[str]) -> None:
        self._cols: dict[str, list[np.ndarray]] = {n: [] for n in names}

    def add(self, **cols: np.ndarray) -> None:
        for k, v in cols.items():
            self._cols[k].append(v)

    def concat(self, dtypes: dict[str, Any]) -> dict[str, np.ndarray]:
        out = {}
        for k, parts in self._cols.items():
            out[k] = np.concatenate(parts) if parts else np.empty(0, dtype=dtypes[k])
            self._cols[k] = []
        return out


_EMPTY_TICKETS: tuple[np.ndarray, ...] = tuple(
    np.empty(0, dtype=d) for d in (np.int32, np.int64, np.int8, np.int64, np.int8)
)


def _simulate_chunk(
    cfg: SyntheticConfig,
    world: _World,
    chunk_index: int,
    signup_day: np.ndarray,
    cutoff_days: tuple[int, ...],
    horizon_days: int,
) -> dict[str, Any]:
    """Simulate one chunk of customers; returns column arrays of every table."""
    rng = np.random.default_rng([cfg.seed, chunk_index])
    n = signup_day.shape[0]
    end_day = world.n_days - 1

    # ---- static attributes (fixed at signup) ----
    plan0 = rng.choice(3, size=n, p=_PLAN_P).astype(np.int8)
    annual_p = np.clip(cfg.annual_share * np.array([0.8, 1.0, 1.6])[plan0], 0, 1)
    contract = (rng.random(n) < annual_p).astype(np.int8)
    channel = rng.choice(len(CHANNELS), size=n, p=_CHANNEL_P).astype(np.int8)
    region = rng.choice(len(REGIONS), size=n, p=_REGION_P).astype(np.int8)
    colour = rng.integers(0, len(COLOURS), size=n).astype(np.int8)
    fee0 = world.list_price(plan0, signup_day)
    attr_effect = _CHANNEL_EFFECT[channel] + _REGION_EFFECT[region] + _PLAN_EFFECT[plan0]
    base_logit = _BASE_LOGIT[contract] + cfg.churn_logit_shift

    # ---- latent state ----
    mu = rng.normal(0.0, 0.45, n) + _CHANNEL_ENGAGEMENT[channel] + 0.1 * (plan0 - 1)
    eng = mu + rng.normal(0.0, 0.3, n)
    declining = np.zeros(n, dtype=bool)
    # logit of the per-billing failure probability (a customer-level card risk)
    base_fail = math.log(cfg.payment_failure_rate / (1 - cfg.payment_failure_rate)) if cfg.payment_failure_rate > 0 else -50.0
    card_risk = base_fail - 0.5 + rng.normal(0.0, 1.0, n)
    plan = plan0.copy()
    fee = fee0.copy()

    signup_d64 = world.start + signup_day.astype("timedelta64[D]")
    signup_week = signup_day // 7
    renewal_k = np.ones(n, dtype=np.int64)
    next_renewal = ((_add_months(signup_d64, 12) - world.start).astype(np.int64)).astype(np.int32)

    usage_ring = np.zeros((n, 8), dtype=np.int32)
    fail_ring = np.zeros((n, 4), dtype=np.int16)
    last_event_day = np.full(n, _NEVER, dtype=np.int32)
    last_nps = np.full(n, np.nan)
    price_day = np.full(n, _NEVER, dtype=np.int32)
    price_pct = np.zeros(n)
    downgrade_day = np.full(n, _NEVER, dtype=np.int32)
    upgrade_day = np.full(n, _NEVER, dtype=np.int32)
    churn_day = np.full(n, -1, dtype=np.int32)
    driver = np.full(n, -1, dtype=np.int8)

    ev = _Batches(("cust", "sec", "type", "value"))
    tk = _Batches(("cust", "open", "cat", "resolved", "sat"))
    orc = _Batches(("cust", "cutoff", "prob"))
    # tickets of the last 8 weeks, for the complaints hazard: (cust, open, cat, resolved, sat)
    recent_tickets: list[tuple[np.ndarray, ...]] = []

    end_sec = (end_day + 1) * _SECONDS_PER_DAY  # exclusive
    first_week = int(signup_day.min()) // 7
    cutoffs_by_week: dict[int, list[int]] = {}
    for cd in cutoff_days:
        cutoffs_by_week.setdefault((cd + 1) // 7, []).append(cd)

    for w in range(first_week, world.n_weeks):
        w0 = 7 * w
        w_last = min(w0 + 6, end_day)
        present = (signup_day <= w_last) & (churn_day < 0)
        P = np.flatnonzero(present)
        if P.size == 0:
            recent_tickets.append(_EMPTY_TICKETS)
            if len(recent_tickets) > 8:
                recent_tickets.pop(0)
            continue

        tenure0 = np.maximum(0, w0 - signup_day[P])  # tenure at the start of the week (days)

        # ---------------- hazard at the start of week w ----------------
        ring_idx = (w - 1 - np.arange(8)) % 8
        ring = usage_ring[P][:, ring_idx]
        recent4 = ring[:, :4].sum(axis=1)
        prev4 = ring[:, 4:].sum(axis=1)
        contrib = np.zeros((len(FAMILIES), P.size))
        contrib[_USAGE] = _USAGE_DECLINE * np.clip(np.log((prev4 + 1.0) / (recent4 + 1.0)), 0.0, 3.0)
        led = last_event_day[P]
        dsl = np.where(led >= 0, w0 - led, tenure0).astype(np.float64)
        nps = last_nps[P]
        has_nps = ~np.isnan(nps)
        nps_term = np.where(
            has_nps,
            np.where(nps >= 9, _NPS_PROMOTER, _NPS_DETRACTOR * np.maximum(0.0, 7.0 - np.nan_to_num(nps))),
            0.0,
        )
        contrib[_ENGAGE] = _INACTIVITY * np.clip(dsl / 28.0, 0.0, 2.0) + nps_term
        early = _early_life(tenure0.astype(np.float64))
        contrib[_TENURE] = (
            early
            + _DOWNGRADE * (w0 - downgrade_day[P] <= 56)
            + _UPGRADE * (w0 - upgrade_day[P] <= 56)
        )
        complaint_score = np.zeros(n)
        if recent_tickets:
            tc, to, tcat, tres, tsat = (np.concatenate(x) for x in zip(*recent_tickets))
            t0 = w0 * _SECONDS_PER_DAY
            resolved = tres < t0  # resolved (and rated) before the week starts
            slow = (tres - to) > _SLOW_HOURS * 3600
            sat_eff = np.array([0.0, 0.9, 0.6, 0.1, -0.2, -0.45])[tsat]  # tsat 0 = no answer
            s_resolved = 0.5 * slow + sat_eff
            s_open = 0.25 + 0.5 * ((t0 - to) > 3 * _SECONDS_PER_DAY)
            score = _TICKET_WEIGHT[tcat] * np.where(resolved, s_resolved, s_open)
            complaint_score = np.bincount(tc, weights=score, minlength=n)
        cs = np.clip(complaint_score[P], -1.0, 3.0)
        contrib[_COMPLAIN] = cs
        fails4 = fail_ring[P].sum(axis=1)
        recent_price = np.where(w0 - price_day[P] <= 56, price_pct[P], 0.0)
        contrib[_BILLING] = _FAIL * np.minimum(fails4, 3) + _PRICE * recent_price
        contrib[_ATTR] = attr_effect[P]
        logit = base_logit[P] + contrib.sum(axis=0)
        h = _sigmoid(logit)

        # ---------------- churn draw within the week ----------------
        lo = np.maximum(w0, signup_day[P] + 1)
        n_el = w_last - lo + 1
        is_annual = contract[P] == 1
        rday = next_renewal[P]
        renew_in = is_annual & (rday >= lo) & (rday <= w_last)
        p_renew = _sigmoid(logit + _RENEWAL_BOOST)
        q = np.where(renew_in, p_renew, -np.expm1(np.log1p(-h) * np.maximum(n_el, 0) / 7.0))
        q = np.where(n_el > 0, q, 0.0)
        u = rng.random(P.size)
        churns = u < q
        # given churn, u / q is uniform on [0, 1): reuse it to pick the day
        n_pos = np.maximum(n_el, 1)
        frac = np.where(churns, u / np.where(churns, q, 1.0), 0.0)
        cday = np.where(renew_in, rday, lo + np.minimum((frac * n_pos).astype(np.int32), n_pos - 1))
        Cn = P[churns]
        churn_day[Cn] = cday[churns]
        cc = contrib[:, churns]
        cc[_TENURE] += np.where(renew_in[churns], _RENEWAL_BOOST, 0.0)
        driver[Cn] = np.argmax(cc, axis=0).astype(np.int8)

        # ---------------- oracle for the cutoffs of this week ----------------
        for cd in cutoffs_by_week.get(w, ()):
            active = (signup_day[P] <= cd) & ((churn_day[P] < 0) | (churn_day[P] > cd))
            A = np.flatnonzero(active)
            if A.size == 0:
                continue
            sd = signup_day[P][A]
            lg_static = logit[A] - early[A]
            rn = next_renewal[P][A].astype(np.int64)
            k_next = renewal_k[P][A]
            passed = rn <= cd
            if passed.any():
                rn2 = (_add_months(signup_d64[P][A][passed], 12 * (k_next[passed] + 1)) - world.start).astype(np.int64)
                rn = rn.copy()
                rn[passed] = rn2
            ann = contract[P][A] == 1
            log_surv = np.zeros(A.size)
            h_first, h_last = cd + 1, cd + horizon_days
            for k in range(h_first // 7, h_last // 7 + 1):
                a, b = max(h_first, 7 * k), min(h_last, 7 * k + 6)
                lg = lg_static + _early_life(np.maximum(0, 7 * k - sd).astype(np.float64))
                qk = -np.expm1(np.log1p(-_sigmoid(lg)) * (b - a + 1) / 7.0)
                ren = ann & (rn >= a) & (rn <= b)
                qk = np.where(ren, _sigmoid(lg + _RENEWAL_BOOST), qk)
                log_surv += np.log1p(-qk)
            prob = -np.expm1(log_surv)
            orc.add(cust=P[A].astype(np.int32), cutoff=np.full(A.size, cd, dtype=np.int32), prob=prob)

        if w0 > end_day:  # only there for a cutoff on the last day; nothing happens
            continue

        # ---------------- what happens during the week ----------------
        # last allowed day of activity in this week
        last_day = np.where(churns, cday, w_last).astype(np.int32)
        first_day = signup_day[P]

        # latent engagement: mean-reverting walk with disengagement episodes
        enter_p = 0.006 * np.exp(0.5 * np.maximum(cs, 0.0) + 4.0 * recent_price + 0.35 * np.minimum(fails4, 3))
        dec = declining[P]
        dec = np.where(dec, rng.random(P.size) >= 0.12, rng.random(P.size) < enter_p)
        declining[P] = dec
        e = eng[P]
        e = e + 0.12 * (mu[P] - e) + rng.normal(0.0, 0.12, P.size) - 0.24 * dec
        e = np.clip(e, -4.0, 2.5)
        eng[P] = e

        ten_mid = np.maximum(0.0, w0 + 3.5 - first_day)
        onboarding = 1.0 - 0.75 * np.exp(-ten_mid / 14.0)
        outage_now = world.outage[w, region[P]]
        lam = (
            cfg.events_per_customer_month * 12.0 / 52.0
            * onboarding
            * np.exp(e - 0.1)
            * _PLAN_USAGE[plan[P]]
            * world.week_season[w]
            * np.where(outage_now, 0.6, 1.0)
        )
        counts = rng.poisson(lam)
        tot = int(counts.sum())
        loc = np.repeat(np.arange(P.size, dtype=np.int32), counts)
        slot = rng.choice(168, size=tot, p=world.slot_p)
        day = w0 + slot // 24
        keep = (day >= first_day[loc]) & (day <= last_day[loc])
        loc, slot, day = loc[keep], slot[keep], day[keep]
        sec = day.astype(np.int64) * _SECONDS_PER_DAY + (slot % 24) * 3600 + rng.integers(0, 3600, size=loc.size)
        etype = rng.choice(3, size=loc.size, p=_USAGE_SHARES).astype(np.int8)
        value = np.ones(loc.size)
        is_sess = etype == _SESSION
        value[is_sess] = np.round(
            np.exp(rng.normal(np.log(14.0) + 0.3 * e[loc[is_sess]], 0.7)), 1
        ) + 0.5
        ev.add(cust=P[loc].astype(np.int32), sec=sec, type=etype, value=value)
        wk_usage = np.bincount(loc, minlength=P.size).astype(np.int32)
        usage_ring[P, w % 8] = wk_usage
        week_last_event = np.full(P.size, _NEVER, dtype=np.int32)
        np.maximum.at(week_last_event, loc, day.astype(np.int32))

        def in_week(d: np.ndarray, sel: np.ndarray | None = None) -> np.ndarray:
            fd, ld = (first_day, last_day) if sel is None else (first_day[sel], last_day[sel])
            return (d >= np.maximum(w0, fd)) & (d <= ld)

        def emit(sel: np.ndarray, d: np.ndarray, tod_sec: np.ndarray, etype_code: int, val: np.ndarray) -> None:
            nonlocal week_last_event
            if sel.size == 0:
                return
            ev.add(
                cust=P[sel].astype(np.int32),
                sec=d.astype(np.int64) * _SECONDS_PER_DAY + tod_sec.astype(np.int64),
                type=np.full(sel.size, etype_code, dtype=np.int8),
                value=val.astype(np.float64),
            )
            np.maximum.at(week_last_event, sel, d.astype(np.int32))

        # ---------------- price increases ----------------
        price_week = False
        for pday, pplan, pct in world.price_steps:
            if w0 <= pday <= w_last:
                price_week = True
                sel = np.flatnonzero((plan[P] == pplan) & (first_day < pday) & (last_day >= pday))
                new_fee = np.round(fee[P[sel]] * (1.0 + pct), 2)
                emit(sel, np.full(sel.size, pday), 6 * 3600 + rng.integers(0, 3600, sel.size), _PRICECHG, new_fee)
                fee[P[sel]] = new_fee
                price_day[P[sel]] = pday
                price_pct[P[sel]] = pct

        # ---------------- billing and payment failures ----------------
        wk_month = (world.start + np.timedelta64(w0, "D")).astype("datetime64[M]")
        sm = signup_d64[P].astype("datetime64[M]")
        k0 = (wk_month - sm).astype(np.int64)
        bill = np.full(P.size, _NEVER, dtype=np.int64)
        for dk in (0, 1):
            kk = np.maximum(k0 + dk, 0)
            cand = (_add_months(signup_d64[P], kk) - world.start).astype(np.int64)
            bill = np.where(in_week(cand) & (bill == _NEVER), cand, bill)
        ann_bill = np.where(in_week(signup_day[P].astype(np.int64)), signup_day[P], next_renewal[P]).astype(np.int64)
        bill = np.where(is_annual, np.where(in_week(ann_bill), ann_bill, _NEVER), bill)
        billed = np.flatnonzero(bill != _NEVER)
        p_fail = _sigmoid(card_risk[P[billed]] + 2.0 * recent_price[billed])
        failed = billed[rng.random(billed.size) < p_fail]
        amount = np.where(is_annual[failed], 10.0 * fee[P[failed]], fee[P[failed]])
        fday = bill[failed]
        emit(failed, fday, 2 * 3600 + rng.integers(0, 3 * 3600, failed.size), _PAYFAIL, amount)
        retry = failed[rng.random(failed.size) < 0.45]
        rday_ = bill[retry] + 2
        ok = in_week(rday_, retry)
        retry, rday_ = retry[ok], rday_[ok]
        emit(retry, rday_, 2 * 3600 + rng.integers(0, 3 * 3600, retry.size), _PAYFAIL,
             np.where(is_annual[retry], 10.0 * fee[P[retry]], fee[P[retry]]))
        wk_fail = np.zeros(P.size, dtype=np.int16)
        np.add.at(wk_fail, failed, 1)
        np.add.at(wk_fail, retry, 1)
        fail_ring[P, w % 4] = wk_fail

        # ---------------- plan changes (not in price-change weeks) ----------------
        if not price_week:
            up_p = 0.0035 * np.exp(0.8 * e) * (plan[P] < 2)
            down_p = 0.0035 * np.exp(-0.8 * e + 0.4 * np.maximum(cs, 0)) * (plan[P] > 0)
            r = rng.random(P.size)
            pc_day = w0 + rng.integers(0, 7, P.size)
            up = (r < up_p) & in_week(pc_day)
            down = (r >= up_p) & (r < up_p + down_p) & in_week(pc_day)
            for sel_mask, delta, mark in ((up, 1, upgrade_day), (down, -1, downgrade_day)):
                sel = np.flatnonzero(sel_mask)
                if sel.size == 0:
                    continue
                new_plan = (plan[P[sel]] + delta).astype(np.int8)
                new_fee = world.list_price(new_plan, pc_day[sel])
                emit(sel, pc_day[sel], 8 * 3600 + rng.integers(0, 12 * 3600, sel.size), _PLANCHG, new_fee)
                plan[P[sel]] = new_plan
                fee[P[sel]] = new_fee
                mark[P[sel]] = pc_day[sel]

        # ---------------- NPS surveys ----------------
        tw = w - signup_week[P]
        surveyed = (tw >= 4) & ((tw - 4) % 13 == 0) & (rng.random(P.size) < cfg.nps_response_rate)
        s_day = w0 + rng.integers(0, 7, P.size)
        sel = np.flatnonzero(surveyed & in_week(s_day))
        score = np.clip(
            np.round(7.3 + 1.5 * e[sel] - 0.9 * cs[sel] + rng.normal(0.0, 1.3, sel.size)), 0, 10
        )
        emit(sel, s_day[sel], 9 * 3600 + rng.integers(0, 12 * 3600, sel.size), _NPS, score)
        last_nps[P[sel]] = score

        # ---------------- support tickets ----------------
        base_t = cfg.tickets_per_customer_month * 12.0 / 52.0
        fail_recent = (fails4 + wk_fail) > 0
        rates = np.empty((5, P.size))
        rates[_T_BILLING] = base_t * 0.2 * (1.0 + 4.0 * fail_recent + 25.0 * recent_price)
        rates[_T_BUG] = base_t * 0.3 * np.exp(0.3 * e)
        rates[_T_OUTAGE] = base_t * 0.08 * (1.0 + 25.0 * outage_now)
        rates[_T_HOWTO] = base_t * 0.25 * (1.0 + 3.0 * np.exp(-ten_mid / 30.0))
        rates[_T_COMPLAINT] = base_t * 0.17 * np.exp(-0.7 * (e - mu[P])) * (1.0 + 0.5 * dec)
        tcounts = rng.poisson(rates)  # (5, P)
        ttot = int(tcounts.sum())
        if ttot:
            tcat = np.repeat(np.tile(np.arange(5, dtype=np.int8), P.size), tcounts.T.ravel())
            tloc = np.repeat(np.arange(P.size, dtype=np.int32), tcounts.sum(axis=0))
            tslot = rng.choice(168, size=ttot, p=world.ticket_slot_p)
            tday = w0 + tslot // 24
            keep = (tday >= first_day[tloc]) & (tday <= last_day[tloc])
            tloc, tcat, tslot, tday = tloc[keep], tcat[keep], tslot[keep], tday[keep]
            topen = tday.astype(np.int64) * _SECONDS_PER_DAY + (tslot % 24) * 3600 + rng.integers(0, 3600, tloc.size)
            quality = rng.normal(0.0, 1.0, tloc.size)
            hours = _TICKET_MEDIAN_HOURS[tcat] * np.exp(0.9 * quality)
            tres = topen + np.maximum(60, (hours * 3600).astype(np.int64))
            sat_lat = (
                4.5 - 0.9 * np.log1p(hours / 24.0) - 0.6 * (tcat == _T_COMPLAINT)
                + 0.25 * e[tloc] + rng.normal(0.0, 0.7, tloc.size)
            )
            answered = rng.random(tloc.size) < 0.6
            sat = np.where(answered, np.clip(np.round(sat_lat), 1, 5), 0).astype(np.int8)
            unresolved = tres >= end_sec
            tres = np.where(unresolved, np.iinfo(np.int64).max, tres)
            sat = np.where(unresolved, 0, sat).astype(np.int8)
            tcust = P[tloc].astype(np.int32)
            tk.add(cust=tcust, open=topen, cat=tcat, resolved=tres, sat=sat)
            recent_tickets.append((tcust, topen, tcat, tres, sat))
        else:
            recent_tickets.append(_EMPTY_TICKETS)
        if len(recent_tickets) > 8:
            recent_tickets.pop(0)

        last_event_day[P] = np.maximum(last_event_day[P], week_last_event)

        # advance annual renewals that passed this week
        adv = P[next_renewal[P] <= w_last]
        if adv.size:
            renewal_k[adv] += 1
            next_renewal[adv] = (_add_months(signup_d64[adv], 12 * renewal_k[adv]) - world.start).astype(np.int32)

    return {
        "customers": {
            "signup_day": signup_day,
            "churn_day": churn_day,
            "plan": plan0,
            "fee": fee0,
            "contract": contract,
            "channel": channel,
            "region": region,
            "colour": colour,
            "driver": driver,
        },
        "events": ev.concat({"cust": np.int32, "sec": np.int64, "type": np.int8, "value": np.float64}),
        "tickets": tk.concat({"cust": np.int32, "open": np.int64, "cat": np.int8, "resolved": np.int64, "sat": np.int8}),
        "oracle": orc.concat({"cust": np.int32, "cutoff": np.int32, "prob": np.float64}),
    }


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------
SCHEMAS: dict[str, pa.Schema] = {
    "customers": pa.schema(
        [
            ("customer_id", pa.string()),
            ("signup_date", pa.date32()),
            ("churn_date", pa.date32()),
            ("plan", pa.string()),
            ("monthly_fee", pa.float64()),
            ("contract", pa.string()),
            ("channel", pa.string()),
            ("region", pa.string()),
            ("favourite_colour", pa.string()),
        ]
    ),
    "events": pa.schema(
        [
            ("customer_id", pa.string()),
            ("timestamp", pa.timestamp("us")),
            ("event_type", pa.string()),
            ("value", pa.float64()),
        ]
    ),
    "tickets": pa.schema(
        [
            ("customer_id", pa.string()),
            ("opened_at", pa.timestamp("us")),
            ("category", pa.string()),
            ("resolved_at", pa.timestamp("us")),
            ("satisfaction", pa.int64()),
        ]
    ),
    "oracle": pa.schema(
        [("customer_id", pa.string()), ("cutoff", pa.date32()), ("oracle_probability", pa.float64())]
    ),
    "drivers": pa.schema([("customer_id", pa.string()), ("dominant_driver", pa.string())]),
}

_ROWS_PER_GROUP = 1_000_000


def _ids(first: int, n: int, width: int) -> pa.Array:
    return pa.array([f"C{i:0{width}d}" for i in range(first + 1, first + n + 1)], type=pa.string())


def _take(values: Sequence[str], codes: np.ndarray) -> pa.Array:
    return pc.take(pa.array(values, type=pa.string()), pa.array(codes.astype(np.int32)))


class _Writers:
    """One ParquetWriter per table, writing to a temporary name."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self.paths = paths
        self.tmp = {k: p.with_name(f".{p.name}.tmp-{os.getpid()}") for k, p in paths.items()}
        self.writers = {
            k: pq.ParquetWriter(self.tmp[k], SCHEMAS[k], compression="zstd", write_statistics=True)
            for k in paths
        }

    def write(self, name: str, table: pa.Table) -> None:
        if table.num_rows:
            self.writers[name].write_table(table, row_group_size=_ROWS_PER_GROUP)

    def close(self, commit: bool) -> None:
        for w in self.writers.values():
            w.close()
        for k, tmp in self.tmp.items():
            if commit:
                os.replace(tmp, self.paths[k])
            else:
                tmp.unlink(missing_ok=True)


def _write_chunk(
    writers: _Writers,
    res: dict[str, Any],
    first_id: int,
    width: int,
    world: _World,
    start_us: int,
) -> dict[str, int]:
    cu = res["customers"]
    n = cu["signup_day"].shape[0]
    ids = _ids(first_id, n, width)
    start_days = int(world.start.astype(np.int64))
    churned = cu["churn_day"] >= 0
    churn = pa.array(
        (cu["churn_day"] + start_days).astype(np.int32), type=pa.int32(), mask=~churned
    ).cast(pa.date32())
    writers.write(
        "customers",
        pa.table(
            {
                "customer_id": ids,
                "signup_date": pa.array((cu["signup_day"] + start_days).astype(np.int32)).cast(pa.date32()),
                "churn_date": churn,
                "plan": _take(PLANS, cu["plan"]),
                "monthly_fee": pa.array(cu["fee"], type=pa.float64()),
                "contract": _take(CONTRACTS, cu["contract"]),
                "channel": _take(CHANNELS, cu["channel"]),
                "region": _take(REGIONS, cu["region"]),
                "favourite_colour": _take(COLOURS, cu["colour"]),
            },
            schema=SCHEMAS["customers"],
        ),
    )
    ch = np.flatnonzero(churned)
    writers.write(
        "drivers",
        pa.table(
            {"customer_id": ids.take(pa.array(ch)), "dominant_driver": _take(FAMILIES, cu["driver"][ch])},
            schema=SCHEMAS["drivers"],
        ),
    )

    ev = res["events"]
    n_events = ev["cust"].size
    if n_events:
        order = np.argsort((ev["cust"].astype(np.int64) << _KEY_SHIFT) | ev["sec"], kind="stable")
        for s in range(0, n_events, _ROWS_PER_GROUP):
            o = order[s : s + _ROWS_PER_GROUP]
            ts = ev["sec"][o] * 1_000_000 + start_us
            writers.write(
                "events",
                pa.table(
                    {
                        "customer_id": ids.take(pa.array(ev["cust"][o])),
                        "timestamp": pa.array(ts, type=pa.timestamp("us")),
                        "event_type": _take(EVENT_TYPES, ev["type"][o]),
                        "value": pa.array(ev["value"][o], type=pa.float64()),
                    },
                    schema=SCHEMAS["events"],
                ),
            )
        del order
    tk = res["tickets"]
    n_tickets = tk["cust"].size
    if n_tickets:
        order = np.argsort((tk["cust"].astype(np.int64) << _KEY_SHIFT) | tk["open"], kind="stable")
        res_sec = tk["resolved"][order]
        unresolved = res_sec == np.iinfo(np.int64).max
        sat = tk["sat"][order]
        writers.write(
            "tickets",
            pa.table(
                {
                    "customer_id": ids.take(pa.array(tk["cust"][order])),
                    "opened_at": pa.array(tk["open"][order] * 1_000_000 + start_us, type=pa.timestamp("us")),
                    "category": _take(TICKET_CATEGORIES, tk["cat"][order]),
                    "resolved_at": pa.array(
                        np.where(unresolved, 0, res_sec) * 1_000_000 + start_us,
                        type=pa.timestamp("us"),
                        mask=unresolved,
                    ),
                    "satisfaction": pa.array(sat.astype(np.int64), type=pa.int64(), mask=sat == 0),
                },
                schema=SCHEMAS["tickets"],
            ),
        )
    oc = res["oracle"]
    if oc["cust"].size:
        order = np.lexsort((oc["cust"], oc["cutoff"]))
        writers.write(
            "oracle",
            pa.table(
                {
                    "customer_id": ids.take(pa.array(oc["cust"][order])),
                    "cutoff": pa.array((oc["cutoff"][order] + start_days).astype(np.int32)).cast(pa.date32()),
                    "oracle_probability": pa.array(oc["prob"][order], type=pa.float64()),
                },
                schema=SCHEMAS["oracle"],
            ),
        )
    exposure_days = np.minimum(np.where(churned, cu["churn_day"], world.n_days - 1), world.n_days - 1) - cu["signup_day"] + 1
    return {
        "n_customers": n,
        "n_events": n_events,
        "n_tickets": n_tickets,
        "n_oracle_rows": int(oc["cust"].size),
        "n_churned": int(ch.size),
        "exposure_days": int(exposure_days.sum()),
        **{f"driver_{f}": int((cu["driver"][ch] == i).sum()) for i, f in enumerate(FAMILIES)},
        **{f"events_{t}": int((ev["type"] == i).sum()) for i, t in enumerate(EVENT_TYPES)},
    }


def _chunk_task(args: tuple) -> dict[str, Any]:
    return _simulate_chunk(*args)


def _chunk_results(
    cfg: SyntheticConfig, world: _World, signups: np.ndarray, cutoff_days: tuple[int, ...], horizon_days: int
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (first customer index, chunk result) in chunk order; parallel if asked."""
    bounds = [(s, min(s + cfg.chunk_customers, cfg.n_customers)) for s in range(0, cfg.n_customers, cfg.chunk_customers)]
    tasks = [(cfg, world, i, signups[a:b], cutoff_days, horizon_days) for i, (a, b) in enumerate(bounds)]
    workers = cfg.workers or min(4, os.cpu_count() or 1)
    workers = min(workers, len(tasks))
    if workers <= 1:
        for (a, _), t in zip(bounds, tasks):
            yield a, _chunk_task(t)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: list[tuple[int, Future]] = []
        it = iter(zip(bounds, tasks))
        for (a, _), t in it:
            pending.append((a, pool.submit(_chunk_task, t)))
            if len(pending) >= workers + 1:
                break
        for (a, _), t in it:
            first, fut = pending.pop(0)
            yield first, fut.result()
            pending.append((a, pool.submit(_chunk_task, t)))
        for first, fut in pending:
            yield first, fut.result()


# --------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------
def generate(
    out_dir: Path,
    ground_truth_dir: Path,
    config: SyntheticConfig,
    cutoffs: Sequence[date],
    horizon_days: int,
) -> dict:
    """Generate the synthetic customer world.

    Writes ``customers.parquet``, ``events.parquet`` and ``tickets.parquet`` into
    ``out_dir`` and ``oracle.parquet`` and ``drivers.parquet`` into
    ``ground_truth_dir`` (temporary names, renamed when all are complete).

    Args:
        out_dir: folder for the raw tables (created if missing).
        ground_truth_dir: folder for the ground truth (created if missing).
        config: the world's knobs.
        cutoffs: observation dates (end of day); those after ``end_date`` are ignored.
        horizon_days: label horizon H of the oracle probability, churn in (D, D + H].

    Returns:
        A small summary: row counts, churned customers, monthly churn rate,
        events per customer, dominant driver counts and the files written.
    """
    if horizon_days < 1:
        raise ValueError("horizon_days must be >= 1")
    out_dir, ground_truth_dir = Path(out_dir), Path(ground_truth_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ground_truth_dir.mkdir(parents=True, exist_ok=True)
    world = _make_world(config)
    cutoff_days = tuple(
        sorted({(c - config.start_date).days for c in cutoffs if c <= config.end_date and c >= config.start_date})
    )
    signups = _signup_days(config, world.n_days)
    width = max(7, len(str(config.n_customers)))
    start_us = int(world.start.astype("datetime64[us]").astype(np.int64))
    paths = {
        "customers": out_dir / "customers.parquet",
        "events": out_dir / "events.parquet",
        "tickets": out_dir / "tickets.parquet",
        "oracle": ground_truth_dir / "oracle.parquet",
        "drivers": ground_truth_dir / "drivers.parquet",
    }
    logger.info(
        "generating %d customers from %s to %s (seed %d, %d cutoffs, horizon %d d)",
        config.n_customers, config.start_date, config.end_date, config.seed, len(cutoff_days), horizon_days,
    )
    writers = _Writers(paths)
    totals: dict[str, int] = {}
    ok = False
    try:
        for first, res in _chunk_results(config, world, signups, cutoff_days, horizon_days):
            stats = _write_chunk(writers, res, first, width, world, start_us)
            del res
            for k, v in stats.items():
                totals[k] = totals.get(k, 0) + v
            logger.info("chunk from customer %d: %d events, %d churned", first, stats["n_events"], stats["n_churned"])
        ok = True
    finally:
        writers.close(commit=ok)
    months = totals["exposure_days"] / 30.4375
    summary = {
        "n_customers": totals["n_customers"],
        "n_events": totals["n_events"],
        "n_tickets": totals["n_tickets"],
        "n_churned": totals["n_churned"],
        "n_oracle_rows": totals["n_oracle_rows"],
        "customer_months": round(months, 1),
        "churn_rate_monthly": totals["n_churned"] / months if months else 0.0,
        "events_per_customer": totals["n_events"] / max(1, totals["n_customers"]),
        "events_by_type": {t: totals[f"events_{t}"] for t in EVENT_TYPES},
        "dominant_drivers": {f: totals[f"driver_{f}"] for f in FAMILIES},
        "files": {k: str(p) for k, p in paths.items()},
    }
    logger.info("synthetic world written: %s", {k: v for k, v in summary.items() if k != "files"})
    return summary
