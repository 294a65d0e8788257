"""A simulated chunk as Arrow tables of the data contract and the ground truth.

No file I/O here, except :class:`CutoffDrivers`' spool: ``drivers_at_cutoff``
compares every customer with the whole world's customers at the cutoff, so its
rows wait in a temporary Arrow file until the last chunk is done.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from features.catalog import FAMILIES
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
from features.synthetic.subscription.config import (
    CHANNELS,
    COLOURS,
    CONTRACTS,
    EVENT_TYPES,
    PLANS,
    REGIONS,
    TICKET_CATEGORIES,
)
from features.synthetic.subscription.world import World

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
    **SHARED_SCHEMAS,
    # the continuation oracle (continuation.py), and the frozen figure it replaced (hazard.oracle)
    "oracle": pa.schema([("customer_id", pa.string()), ("cutoff", pa.date32()), ("oracle_probability", pa.float64()),
                         ("oracle_probability_frozen", pa.float64())]),
}
ID_PREFIX = "C"  # customer ids: C0000001, ... in signup order


def _customers(cu: dict[str, np.ndarray], customer_ids: pa.Array, start_days: int) -> pa.Table:
    churned = cu["churn_day"] >= 0
    return pa.table(
        {
            "customer_id": customer_ids,
            "signup_date": dates(cu["signup_day"], start_days),
            "churn_date": dates(cu["churn_day"], start_days, mask=~churned),
            "plan": take(PLANS, cu["plan"]),
            "monthly_fee": pa.array(cu["fee"], type=pa.float64()),
            "contract": take(CONTRACTS, cu["contract"]),
            "channel": take(CHANNELS, cu["channel"]),
            "region": take(REGIONS, cu["region"]),
            "favourite_colour": take(COLOURS, cu["colour"]),
        },
        schema=SCHEMAS["customers"],
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

    def add(self, res: dict[str, Any], customer_ids: pa.Array, start_days: int) -> None:
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
        table = pa.table({"customer_id": customer_ids.take(pa.array(cust)), "cutoff": dates(cutoff, start_days),
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
                                "true_driver": take(FAMILIES, driver)},
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
    customer_ids = ids(ID_PREFIX, first_id, cu["signup_day"].shape[0], width)
    start_days, start_us = start_offsets(world.start)
    yield "customers", _customers(cu, customer_ids, start_days)
    churned = np.flatnonzero(cu["churn_day"] >= 0)
    yield "drivers", drivers_table(customer_ids, churned, cu["driver"][churned])
    if res["events"]["cust"].size:
        for part in events_tables(res["events"], customer_ids, start_us, EVENT_TYPES):
            yield "events", part
    if res["tickets"]["cust"].size:
        yield "tickets", tickets_table(res["tickets"], customer_ids, start_us, TICKET_CATEGORIES)
    oc = res["oracle"]
    if oc["cust"].size:
        order, cust, cutoff = by_cutoff(oc, customer_ids, start_days)
        yield "oracle", oracle_table(cust, cutoff, oc["prob"][order]).append_column(
            "oracle_probability_frozen", pa.array(oc["prob_frozen"][order], type=pa.float64())).cast(SCHEMAS["oracle"])
        if drivers is not None:
            drivers.add(res, customer_ids, start_days)


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
