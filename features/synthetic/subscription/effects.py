"""What a retention action does to a customer: the synthetic world's effect design.

An action works on the weekly hazard's logit while it lasts; this module says
by how much, per customer and action, from the world's state at the campaign's
cutoff (the same state that drives the observable tables, so a model on the
features can learn the effect). Two designs (``generate.campaigns.effects``):

``heterogeneous`` (the default), after the field's experiments (Ascarza 2018;
Ascarza, Iyengar & Schleicher 2016), effects that vary with what the data
shows and not in step with risk:

* the fit of the action: ``EFFECT[true driver, family the action is for]``;
  the action that fits the true driver helps most, one that does not fit
  does little;
* times a responsiveness: by acquisition channel (referred customers listen,
  paid-social ones hardly), higher in the first months of tenure, and a
  log-normal factor of the customer's own;
* customers who have *already decided* (their last NPS answer a detractor's 0-4,
  or a downgrade in the last 8 weeks: mostly high risk) respond hardly at all
  (``DECIDED_RESPONSE``);
* *sleeping dogs*, whom any contact reminds to leave (``SLEEPING_DOG_EFFECT``),
  are the dormant: no event for at least ``DOG_IDLE_DAYS`` days and at most
  ``DOG_MAX_USAGE`` usage events in the last 8 weeks (``DOG_IF_MARKED`` of
  them; ``DOG_IF_UNMARKED`` of the others, which nothing marks).

``uniform``: the same logit shift (``UNIFORM_EFFECT``) for every customer and
action, no sleeping dogs: a world in which ranking by risk is right (the
uplift bench's "falls back to risk" floor).

The per-customer draws (the responsiveness factor, the dog draw) come from
their own generator, ``[seed, chunk, EFFECT_STREAM]``, drawn once per chunk,
so the world's other streams are untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.catalog import FAMILIES
from features.synthetic.core.hazard import ATTR, BILLING, COMPLAIN, ENGAGE, TENURE, USAGE

EFFECT_STREAM = 7_778
DESIGNS: tuple[str, ...] = ("heterogeneous", "uniform")
# EFFECT[true driver, family the action is for]: the weekly hazard's logit shift while the action works.
EFFECT = np.full((len(FAMILIES), len(FAMILIES)), -0.3)
for _family, _fit in ((USAGE, -1.5), (ENGAGE, -1.2), (TENURE, -1.2), (COMPLAIN, -2.0), (BILLING, -1.5),
                      (ATTR, -0.5)):
    EFFECT[_family, _family] = _fit
EFFECT[BILLING, COMPLAIN] = -0.1  # a service-recovery call does little for a price-driven customer
# every action code a playbook of models/retention/playbooks/subscription.yaml recommends -> the family it is for
# (the segment rules' renewal call is for tenure, the loyalty recognition for the account's attributes)
ACTION_FAMILY: dict[str, int] = {
    "SUCCESS_CHECKIN": USAGE, "VALUE_CONTENT": ENGAGE, "ONBOARDING_HELP": TENURE, "SERVICE_RECOVERY_CALL": COMPLAIN,
    "BILLING_REVIEW": BILLING, "ACCOUNT_REVIEW": ATTR, "RENEWAL_CALL": TENURE, "LOYALTY_RECOGNITION": ATTR,
}
# responsiveness by acquisition channel (organic, paid_search, paid_social, referral, partner: config.CHANNELS)
CHANNEL_RESPONSE = np.array([1.0, 0.8, 0.35, 1.9, 1.3])
YOUNG_DAYS, YOUNG_RESPONSE = 180, 1.5     # customers in their first months respond more
RESPONSE_SIGMA = 0.3                      # the customer's own log-normal factor
DECIDED_NPS, DECIDED_DOWNGRADE_DAYS, DECIDED_RESPONSE = 4, 56, 0.05
DOG_IDLE_DAYS, DOG_MAX_USAGE = 7, 10
DOG_IF_MARKED, DOG_IF_UNMARKED = 0.9, 0.01
SLEEPING_DOG_EFFECT = 0.7
UNIFORM_EFFECT = -1.0


@dataclass(frozen=True)
class Draws:
    """A chunk's per-customer draws of the effect design (its own stream)."""

    response: np.ndarray   # the log-normal responsiveness factor
    dog_u: np.ndarray      # uniform: a dormant customer is a sleeping dog below DOG_IF_MARKED

    @classmethod
    def draw(cls, seed: int, chunk_index: int, n: int) -> Draws:
        rng = np.random.default_rng([seed, chunk_index, EFFECT_STREAM])
        return cls(np.exp(rng.normal(0.0, RESPONSE_SIGMA, n)), rng.random(n))


@dataclass(frozen=True)
class Profile:
    """Who the customers are for an action, at a cutoff: responsiveness, decided, dormant, sleeping dog."""

    response: np.ndarray
    decided: np.ndarray
    dormant: np.ndarray
    sleeping_dog: np.ndarray


def profile(state, cust: np.ndarray, w0: int, draws: Draws) -> Profile:
    """The customers ``cust`` (chunk indices) at the start of week ``w0`` (its first day), read from the state
    the week's hazard reads: the last event, the usage of the last 8 weeks, the last NPS answer, a downgrade."""
    led = state.last_event_day[cust]
    idle = np.where(led >= 0, w0 - led, w0 - state.signup_day[cust])
    usage8 = state.usage_ring[cust].sum(axis=1)
    dormant = (idle >= DOG_IDLE_DAYS) & (usage8 <= DOG_MAX_USAGE)
    u = draws.dog_u[cust]
    dog = np.where(dormant, u < DOG_IF_MARKED, u < DOG_IF_UNMARKED)
    nps = state.last_nps[cust]
    decided = (~np.isnan(nps) & (np.nan_to_num(nps, nan=10.0) <= DECIDED_NPS)) | (
        w0 - state.downgrade_day[cust] <= DECIDED_DOWNGRADE_DAYS)
    young = (w0 - state.signup_day[cust]) < YOUNG_DAYS
    response = CHANNEL_RESPONSE[state.channel[cust]] * np.where(young, YOUNG_RESPONSE, 1.0) * draws.response[cust]
    return Profile(np.where(decided, DECIDED_RESPONSE, response), decided, dormant, dog)


def shift(design: str, prof: Profile, true_driver: np.ndarray, action_family: np.ndarray) -> np.ndarray:
    """The logit shift of each customer's action (``action_family``: the family it is for) under ``design``."""
    if design == "uniform":
        return np.full(true_driver.shape, UNIFORM_EFFECT)
    if design != "heterogeneous":
        raise ValueError(f"unknown effect design {design!r}; one of {', '.join(DESIGNS)}")
    return np.where(prof.sleeping_dog, SLEEPING_DOG_EFFECT, prof.response * EFFECT[true_driver, action_family])


def is_dog(design: str, prof: Profile) -> np.ndarray:
    """Sleeping dogs under ``design`` (none in the uniform world)."""
    return prof.sleeping_dog if design == "heterogeneous" else np.zeros(prof.sleeping_dog.shape, dtype=bool)
