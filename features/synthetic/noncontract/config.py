"""The non-contract (retail) world's knobs, vocabulary and hazard coefficients."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from features.synthetic.core.config import WorldConfig
from features.synthetic.core.hazard import ATTR, BILLING, COMPLAIN, ENGAGE, TENURE

# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------
EVENT_TYPES: tuple[str, ...] = ("purchase", "items", "email_open", "price_change")
PURCHASE, ITEMS, EMAIL_OPEN, PRICE_CHANGE = range(len(EVENT_TYPES))
# "No activity in the horizon" must mean "no purchase in the horizon": ``items`` is emitted
# only together with a purchase (same second), the passive types say nothing about buying.
ACTIVITY_EVENT_TYPES: tuple[str, ...] = ("purchase", "items")
PASSIVE_EVENT_TYPES: tuple[str, ...] = ("email_open", "price_change")

TICKET_CATEGORIES: tuple[str, ...] = ("delivery", "return", "product_question")
T_DELIVERY, T_RETURN, T_QUESTION = range(len(TICKET_CATEGORIES))
TICKET_MEDIAN_HOURS = np.array([40.0, 30.0, 8.0])
TICKET_WEIGHT = np.array([1.2, 0.8, 0.4])  # weight of a ticket in the complaints hazard

CHANNELS: tuple[str, ...] = ("organic", "paid_search", "paid_social", "referral", "marketplace")
CHANNEL_P = np.array([0.35, 0.25, 0.18, 0.12, 0.10])
CHANNEL_EFFECT = np.array([0.0, 0.25, 0.7, -0.5, 0.4])
REGIONS: tuple[str, ...] = ("north", "south", "east", "west")
REGION_P = np.array([0.30, 0.25, 0.25, 0.20])
REGION_EFFECT = np.array([0.0, 0.2, -0.15, 0.1])
BAD_DELIVERY_P = np.array([0.06, 0.16, 0.08, 0.10])  # per order, by region (its logistics partner)
LOYALTY_P = 0.3
LOYALTY_EFFECT = -0.7
COLOURS: tuple[str, ...] = ("red", "green", "blue", "yellow", "purple")
NO_EFFECT_ATTRIBUTES: tuple[str, ...] = ("favourite_colour",)

BEHAVIOURAL = np.array([ENGAGE, TENURE, COMPLAIN, BILLING, ATTR])  # families of the weekly hazard

# Hour-of-day profiles (signups and passive events; repeat purchases are uniform in time, as BG/NBD has it).
SIGNUP_HOUR_W = np.array(
    [0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 0.9, 1.0, 1.1, 1.2,
     1.3, 1.2, 1.1, 1.1, 1.1, 1.2, 1.4, 1.6, 1.7, 1.5, 1.0, 0.5]
)
EMAIL_HOUR_W = np.array(
    [0.1, 0.05, 0.03, 0.03, 0.05, 0.2, 0.8, 1.5, 1.6, 1.3, 1.0, 0.9,
     1.1, 1.0, 0.8, 0.7, 0.7, 0.8, 1.0, 1.2, 1.3, 1.0, 0.6, 0.3]
)
WEEKDAY_W = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.75, 0.7])

NEVER = -(10**12)  # "no such time" in seconds

# Weekly hazard coefficients (logit scale, before the ``behaviour`` scale).
BASE_LOGIT = -5.6           # ~0.4 % a week
EARLY_LIFE = 1.2            # tenure: x exp(-tenure / EARLY_LIFE_DAYS)
EARLY_LIFE_DAYS = 42.0
LAPSE = 3.5                 # engagement: full effect of an e-mail lapse
LAPSE_GRACE_DAYS = 14.0     # no effect for this many days since the last e-mail open
LAPSE_FULL_DAYS = 56.0      # full effect from this many days on (linear in between)
COMPLAINT = 1.2             # x the clipped ticket score of the last TICKET_WINDOW_DAYS days
TICKET_WINDOW_DAYS = 56
SLOW_HOURS = 72.0
PRICE = 12.0                # billing: x relative price increase, for PRICE_WINDOW_DAYS days after the notice
PRICE_WINDOW_DAYS = 56
USAGE_CLIP = 5.0            # drivers_at_cutoff: |usage| (log-odds of not alive under pure BG/NBD) is clipped here


@dataclass(frozen=True)
class NonContractConfig(WorldConfig):
    """Knobs of the non-contract (retail) world, after those of every world (``WorldConfig``: size, period, seed,
    chunks and workers; customers start with their first purchase).

    The repeat-buying process is BG/NBD (Fader, Hardie and Lee 2005) with
    population parameters ``r, alpha`` (purchase rate ``lambda ~ Gamma(r, rate
    alpha)`` per day) and ``a, b`` (dropout at each repeat purchase ``p ~ Beta(a,
    b)``). The defaults are CDNOW-like (r 0.24, alpha 31 days, a 0.79, b 2.43)
    tuned a little towards more buying, so that about half of the customers
    active at a cutoff do not buy in the next 90 days.

    Attributes:
        r: shape of the Gamma distribution of purchase rates.
        alpha: rate of that Gamma distribution, in days (mean rate ``r / alpha`` purchases a day).
        a: first shape of the Beta distribution of the dropout probability.
        b: second shape of that Beta distribution.
        behaviour: scale of the behavioural drivers (``0``: the pure BG/NBD process, no weekly hazard).
        emails_per_week: e-mail opens a week of a customer of average latent engagement.
        mean_order_value: median order amount of an average customer.
        price_increases: ``(effective date, region or "all", relative increase)``; every customer of the
            region who signed up before that day gets a ``price_change`` notice (value = new price level,
            1.0 = the prices at ``start_date``).
    """

    r: float = 0.5
    alpha: float = 30.0
    a: float = 0.8
    b: float = 3.0
    behaviour: float = 1.0
    emails_per_week: float = 0.8
    mean_order_value: float = 45.0
    price_increases: tuple[tuple[date, str, float], ...] = field(
        default=(
            (date(2023, 10, 1), "south", 0.06),
            (date(2024, 4, 1), "all", 0.08),
        )
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("r", "alpha", "a", "b"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if not (math.isfinite(self.behaviour) and self.behaviour >= 0):
            raise ValueError("behaviour must be >= 0")
        if not (math.isfinite(self.emails_per_week) and self.emails_per_week >= 0):
            raise ValueError("emails_per_week must be >= 0")
        if not (math.isfinite(self.mean_order_value) and self.mean_order_value > 0):
            raise ValueError("mean_order_value must be > 0")
        for when, region, pct in self.price_increases:
            if region != "all" and region not in REGIONS:
                raise ValueError(f"unknown region in price_increases: {region!r}")
            if not isinstance(when, date) or not pct > -1.0:
                raise ValueError(f"bad price increase: {(when, region, pct)!r}")
