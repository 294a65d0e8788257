"""The tables both worlds write with the same schema, and the Arrow helpers they build their tables with.

Each world adds its own ``customers`` schema to ``SHARED_SCHEMAS`` (the
others, in the order the worlds list them). No file I/O here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from features.catalog import FAMILIES

RAW_TABLES: tuple[str, ...] = ("customers", "events", "tickets")
TRUTH_TABLES: tuple[str, ...] = ("oracle", "drivers", "drivers_at_cutoff")

SHARED_SCHEMAS: dict[str, pa.Schema] = {
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
    "drivers_at_cutoff": pa.schema(
        [("customer_id", pa.string()), ("cutoff", pa.date32())]
        + [(f, pa.float64()) for f in FAMILIES]
        + [("true_driver", pa.string())]
    ),
}

ROWS_PER_GROUP = 1_000_000  # Parquet row group size; events are handed out in slices of this many rows
_KEY_SHIFT = 32  # sort key: customer position << 32 | second of the period


def ids(prefix: str, first: int, n: int, width: int) -> pa.Array:
    """Customer ids ``prefix`` plus the 1-based index, zero-padded to ``width`` digits (they sort in index order)."""
    return pa.array([f"{prefix}{i:0{width}d}" for i in range(first + 1, first + n + 1)], type=pa.string())


def id_width(n_customers: int) -> int:
    """Digits of a world's customer ids: at least 7."""
    return max(7, len(str(n_customers)))


def start_offsets(start: np.datetime64) -> tuple[int, int]:
    """The world's first day as days and as microseconds since the epoch (the offsets of dates and stamps)."""
    return int(start.astype(np.int64)), int(start.astype("datetime64[us]").astype(np.int64))


def take(values: Sequence[str], codes: np.ndarray) -> pa.Array:
    """The strings ``values[codes]``."""
    return pc.take(pa.array(values, type=pa.string()), pa.array(codes.astype(np.int32)))


def dates(days: np.ndarray, start_days: int, mask: np.ndarray | None = None) -> pa.Array:
    """Dates from day indices of the period (``mask``: null where True)."""
    return pa.array((days + start_days).astype(np.int32), type=pa.int32(), mask=mask).cast(pa.date32())


def stamps(sec: np.ndarray, start_us: int, mask: np.ndarray | None = None) -> pa.Array:
    """Timestamps from seconds of the period (``mask``: null where True)."""
    return pa.array(sec * 1_000_000 + start_us, type=pa.timestamp("us"), mask=mask)


def events_tables(ev: dict[str, np.ndarray], customer_ids: pa.Array, start_us: int,
                  event_types: Sequence[str]) -> Iterator[pa.Table]:
    """A chunk's events sorted by customer and time, in slices of ``ROWS_PER_GROUP`` rows.

    Stable sort: events of a customer at the same second keep the order they were emitted in.
    """
    order = np.argsort((ev["cust"].astype(np.int64) << _KEY_SHIFT) | ev["sec"], kind="stable")
    for s in range(0, ev["cust"].size, ROWS_PER_GROUP):
        o = order[s : s + ROWS_PER_GROUP]
        yield pa.table(
            {
                "customer_id": customer_ids.take(pa.array(ev["cust"][o])),
                "timestamp": stamps(ev["sec"][o], start_us),
                "event_type": take(event_types, ev["type"][o]),
                "value": pa.array(ev["value"][o], type=pa.float64()),
            },
            schema=SHARED_SCHEMAS["events"],
        )


def tickets_table(tk: dict[str, np.ndarray], customer_ids: pa.Array, start_us: int,
                  categories: Sequence[str]) -> pa.Table:
    """A chunk's tickets sorted by customer and opening time; an unresolved ticket has no ``resolved_at``."""
    order = np.argsort((tk["cust"].astype(np.int64) << _KEY_SHIFT) | tk["open"], kind="stable")
    res_sec = tk["resolved"][order]
    unresolved = res_sec == np.iinfo(np.int64).max
    sat = tk["sat"][order]
    return pa.table(
        {
            "customer_id": customer_ids.take(pa.array(tk["cust"][order])),
            "opened_at": stamps(tk["open"][order], start_us),
            "category": take(categories, tk["cat"][order]),
            "resolved_at": stamps(np.where(unresolved, 0, res_sec), start_us, mask=unresolved),
            "satisfaction": pa.array(sat.astype(np.int64), type=pa.int64(), mask=sat == 0),
        },
        schema=SHARED_SCHEMAS["tickets"],
    )


def by_cutoff(rows: dict[str, np.ndarray], customer_ids: pa.Array,
              start_days: int) -> tuple[np.ndarray, pa.Array, pa.Array]:
    """The order of a chunk's truth rows (by cutoff, then customer), and their ids and cutoff dates in that order."""
    order = np.lexsort((rows["cust"], rows["cutoff"]))
    return order, customer_ids.take(pa.array(rows["cust"][order])), dates(rows["cutoff"][order], start_days)


def oracle_table(customer_ids: pa.Array, cutoff: pa.Array, prob: np.ndarray) -> pa.Table:
    """The ``oracle`` rows: per customer and cutoff, the true probability."""
    return pa.table({"customer_id": customer_ids, "cutoff": cutoff,
                     "oracle_probability": pa.array(prob, type=pa.float64())}, schema=SHARED_SCHEMAS["oracle"])


def drivers_table(customer_ids: pa.Array, gone: np.ndarray, driver: np.ndarray) -> pa.Table:
    """The ``drivers`` rows: the dominant driver (family index) of each customer who left (positions ``gone``)."""
    return pa.table({"customer_id": customer_ids.take(pa.array(gone)), "dominant_driver": take(FAMILIES, driver)},
                    schema=SHARED_SCHEMAS["drivers"])
