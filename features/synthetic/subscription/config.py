"""The synthetic world's knobs, vocabulary and hazard coefficients."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from features.synthetic.core.config import WorldConfig

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
LOGIN, SESSION, FEATURE, PAYFAIL, NPS, PLANCHG, PRICECHG = range(len(EVENT_TYPES))
USAGE_SHARES = np.array([0.40, 0.35, 0.25])  # login, session, feature_use

TICKET_CATEGORIES: tuple[str, ...] = ("billing", "bug", "outage", "howto", "complaint")
T_BILLING, T_BUG, T_OUTAGE, T_HOWTO, T_COMPLAINT = range(len(TICKET_CATEGORIES))
TICKET_MEDIAN_HOURS = np.array([18.0, 40.0, 10.0, 6.0, 44.0])
TICKET_WEIGHT = np.array([1.0, 0.8, 0.5, 0.3, 1.6])  # weight in the complaints hazard

PLANS: tuple[str, ...] = ("basic", "standard", "premium")
PLAN_P = np.array([0.45, 0.40, 0.15])
PLAN_PRICE = np.array([9.99, 19.99, 39.99])
PLAN_USAGE = np.array([0.85, 1.0, 1.25])
PLAN_EFFECT = np.array([0.15, 0.0, -0.15])

CONTRACTS: tuple[str, ...] = ("monthly", "annual")
CHANNELS: tuple[str, ...] = ("organic", "paid_search", "paid_social", "referral", "partner")
CHANNEL_P = np.array([0.35, 0.25, 0.20, 0.12, 0.08])
CHANNEL_EFFECT = np.array([0.0, 0.15, 0.45, -0.35, -0.15])
CHANNEL_ENGAGEMENT = np.array([0.0, -0.05, -0.15, 0.15, 0.05])
REGIONS: tuple[str, ...] = ("north", "south", "east", "west")
REGION_P = np.array([0.30, 0.25, 0.25, 0.20])
REGION_EFFECT = np.array([0.0, 0.12, -0.08, 0.05])
COLOURS: tuple[str, ...] = ("red", "green", "blue", "yellow", "purple")
NO_EFFECT_ATTRIBUTES: tuple[str, ...] = ("favourite_colour",)

# Weekday (Mon=0) and hour-of-day activity profiles.
WEEKDAY_W = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.6, 0.55])
HOUR_W = np.array(
    [0.15, 0.08, 0.05, 0.04, 0.05, 0.12, 0.35, 0.7, 1.0, 1.2, 1.2, 1.15,
     1.0, 1.05, 1.1, 1.1, 1.0, 1.0, 1.1, 1.25, 1.3, 1.1, 0.7, 0.35]
)
TICKET_HOUR_W = np.array(
    [0.05, 0.03, 0.02, 0.02, 0.03, 0.08, 0.25, 0.6, 1.1, 1.3, 1.3, 1.2,
     1.0, 1.2, 1.25, 1.2, 1.1, 0.9, 0.6, 0.45, 0.4, 0.3, 0.2, 0.1]
)
MONTH_SEASON = np.array([1.0, 1.0, 1.02, 1.0, 0.98, 0.95, 0.88, 0.88, 1.0, 1.03, 1.02, 0.85])

NEVER = np.int32(-(10**6))  # "no such day" for day-valued state

# Hazard coefficients (weekly logit scale).
BASE_LOGIT = np.array([-5.95, -9.0])  # monthly, annual (outside renewal)
RENEWAL_BOOST = 6.6
EARLY_LIFE = 1.1
EARLY_LIFE_DAYS = 35.0
USAGE_DECLINE = 1.3
INACTIVITY = 1.1  # per 28 days without any event, capped at 2 x
NPS_DETRACTOR = 0.22  # per point below 7
NPS_PROMOTER = -0.3
DOWNGRADE = 0.6
UPGRADE = -0.3
FAIL = 0.75  # per failed payment in the last 4 weeks (max 3)
PRICE = 5.0  # x relative increase, for 8 weeks
SLOW_HOURS = 72.0


@dataclass(frozen=True)
class SyntheticConfig(WorldConfig):
    """Knobs of the synthetic customer world, after those of every world (``WorldConfig``: size, period, seed,
    chunks and workers; customers start by signing up).

    Attributes:
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
        campaigns: a ``CampaignConfig``: a retention team acts on lists at every cutoff with a holdout
            (``features/synthetic/subscription/campaigns.py``); None (the default): the world is as without them.
        oracle_continuations: how many no-churn continuations of each active customer's state the oracle
            averages (``continuation.py``); they draw from their own stream, so the world is the same for any.
    """

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
    campaigns: Any = None  # a CampaignConfig (campaigns.py): a retention team acts; None: nobody
    oracle_continuations: int = 32

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.events_per_customer_month <= 0 or self.tickets_per_customer_month < 0:
            raise ValueError("event and ticket rates must be positive")
        if self.oracle_continuations < 1:
            raise ValueError("oracle_continuations must be >= 1")
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
