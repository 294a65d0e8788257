"""The weekly loop over one chunk of customers (``core.chunks`` runs the chunks in order, in parallel if asked).

A week runs the hazard (from what happened before it), the churn draw, the
oracle for the cutoffs that fall in it, then the week's activity. A new kind
of business or a campaign effect is a new step, or a new term in the hazard,
called from :func:`simulate_week`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from features.catalog import FAMILIES
from features.synthetic.core.chunks import EVENT_DTYPES, TICKET_DTYPES, Batches
from features.synthetic.subscription import activity, at_score, campaigns
from features.synthetic.subscription.activity import Activity
from features.synthetic.subscription.config import SyntheticConfig
from features.synthetic.subscription.continuation import ORACLE_STREAM, continuation_probability
from features.synthetic.subscription.hazard import Week, draw_churn, hazard, oracle
from features.synthetic.subscription.state import EMPTY_TICKETS, CustomerState
from features.synthetic.subscription.world import World

# the oracle rows, with the family contributions of the hazard they use (drivers_at_cutoff)
# prob: the continuation oracle (continuation.py); prob_frozen: the first horizon week's hazard held fixed
ORACLE_DTYPES = {"cust": np.int32, "cutoff": np.int32, "prob": np.float64, "prob_frozen": np.float64,
                 **{f: np.float64 for f in FAMILIES}}


class ChunkOutput:
    """What one chunk emits, as column arrays per table."""

    def __init__(self) -> None:
        self.events = Batches(tuple(EVENT_DTYPES))
        self.tickets = Batches(tuple(TICKET_DTYPES))
        self.oracle = Batches(tuple(ORACLE_DTYPES))
        self.campaigns = Batches(tuple(campaigns.CAMPAIGN_DTYPES))


def simulate_week(cfg: SyntheticConfig, world: World, state: CustomerState, w: int, out: ChunkOutput,
                  cutoffs_in_week: tuple[int, ...], horizon_days: int, rng: np.random.Generator,
                  chunk_index: int = 0) -> None:
    """One week of the chunk: hazard, churn, the oracle at this week's cutoffs, then what customers do."""
    w0 = 7 * w
    w_last = min(w0 + 6, world.end_day)
    P = np.flatnonzero((state.signup_day <= w_last) & (state.churn_day < 0))
    if P.size == 0:
        state.remember_tickets(EMPTY_TICKETS)
        return
    week = Week(w, w0, w_last, P, np.maximum(0, w0 - state.signup_day[P]))
    hz = hazard(state, week)
    if state.treatment is not None:
        state.treatment.step(state, week, hz)
    churns, churn_day = draw_churn(state, week, hz, rng)
    for cd in cutoffs_in_week:
        customers, frozen, contrib = oracle(state, world, week, hz, cd, horizon_days)
        if customers.size:
            orng = np.random.default_rng([cfg.seed, chunk_index, ORACLE_STREAM, cd])
            prob = continuation_probability(cfg, state, world, w, customers, cd, horizon_days, orng,
                                            cfg.oracle_continuations)
            out.oracle.add(cust=customers.astype(np.int32), cutoff=np.full(customers.size, cd, dtype=np.int32),
                           prob=prob, prob_frozen=frozen, **dict(zip(FAMILIES, contrib)))
        if cfg.campaigns is not None and customers.size and campaigns.runs_at(cd, horizon_days, world.end_day):
            # the team ranks by the frozen figure, as it did before the continuation oracle: the world stays the same
            crng = np.random.default_rng([cfg.seed, chunk_index, campaigns.CAMPAIGN_STREAM, cd])
            campaigns.ensure_treatment(state, cfg.seed, chunk_index)
            campaigns.run_campaign(cfg.campaigns, state, world, hz, week, cd, horizon_days, customers, frozen, crng)
    if cfg.campaigns is not None:  # the truth of every action for every customer active at the scoring date
        sd = at_score.score_day(cfg.campaigns.score_date, cfg.start_date, world.end_day)
        if (sd + 1) // 7 == w:
            campaigns.ensure_treatment(state, cfg.seed, chunk_index)
            at_score.start(cfg.campaigns.effects, state, world, hz, week, sd, horizon_days)
    if w0 > world.end_day:  # only there for a cutoff on the last day; nothing happens
        return
    act = Activity.start(state, week, churns, churn_day, out.events)
    activity.step_engagement(act, hz, rng)
    activity.step_usage(act, cfg, world, rng)
    activity.step_price_increases(act, world, rng)
    activity.step_billing(act, hz, world, rng)
    activity.step_plan_changes(act, hz, world, rng)
    activity.step_nps(act, hz, cfg, rng)
    activity.step_tickets(act, hz, cfg, world, rng, out.tickets)
    state.last_event_day[P] = np.maximum(state.last_event_day[P], act.week_last_event)
    state.advance_renewals(world, P, w_last)


def simulate_chunk(cfg: SyntheticConfig, world: World, chunk_index: int, signup_day: np.ndarray,
                   cutoff_days: tuple[int, ...], horizon_days: int) -> dict[str, Any]:
    """Simulate one chunk of customers; returns column arrays of every table."""
    rng = np.random.default_rng([cfg.seed, chunk_index])
    state = CustomerState.draw(cfg, world, rng, signup_day)
    out = ChunkOutput()
    cutoffs_by_week: dict[int, list[int]] = {}
    for cd in cutoff_days:
        cutoffs_by_week.setdefault((cd + 1) // 7, []).append(cd)
    for w in range(int(signup_day.min()) // 7, world.n_weeks):
        simulate_week(cfg, world, state, w, out, tuple(cutoffs_by_week.get(w, ())), horizon_days, rng, chunk_index)
    if state.treatment is not None:
        state.treatment.finish(state)
    return {
        "customers": {
            "signup_day": state.signup_day,
            "churn_day": state.churn_day,
            "plan": state.plan0,
            "fee": state.fee0,
            "contract": state.contract,
            "channel": state.channel,
            "region": state.region,
            "colour": state.colour,
            "driver": state.driver,
        },
        "events": out.events.concat(EVENT_DTYPES),
        "tickets": out.tickets.concat(TICKET_DTYPES),
        "oracle": out.oracle.concat(ORACLE_DTYPES),
        "campaigns": campaigns.with_outcome(campaigns.records(state.treatment) if state.treatment is not None
                                            else out.campaigns.concat(campaigns.CAMPAIGN_DTYPES), state.churn_day,
                                            horizon_days),
        "at_score": at_score.rows(state.treatment),
    }
