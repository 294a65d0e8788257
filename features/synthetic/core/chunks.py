"""A world's customers simulated chunk by chunk (in parallel processes if asked), and the columns a chunk emits."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import numpy as np

EVENT_DTYPES = {"cust": np.int32, "sec": np.int64, "type": np.int8, "value": np.float64}
TICKET_DTYPES = {"cust": np.int32, "open": np.int64, "cat": np.int8, "resolved": np.int64, "sat": np.int8}


class Batches:
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


def _chunk_task(args: tuple) -> dict[str, Any]:
    simulate_chunk, *rest = args
    return simulate_chunk(*rest)


def chunk_results(simulate_chunk: Callable[..., dict[str, Any]], cfg: Any, world: Any, starts: np.ndarray,
                  cutoff_days: tuple[int, ...], horizon_days: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (first customer index, chunk result) in chunk order; in parallel processes if asked.

    Chunk ``i`` draws from ``default_rng([seed, i])``, so the result does not
    depend on the number of workers.

    Args:
        simulate_chunk: the world's ``simulate_chunk(cfg, world, chunk_index, starts, cutoff_days, horizon_days)``,
            a module-level function (the worker processes import it by name).
        cfg: the world's knobs (``n_customers``, ``chunk_customers``, ``workers``).
        world: the shared calendar.
        starts: every customer's start (signup day or first-purchase second), sorted.
        cutoff_days: the truth tables' cutoffs.
        horizon_days: H.

    Returns:
        An iterator over ``(index of the chunk's first customer, simulate_chunk result)``.
    """
    size = cfg.chunk_customers
    bounds = [(s, min(s + size, cfg.n_customers)) for s in range(0, cfg.n_customers, size)]
    tasks = [(simulate_chunk, cfg, world, i, starts[a:b], cutoff_days, horizon_days) for i, (a, b) in enumerate(bounds)]
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
