"""The weekly loop over one chunk of customers, and the chunks in order (in parallel if asked).

A week runs the boundary (hazard, the oracle's running sums, deaths), then
what customers do, then the truth at the cutoffs that fall in the week (from
the rows stamped up to each cutoff), then folds the week into the history.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import numpy as np

from features.catalog import FAMILIES
from features.synthetic.subscription.activity import Batches
from features.synthetic.noncontract import activity
from features.synthetic.noncontract.config import NonContractConfig
from features.synthetic.noncontract.hazard import boundary_step
from features.synthetic.noncontract.oracle import cutoff_truth
from features.synthetic.noncontract.world import ChunkState, World

EVENT_DTYPES = {"cust": np.int32, "sec": np.int64, "type": np.int8, "value": np.float64}
TICKET_DTYPES = {"cust": np.int32, "open": np.int64, "cat": np.int8, "resolved": np.int64, "sat": np.int8}
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


def _chunk_task(args: tuple) -> dict[str, Any]:
    return simulate_chunk(*args)


def chunk_results(cfg: NonContractConfig, world: World, t1_sec: np.ndarray, cutoff_days: tuple[int, ...],
                  horizon_days: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (first customer index, chunk result) in chunk order; in parallel processes if asked.

    Chunk ``i`` draws from ``default_rng([seed, i])``, so the result does not
    depend on the number of workers.

    Args:
        cfg: the world's knobs (``chunk_customers``, ``workers``).
        world: the shared calendar.
        t1_sec: every customer's first-purchase time, sorted.
        cutoff_days: the truth tables' cutoffs.
        horizon_days: H.

    Returns:
        An iterator over ``(index of the chunk's first customer, simulate_chunk result)``.
    """
    size = cfg.chunk_customers
    bounds = [(s, min(s + size, cfg.n_customers)) for s in range(0, cfg.n_customers, size)]
    tasks = [(cfg, world, i, t1_sec[a:b], cutoff_days, horizon_days) for i, (a, b) in enumerate(bounds)]
    workers = min(cfg.workers or min(4, os.cpu_count() or 1), len(tasks))
    if workers <= 1:
        for (a, _), t in zip(bounds, tasks):
            yield a, _chunk_task(t)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: list[tuple[int, Future]] = []
        it = iter(zip(bounds, tasks))
        for (a, _), t in it:  # keep at most workers + 1 chunks in flight: memory stays bounded
            pending.append((a, pool.submit(_chunk_task, t)))
            if len(pending) >= workers + 1:
                break
        for (a, _), t in it:
            first, fut = pending.pop(0)
            yield first, fut.result()
            pending.append((a, pool.submit(_chunk_task, t)))
        for first, fut in pending:
            yield first, fut.result()
