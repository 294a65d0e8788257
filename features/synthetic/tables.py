"""A simulated chunk as Arrow tables of the data contract and the ground truth (no file I/O here)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from features.catalog import FAMILIES
from features.synthetic.config import CHANNELS, COLOURS, CONTRACTS, EVENT_TYPES, PLANS, REGIONS, TICKET_CATEGORIES
from features.synthetic.world import World

RAW_TABLES: tuple[str, ...] = ("customers", "events", "tickets")
TRUTH_TABLES: tuple[str, ...] = ("oracle", "drivers")

SCHEMAS: dict[str, pa.Schema] = {
    "customers": pa.schema(
        [
            ("customer_id", pa.string()),
            ("signup_date", pa.date32()),
            ("churn_date", pa.date32()),
            ("plan", pa.string()),
            ("monthly_fee", pa.float64()),
            ("contract", pa.string()),
            ("channel", pa.string()),
            ("region", pa.string()),
            ("favourite_colour", pa.string()),
        ]
    ),
    "events": pa.schema(
        [
            ("customer_id", pa.string()),
            ("timestamp", pa.timestamp("us")),
            ("event_type", pa.string()),
            ("value", pa.float64()),
        ]
    ),
    "tickets": pa.schema(
        [
            ("customer_id", pa.string()),
            ("opened_at", pa.timestamp("us")),
            ("category", pa.string()),
            ("resolved_at", pa.timestamp("us")),
            ("satisfaction", pa.int64()),
        ]
    ),
    "oracle": pa.schema(
        [("customer_id", pa.string()), ("cutoff", pa.date32()), ("oracle_probability", pa.float64())]
    ),
    "drivers": pa.schema([("customer_id", pa.string()), ("dominant_driver", pa.string())]),
}

ROWS_PER_GROUP = 1_000_000  # Parquet row group size; events are handed out in slices of this many rows
_KEY_SHIFT = 32  # sort key: customer index << 32 | second of the period


def _ids(first: int, n: int, width: int) -> pa.Array:
    return pa.array([f"C{i:0{width}d}" for i in range(first + 1, first + n + 1)], type=pa.string())


def _take(values: Sequence[str], codes: np.ndarray) -> pa.Array:
    return pc.take(pa.array(values, type=pa.string()), pa.array(codes.astype(np.int32)))


def _dates(days: np.ndarray, start_days: int, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array((days + start_days).astype(np.int32), type=pa.int32(), mask=mask).cast(pa.date32())


def _customers(cu: dict[str, np.ndarray], ids: pa.Array, start_days: int) -> pa.Table:
    churned = cu["churn_day"] >= 0
    return pa.table(
        {
            "customer_id": ids,
            "signup_date": _dates(cu["signup_day"], start_days),
            "churn_date": _dates(cu["churn_day"], start_days, mask=~churned),
            "plan": _take(PLANS, cu["plan"]),
            "monthly_fee": pa.array(cu["fee"], type=pa.float64()),
            "contract": _take(CONTRACTS, cu["contract"]),
            "channel": _take(CHANNELS, cu["channel"]),
            "region": _take(REGIONS, cu["region"]),
            "favourite_colour": _take(COLOURS, cu["colour"]),
        },
        schema=SCHEMAS["customers"],
    )


def _events(ev: dict[str, np.ndarray], ids: pa.Array, start_us: int) -> Iterator[pa.Table]:
    """The chunk's events sorted by customer and time, in slices of ``ROWS_PER_GROUP`` rows."""
    order = np.argsort((ev["cust"].astype(np.int64) << _KEY_SHIFT) | ev["sec"], kind="stable")
    for s in range(0, ev["cust"].size, ROWS_PER_GROUP):
        o = order[s : s + ROWS_PER_GROUP]
        yield pa.table(
            {
                "customer_id": ids.take(pa.array(ev["cust"][o])),
                "timestamp": pa.array(ev["sec"][o] * 1_000_000 + start_us, type=pa.timestamp("us")),
                "event_type": _take(EVENT_TYPES, ev["type"][o]),
                "value": pa.array(ev["value"][o], type=pa.float64()),
            },
            schema=SCHEMAS["events"],
        )


def _tickets(tk: dict[str, np.ndarray], ids: pa.Array, start_us: int) -> pa.Table:
    order = np.argsort((tk["cust"].astype(np.int64) << _KEY_SHIFT) | tk["open"], kind="stable")
    res_sec = tk["resolved"][order]
    unresolved = res_sec == np.iinfo(np.int64).max
    sat = tk["sat"][order]
    return pa.table(
        {
            "customer_id": ids.take(pa.array(tk["cust"][order])),
            "opened_at": pa.array(tk["open"][order] * 1_000_000 + start_us, type=pa.timestamp("us")),
            "category": _take(TICKET_CATEGORIES, tk["cat"][order]),
            "resolved_at": pa.array(np.where(unresolved, 0, res_sec) * 1_000_000 + start_us,
                                    type=pa.timestamp("us"), mask=unresolved),
            "satisfaction": pa.array(sat.astype(np.int64), type=pa.int64(), mask=sat == 0),
        },
        schema=SCHEMAS["tickets"],
    )


def _oracle(oc: dict[str, np.ndarray], ids: pa.Array, start_days: int) -> pa.Table:
    order = np.lexsort((oc["cust"], oc["cutoff"]))
    return pa.table(
        {
            "customer_id": ids.take(pa.array(oc["cust"][order])),
            "cutoff": _dates(oc["cutoff"][order], start_days),
            "oracle_probability": pa.array(oc["prob"][order], type=pa.float64()),
        },
        schema=SCHEMAS["oracle"],
    )


def chunk_tables(res: dict[str, Any], first_id: int, width: int, world: World) -> Iterator[tuple[str, pa.Table]]:
    """The tables of one simulated chunk, as ``(table name, rows)`` in the order they are written.

    Customer ids are ``C`` plus the customer's 1-based index, zero-padded to
    ``width`` digits, so ids sort in signup order across chunks.
    """
    cu = res["customers"]
    ids = _ids(first_id, cu["signup_day"].shape[0], width)
    start_days = int(world.start.astype(np.int64))
    start_us = int(world.start.astype("datetime64[us]").astype(np.int64))
    yield "customers", _customers(cu, ids, start_days)
    churned = np.flatnonzero(cu["churn_day"] >= 0)
    yield "drivers", pa.table(
        {"customer_id": ids.take(pa.array(churned)), "dominant_driver": _take(FAMILIES, cu["driver"][churned])},
        schema=SCHEMAS["drivers"],
    )
    if res["events"]["cust"].size:
        for part in _events(res["events"], ids, start_us):
            yield "events", part
    if res["tickets"]["cust"].size:
        yield "tickets", _tickets(res["tickets"], ids, start_us)
    if res["oracle"]["cust"].size:
        yield "oracle", _oracle(res["oracle"], ids, start_days)


def chunk_stats(res: dict[str, Any], world: World) -> dict[str, int]:
    """Row counts, churners, exposure and driver and event-type counts of one chunk (summed by the caller)."""
    cu, ev = res["customers"], res["events"]
    churned = cu["churn_day"] >= 0
    ch = np.flatnonzero(churned)
    last = np.minimum(np.where(churned, cu["churn_day"], world.n_days - 1), world.n_days - 1)
    return {
        "n_customers": int(cu["signup_day"].shape[0]),
        "n_events": int(ev["cust"].size),
        "n_tickets": int(res["tickets"]["cust"].size),
        "n_oracle_rows": int(res["oracle"]["cust"].size),
        "n_churned": int(ch.size),
        "exposure_days": int((last - cu["signup_day"] + 1).sum()),
        **{f"driver_{f}": int((cu["driver"][ch] == i).sum()) for i, f in enumerate(FAMILIES)},
        **{f"events_{t}": int((ev["type"] == i).sum()) for i, t in enumerate(EVENT_TYPES)},
    }
