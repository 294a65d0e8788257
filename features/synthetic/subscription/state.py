"""The state of a chunk of customers: attributes fixed at signup, and what changes week by week.

Every field is an array with one entry per customer of the chunk. The weekly
steps (``hazard.py``, ``activity.py``) read and update it in place; nothing in
here draws after :meth:`CustomerState.draw`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from features.synthetic.subscription.config import (
    BASE_LOGIT,
    CHANNEL_EFFECT,
    CHANNEL_ENGAGEMENT,
    CHANNEL_P,
    CHANNELS,
    COLOURS,
    NEVER,
    PLAN_EFFECT,
    PLAN_P,
    REGION_EFFECT,
    REGION_P,
    REGIONS,
    SyntheticConfig,
)
from features.synthetic.subscription.world import World, add_months

TICKET_MEMORY_WEEKS = 8  # the complaints hazard reads the tickets of the last 8 weeks
EMPTY_TICKETS: tuple[np.ndarray, ...] = tuple(
    np.empty(0, dtype=d) for d in (np.int32, np.int64, np.int8, np.int64, np.int8)
)


@dataclass
class CustomerState:
    """One chunk of customers; indices are positions within the chunk."""

    # fixed at signup
    signup_day: np.ndarray
    plan0: np.ndarray
    contract: np.ndarray       # 0 monthly, 1 annual
    channel: np.ndarray
    region: np.ndarray
    colour: np.ndarray
    fee0: np.ndarray           # list fee at signup
    attr_effect: np.ndarray    # the attributes family's hazard term
    base_logit: np.ndarray     # the contract's base hazard logit (plus the config's shift)
    mu: np.ndarray             # personal engagement baseline
    card_risk: np.ndarray      # logit of the per-billing failure probability
    signup_d64: np.ndarray
    signup_week: np.ndarray
    # latent state
    eng: np.ndarray            # latent engagement
    declining: np.ndarray      # in a disengagement episode
    plan: np.ndarray
    fee: np.ndarray
    # billing calendar
    renewal_k: np.ndarray      # which anniversary is next (annual contracts)
    next_renewal: np.ndarray   # day index of the next annual renewal
    # observable history the hazard reads
    usage_ring: np.ndarray     # usage events per week, last 8 weeks (ring by week % 8)
    fail_ring: np.ndarray      # failed payments per week, last 4 weeks (ring by week % 4)
    last_event_day: np.ndarray
    last_nps: np.ndarray
    price_day: np.ndarray
    price_pct: np.ndarray
    downgrade_day: np.ndarray
    upgrade_day: np.ndarray
    # outcome
    churn_day: np.ndarray      # -1 while still a customer
    driver: np.ndarray         # family index of the largest contribution in the churn week (-1: none)
    # tickets of the last weeks, for the complaints hazard: (cust, open, cat, resolved, sat) per week
    recent_tickets: deque = field(default_factory=lambda: deque(maxlen=TICKET_MEMORY_WEEKS))
    # a synthetic campaign's effect on the hazard (features/synthetic/subscription/campaigns.py); None without campaigns
    treatment: Any = None

    @property
    def n(self) -> int:
        return int(self.signup_day.shape[0])

    @classmethod
    def draw(cls, cfg: SyntheticConfig, world: World, rng: np.random.Generator,
             signup_day: np.ndarray) -> CustomerState:
        """Draw the chunk's attributes and starting state (the chunk's first draws from ``rng``)."""
        n = signup_day.shape[0]
        plan0 = rng.choice(3, size=n, p=PLAN_P).astype(np.int8)
        annual_p = np.clip(cfg.annual_share * np.array([0.8, 1.0, 1.6])[plan0], 0, 1)
        contract = (rng.random(n) < annual_p).astype(np.int8)
        channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_P).astype(np.int8)
        region = rng.choice(len(REGIONS), size=n, p=REGION_P).astype(np.int8)
        colour = rng.integers(0, len(COLOURS), size=n).astype(np.int8)
        fee0 = world.list_price(plan0, signup_day)
        mu = rng.normal(0.0, 0.45, n) + CHANNEL_ENGAGEMENT[channel] + 0.1 * (plan0 - 1)
        eng = mu + rng.normal(0.0, 0.3, n)
        rate = cfg.payment_failure_rate
        base_fail = math.log(rate / (1 - rate)) if rate > 0 else -50.0
        card_risk = base_fail - 0.5 + rng.normal(0.0, 1.0, n)
        signup_d64 = world.start + signup_day.astype("timedelta64[D]")
        return cls(
            signup_day=signup_day, plan0=plan0, contract=contract, channel=channel, region=region, colour=colour,
            fee0=fee0, attr_effect=CHANNEL_EFFECT[channel] + REGION_EFFECT[region] + PLAN_EFFECT[plan0],
            base_logit=BASE_LOGIT[contract] + cfg.churn_logit_shift, mu=mu, card_risk=card_risk,
            signup_d64=signup_d64, signup_week=signup_day // 7,
            eng=eng, declining=np.zeros(n, dtype=bool), plan=plan0.copy(), fee=fee0.copy(),
            renewal_k=np.ones(n, dtype=np.int64),
            next_renewal=((add_months(signup_d64, 12) - world.start).astype(np.int64)).astype(np.int32),
            usage_ring=np.zeros((n, 8), dtype=np.int32), fail_ring=np.zeros((n, 4), dtype=np.int16),
            last_event_day=np.full(n, NEVER, dtype=np.int32), last_nps=np.full(n, np.nan),
            price_day=np.full(n, NEVER, dtype=np.int32), price_pct=np.zeros(n),
            downgrade_day=np.full(n, NEVER, dtype=np.int32), upgrade_day=np.full(n, NEVER, dtype=np.int32),
            churn_day=np.full(n, -1, dtype=np.int32), driver=np.full(n, -1, dtype=np.int8),
        )

    def remember_tickets(self, tickets: tuple[np.ndarray, ...]) -> None:
        """Keep this week's tickets for the complaints hazard of the next weeks (the oldest week drops out)."""
        self.recent_tickets.append(tickets)

    def advance_renewals(self, world: World, customers: np.ndarray, week_last_day: int) -> None:
        """Move the next annual renewal of ``customers`` whose renewal passed this week one year on."""
        adv = customers[self.next_renewal[customers] <= week_last_day]
        if adv.size:
            self.renewal_k[adv] += 1
            self.next_renewal[adv] = (add_months(self.signup_d64[adv], 12 * self.renewal_k[adv])
                                      - world.start).astype(np.int32)
