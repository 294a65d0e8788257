"""The weekly loop over one chunk of customers (``core.chunks`` runs the chunks in order, in parallel if asked).

A week runs the boundary (hazard, the oracle's running sums, deaths), then
what customers do, then the truth at the cutoffs that fall in the week (from
the rows stamped up to each cutoff), then folds the week into the history.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from features.catalog import FAMILIES
from features.synthetic.core.chunks import EVENT_DTYPES, TICKET_DTYPES, Batches
from features.synthetic.noncontract import activity
from features.synthetic.noncontract.config import NonContractConfig
from features.synthetic.noncontract.hazard import boundary_step
from features.synthetic.noncontract.oracle import cutoff_truth
from features.synthetic.noncontract.world import ChunkState, World

TRUTH_DTYPES = {"cust": np.int32, "cutoff": np.int32, "prob": np.float64, "driver": np.int8,
                **{f: np.float64 for f in FAMILIES}}


class ChunkOutput:
    """What one chunk emits, as column arrays per table."""

    def __init__(self) -> None:
        self.events = Batches(tuple(EVENT_DTYPES))
        self.tickets = Batches(tuple(TICKET_DTYPES))
        self.truth = Batches(tuple(TRUTH_DTYPES))


def simulate_week(cfg: NonContractConfig, world: World, state: ChunkState, w: int, out: ChunkOutput,
                  cutoffs_in_week: tuple[int, ...], horizon_days: int, rng: np.random.Generator) -> None:
    """One week of the chunk: the boundary, what customers do, the truth at this week's cutoffs."""
    boundary_step(state, world, cfg, w, rng)
    activity.step_engagement(state, world, w, rng)
    emails = activity.step_emails(state, world, cfg, w, rng, out.events)
    activity.step_price_notices(state, world, w, rng, out.events)
    purchases = activity.step_purchases(state, world, w, rng, out.events)
    activity.step_tickets(state, world, purchases, rng, out.tickets)
    for d in cutoffs_in_week:
        t = cutoff_truth(state, world, cfg, d, horizon_days, purchases, emails)
        out.truth.add(cust=t["cust"].astype(np.int32), cutoff=np.full(t["cust"].size, d, dtype=np.int32),
                      prob=t["prob"], driver=t["driver"], **{f: t["contrib"][i] for i, f in enumerate(FAMILIES)})
    activity.apply_week(state, purchases, emails)


def simulate_chunk(cfg: NonContractConfig, world: World, chunk_index: int, t1_sec: np.ndarray,
                   cutoff_days: tuple[int, ...], horizon_days: int) -> dict[str, Any]:
    """Simulate one chunk of customers from its first purchases to the end of the data.

    Args:
        cfg: the world's knobs.
        world: the shared calendar.
        chunk_index: the chunk's number (its random stream is ``[seed, chunk_index]``).
        t1_sec: the chunk's first-purchase times, sorted.
        cutoff_days: the truth tables' cutoffs (day indices inside the period).
        horizon_days: H.

    Returns:
        Column arrays of the customers (with the hidden ``death_sec`` and ``driver``), events, tickets and
        truth rows.
    """
    rng = np.random.default_rng([cfg.seed, chunk_index])
    state = ChunkState.draw(cfg, rng, t1_sec)
    out = ChunkOutput()
    by_week: dict[int, list[int]] = {}
    for d in cutoff_days:
        by_week.setdefault(d // 7, []).append(d)
    for w in range(int(t1_sec.min()) // (7 * 86_400), world.n_weeks):
        simulate_week(cfg, world, state, w, out, tuple(by_week.get(w, ())), horizon_days, rng)
    return {
        "customers": {"t1_sec": state.t1_sec, "channel": state.channel, "region": state.region,
                      "loyalty": state.loyalty, "colour": state.colour, "driver": state.driver,
                      "death_sec": state.death_sec},
        "events": out.events.concat(EVENT_DTYPES),
        "tickets": out.tickets.concat(TICKET_DTYPES),
        "truth": out.truth.concat(TRUTH_DTYPES),
    }
