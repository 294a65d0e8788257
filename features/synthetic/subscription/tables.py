"""A simulated chunk as Arrow tables of the data contract and the ground truth.

No file I/O here, except :class:`CutoffDrivers`' spool: ``drivers_at_cutoff``
compares every customer with the whole world's customers at the cutoff, so its
rows wait in a temporary Arrow file until the last chunk is done.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from features.catalog import FAMILIES
from features.synthetic.subscription.config import CHANNELS, COLOURS, CONTRACTS, EVENT_TYPES, PLANS, REGIONS, TICKET_CATEGORIES
from features.synthetic.subscription.world import World

RAW_TABLES: tuple[str, ...] = ("customers", "events", "tickets")
TRUTH_TABLES: tuple[str, ...] = ("oracle", "drivers", "drivers_at_cutoff")

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
    "drivers_at_cutoff": pa.schema(
        [("customer_id", pa.string()), ("cutoff", pa.date32())]
        + [(f, pa.float64()) for f in FAMILIES]
        + [("true_driver", pa.string())]
    ),
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


_SPOOL_SCHEMA = pa.schema(
    [("customer_id", pa.string()), ("cutoff", pa.date32()), ("contract", pa.int8())]
    + [(f, pa.float64()) for f in FAMILIES]
)


class CutoffDrivers:
    """``drivers_at_cutoff`` of the whole world: the chunks' contributions, then the true drivers.

    A row per oracle row (customer active at cutoff ``D``) holds the six family
    contributions of the hazard the oracle uses for ``D`` (``hazard.oracle``:
    the week containing ``D + 1``; ``tenure`` includes ``RENEWAL_BOOST`` when an
    annual renewal falls in the horizon). ``true_driver`` is the family with the
    largest contribution minus its reference, the mean over *all* the world's
    customers active at ``D`` with the same ``contract`` (ties: the first in
    ``FAMILIES``). That mean is exact, not a chunk's: :meth:`add` spools each
    chunk's rows to an Arrow file and sums them per cutoff and contract, and
    :meth:`tables` reads them back after the last chunk, so memory stays bounded
    by one chunk. Rows come chunk by chunk, by cutoff then customer within a
    chunk: the order of the ``oracle`` rows.

    Args:
        spool: a file path for the spool (its folder must exist; the caller removes it).
    """

    def __init__(self, spool: Path) -> None:
        self._spool = Path(spool)
        self._writer: pa.ipc.RecordBatchFileWriter | None = None
        self._closed = False
        self._sums: dict[int, np.ndarray] = {}    # cutoff (days since epoch) -> (contracts, families) sums
        self._counts: dict[int, np.ndarray] = {}  # cutoff -> customers per contract
        self.true_drivers = np.zeros(len(FAMILIES), dtype=np.int64)  # rows per true driver, after tables()

    def add(self, res: dict[str, Any], ids: pa.Array, start_days: int) -> None:
        """Spool one chunk's oracle rows with their contributions and add them to the references."""
        if self._closed:
            raise RuntimeError("CutoffDrivers.add after the spool was closed")
        oc = res["oracle"]
        if not oc["cust"].size:
            return
        order = np.lexsort((oc["cust"], oc["cutoff"]))
        cust, cutoff = oc["cust"][order], oc["cutoff"][order]
        contract = res["customers"]["contract"][cust].astype(np.int8)
        contrib = np.stack([oc[f][order] for f in FAMILIES])
        days, inv = np.unique(cutoff, return_inverse=True)
        n_con = len(CONTRACTS)
        group = inv * n_con + contract
        counts = np.bincount(group, minlength=days.size * n_con).reshape(days.size, n_con)
        sums = np.stack([np.bincount(group, weights=row, minlength=days.size * n_con) for row in contrib])
        sums = sums.reshape(len(FAMILIES), days.size, n_con)
        for j, d in enumerate(days.tolist()):
            key = d + start_days
            if key not in self._sums:
                self._sums[key] = np.zeros((n_con, len(FAMILIES)))
                self._counts[key] = np.zeros(n_con, dtype=np.int64)
            self._sums[key] += sums[:, j, :].T
            self._counts[key] += counts[j]
        table = pa.table({"customer_id": ids.take(pa.array(cust)), "cutoff": _dates(cutoff, start_days),
                          "contract": pa.array(contract, type=pa.int8()),
                          **{f: pa.array(contrib[i], type=pa.float64()) for i, f in enumerate(FAMILIES)}},
                         schema=_SPOOL_SCHEMA)
        if self._writer is None:
            self._writer = pa.ipc.new_file(str(self._spool), _SPOOL_SCHEMA)
        self._writer.write_table(table)

    def close(self) -> None:
        """Finish the spool file (idempotent)."""
        if self._writer is not None and not self._closed:
            self._writer.close()
        self._closed = True

    def tables(self) -> Iterator[pa.Table]:
        """After the last :meth:`add`: the ``drivers_at_cutoff`` rows, one table per chunk."""
        self.close()
        if self._writer is None:
            return
        keys = np.array(sorted(self._sums), dtype=np.int64)
        ref = np.stack([self._sums[k] / np.maximum(self._counts[k], 1)[:, None] for k in keys.tolist()])
        with pa.memory_map(str(self._spool)) as source:
            reader = pa.ipc.open_file(source)
            for i in range(reader.num_record_batches):
                batch = reader.get_batch(i)
                day = batch.column("cutoff").cast(pa.int32()).to_numpy().astype(np.int64)
                contract = batch.column("contract").to_numpy()
                contrib = np.stack([batch.column(f).to_numpy() for f in FAMILIES])
                rel = contrib - ref[np.searchsorted(keys, day), contract].T
                driver = np.argmax(rel, axis=0)
                self.true_drivers += np.bincount(driver, minlength=len(FAMILIES))
                yield pa.table({"customer_id": batch.column("customer_id"), "cutoff": batch.column("cutoff"),
                                **{f: batch.column(f) for f in FAMILIES},
                                "true_driver": _take(FAMILIES, driver)},
                               schema=SCHEMAS["drivers_at_cutoff"])


def chunk_tables(res: dict[str, Any], first_id: int, width: int, world: World,
                 drivers: CutoffDrivers | None = None) -> Iterator[tuple[str, pa.Table]]:
    """The tables of one simulated chunk, as ``(table name, rows)`` in the order they are written.

    Customer ids are ``C`` plus the customer's 1-based index, zero-padded to
    ``width`` digits, so ids sort in signup order across chunks. ``drivers_at_cutoff``
    is not among them: its rows go to ``drivers`` (if given), which hands them out
    after the last chunk.
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
        if drivers is not None:
            drivers.add(res, ids, start_days)


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
