"""A simulated chunk of the non-contract world as Arrow tables of the data contract and the truth (no file I/O)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from features.catalog import FAMILIES
from features.synthetic.core.config import SECONDS_PER_DAY
from features.synthetic.core.hazard import USAGE
from features.synthetic.core.tables import (
    SHARED_SCHEMAS,
    by_cutoff,
    dates,
    drivers_table,
    events_tables,
    ids,
    oracle_table,
    start_offsets,
    take,
    tickets_table,
)
from features.synthetic.noncontract.config import CHANNELS, COLOURS, EVENT_TYPES, PURCHASE, REGIONS, TICKET_CATEGORIES
from features.synthetic.noncontract.world import World

SCHEMAS: dict[str, pa.Schema] = {
    "customers": pa.schema([
        ("customer_id", pa.string()),
        ("signup_date", pa.date32()),
        ("channel", pa.string()),
        ("region", pa.string()),
        ("loyalty_member", pa.bool_()),
        ("favourite_colour", pa.string()),
    ]),
    **SHARED_SCHEMAS,
}
ID_PREFIX = "R"  # customer ids: R0000001, ... in first-purchase order


def _customers(cu: dict[str, np.ndarray], customer_ids: pa.Array, start_days: int) -> pa.Table:
    return pa.table({
        "customer_id": customer_ids,
        "signup_date": dates(cu["t1_sec"] // SECONDS_PER_DAY, start_days),
        "channel": take(CHANNELS, cu["channel"]),
        "region": take(REGIONS, cu["region"]),
        "loyalty_member": pa.array(cu["loyalty"], type=pa.bool_()),
        "favourite_colour": take(COLOURS, cu["colour"]),
    }, schema=SCHEMAS["customers"])


def _truth(tr: dict[str, np.ndarray], customer_ids: pa.Array, start_days: int) -> Iterator[tuple[str, pa.Table]]:
    """The oracle and the drivers at each cutoff, sorted by cutoff and customer."""
    o, cust, cutoff = by_cutoff(tr, customer_ids, start_days)
    yield "oracle", oracle_table(cust, cutoff, tr["prob"][o])
    yield "drivers_at_cutoff", pa.table({
        "customer_id": cust, "cutoff": cutoff,
        **{f: pa.array(tr[f][o], type=pa.float64()) for f in FAMILIES},
        "true_driver": take(FAMILIES, tr["driver"][o]),
    }, schema=SCHEMAS["drivers_at_cutoff"])


def chunk_tables(res: dict[str, Any], first_id: int, width: int, world: World) -> Iterator[tuple[str, pa.Table]]:
    """The tables of one simulated chunk, as ``(table name, rows)`` in the order they are written.

    Customer ids are ``R`` plus the 1-based first-purchase rank, zero-padded to
    ``width`` digits, so ids sort in first-purchase order across chunks.

    Args:
        res: a ``simulate_chunk`` result.
        first_id: index of the chunk's first customer in the world.
        width: digits of the ids.
        world: the calendar (its start date).

    Returns:
        An iterator over ``(name, Arrow table)`` with ``SCHEMAS[name]``.
    """
    cu = res["customers"]
    customer_ids = ids(ID_PREFIX, first_id, cu["t1_sec"].shape[0], width)
    start_days, start_us = start_offsets(world.start)
    yield "customers", _customers(cu, customer_ids, start_days)
    dead = np.flatnonzero(cu["driver"] >= 0)
    yield "drivers", drivers_table(customer_ids, dead, cu["driver"][dead])
    if res["events"]["cust"].size:
        yield from (("events", part) for part in events_tables(res["events"], customer_ids, start_us, EVENT_TYPES))
    if res["tickets"]["cust"].size:
        yield "tickets", tickets_table(res["tickets"], customer_ids, start_us, TICKET_CATEGORIES)
    if res["truth"]["cust"].size:
        yield from _truth(res["truth"], customer_ids, start_days)


def chunk_stats(res: dict[str, Any]) -> dict[str, float]:
    """Row counts, deaths, and event-type, driver and oracle sums of one chunk.

    Args:
        res: a ``simulate_chunk`` result.

    Returns:
        Additive counts (the caller sums them over chunks).
    """
    cu, ev, tr = res["customers"], res["events"], res["truth"]
    dead = cu["driver"] >= 0
    return {
        "n_customers": int(cu["t1_sec"].shape[0]),
        "n_events": int(ev["cust"].size),
        "n_tickets": int(res["tickets"]["cust"].size),
        "n_dead": int(dead.sum()),
        "n_dead_at_purchase": int((cu["driver"] == USAGE).sum()),
        "n_oracle_rows": int(tr["cust"].size),
        "oracle_sum": float(tr["prob"].sum()),
        "n_purchases": int((ev["type"] == PURCHASE).sum()),
        **{f"driver_{f}": int((cu["driver"] == i).sum()) for i, f in enumerate(FAMILIES)},
        **{f"true_driver_{f}": int((tr["driver"] == i).sum()) for i, f in enumerate(FAMILIES)},
        **{f"events_{t}": int((ev["type"] == i).sum()) for i, t in enumerate(EVENT_TYPES)},
    }
