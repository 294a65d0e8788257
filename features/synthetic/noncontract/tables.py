"""A simulated chunk of the non-contract world as Arrow tables of the data contract and the truth (no file I/O)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from features.catalog import FAMILIES
from features.synthetic.noncontract.config import (CHANNELS, COLOURS, EVENT_TYPES, PURCHASE, REGIONS,
                                                   TICKET_CATEGORIES, USAGE)
from features.synthetic.noncontract.world import World

RAW_TABLES: tuple[str, ...] = ("customers", "events", "tickets")
TRUTH_TABLES: tuple[str, ...] = ("oracle", "drivers", "drivers_at_cutoff")

SCHEMAS: dict[str, pa.Schema] = {
    "customers": pa.schema([
        ("customer_id", pa.string()),
        ("signup_date", pa.date32()),
        ("channel", pa.string()),
        ("region", pa.string()),
        ("loyalty_member", pa.bool_()),
        ("favourite_colour", pa.string()),
    ]),
    "events": pa.schema([
        ("customer_id", pa.string()),
        ("timestamp", pa.timestamp("us")),
        ("event_type", pa.string()),
        ("value", pa.float64()),
    ]),
    "tickets": pa.schema([
        ("customer_id", pa.string()),
        ("opened_at", pa.timestamp("us")),
        ("category", pa.string()),
        ("resolved_at", pa.timestamp("us")),
        ("satisfaction", pa.int64()),
    ]),
    "oracle": pa.schema([("customer_id", pa.string()), ("cutoff", pa.date32()), ("oracle_probability", pa.float64())]),
    "drivers": pa.schema([("customer_id", pa.string()), ("dominant_driver", pa.string())]),
    "drivers_at_cutoff": pa.schema(
        [("customer_id", pa.string()), ("cutoff", pa.date32())]
        + [(f, pa.float64()) for f in FAMILIES]
        + [("true_driver", pa.string())]
    ),
}

ROWS_PER_GROUP = 1_000_000  # Parquet row group size; events are handed out in slices of this many rows
_KEY_SHIFT = 32  # sort key: customer position << 32 | second of the period
SECONDS_PER_DAY = 86_400


def _ids(first: int, n: int, width: int) -> pa.Array:
    return pa.array([f"R{i:0{width}d}" for i in range(first + 1, first + n + 1)], type=pa.string())


def _take(values: Sequence[str], codes: np.ndarray) -> pa.Array:
    return pc.take(pa.array(values, type=pa.string()), pa.array(codes.astype(np.int32)))


def _dates(days: np.ndarray, start_days: int) -> pa.Array:
    return pa.array((days + start_days).astype(np.int32), type=pa.int32()).cast(pa.date32())


def _stamps(sec: np.ndarray, start_us: int, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(sec * 1_000_000 + start_us, type=pa.timestamp("us"), mask=mask)


def _customers(cu: dict[str, np.ndarray], ids: pa.Array, start_days: int) -> pa.Table:
    return pa.table({
        "customer_id": ids,
        "signup_date": _dates(cu["t1_sec"] // SECONDS_PER_DAY, start_days),
        "channel": _take(CHANNELS, cu["channel"]),
        "region": _take(REGIONS, cu["region"]),
        "loyalty_member": pa.array(cu["loyalty"], type=pa.bool_()),
        "favourite_colour": _take(COLOURS, cu["colour"]),
    }, schema=SCHEMAS["customers"])


def _events(ev: dict[str, np.ndarray], ids: pa.Array, start_us: int) -> Iterator[pa.Table]:
    """The chunk's events sorted by customer and time, in slices of ``ROWS_PER_GROUP`` rows.

    Stable sort: a purchase stays before its ``items`` event at the same second.
    """
    order = np.argsort((ev["cust"].astype(np.int64) << _KEY_SHIFT) | ev["sec"], kind="stable")
    for s in range(0, ev["cust"].size, ROWS_PER_GROUP):
        o = order[s : s + ROWS_PER_GROUP]
        yield pa.table({
            "customer_id": ids.take(pa.array(ev["cust"][o])),
            "timestamp": _stamps(ev["sec"][o], start_us),
            "event_type": _take(EVENT_TYPES, ev["type"][o]),
            "value": pa.array(ev["value"][o], type=pa.float64()),
        }, schema=SCHEMAS["events"])


def _tickets(tk: dict[str, np.ndarray], ids: pa.Array, start_us: int) -> pa.Table:
    order = np.argsort((tk["cust"].astype(np.int64) << _KEY_SHIFT) | tk["open"], kind="stable")
    res = tk["resolved"][order]
    unresolved = res == np.iinfo(np.int64).max
    sat = tk["sat"][order]
    return pa.table({
        "customer_id": ids.take(pa.array(tk["cust"][order])),
        "opened_at": _stamps(tk["open"][order], start_us),
        "category": _take(TICKET_CATEGORIES, tk["cat"][order]),
        "resolved_at": _stamps(np.where(unresolved, 0, res), start_us, mask=unresolved),
        "satisfaction": pa.array(sat.astype(np.int64), type=pa.int64(), mask=sat == 0),
    }, schema=SCHEMAS["tickets"])


def _truth(tr: dict[str, np.ndarray], ids: pa.Array, start_days: int) -> Iterator[tuple[str, pa.Table]]:
    """The oracle and the drivers at each cutoff, sorted by cutoff and customer."""
    o = np.lexsort((tr["cust"], tr["cutoff"]))
    cust, cutoff = ids.take(pa.array(tr["cust"][o])), _dates(tr["cutoff"][o], start_days)
    yield "oracle", pa.table({"customer_id": cust, "cutoff": cutoff,
                              "oracle_probability": pa.array(tr["prob"][o], type=pa.float64())},
                             schema=SCHEMAS["oracle"])
    yield "drivers_at_cutoff", pa.table({
        "customer_id": cust, "cutoff": cutoff,
        **{f: pa.array(tr[f][o], type=pa.float64()) for f in FAMILIES},
        "true_driver": _take(FAMILIES, tr["driver"][o]),
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
    ids = _ids(first_id, cu["t1_sec"].shape[0], width)
    start_days = int(world.start.astype(np.int64))
    start_us = int(world.start.astype("datetime64[us]").astype(np.int64))
    yield "customers", _customers(cu, ids, start_days)
    dead = np.flatnonzero(cu["driver"] >= 0)
    yield "drivers", pa.table({"customer_id": ids.take(pa.array(dead)),
                               "dominant_driver": _take(FAMILIES, cu["driver"][dead])}, schema=SCHEMAS["drivers"])
    if res["events"]["cust"].size:
        yield from (("events", part) for part in _events(res["events"], ids, start_us))
    if res["tickets"]["cust"].size:
        yield "tickets", _tickets(res["tickets"], ids, start_us)
    if res["truth"]["cust"].size:
        yield from _truth(res["truth"], ids, start_days)


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
