"""An adversarial small world for the Spark parity tests.

Day boundaries, month ends, sub-second and duplicate timestamps, nulls, ties, one-event customers, non-ASCII ids.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

END = dt.date(2024, 6, 30)
CUTOFFS = [dt.date(2024, m, d) for m, d in ((1, 31), (2, 29), (3, 31), (4, 30), (5, 31))]
TYPES = ("login", "session", "purchase", "support_chat", "payment_failed", "plan_change")
ODD_IDS = ("顧客-0001", "Émile", "ÆØÅ-7", "zoë", "Ⅻ", "a b", "O'Brien", "ü", "U", "😀-1")


def _boundary_events(ids: list[str]) -> list[tuple]:
    """Events at the last second, the last microsecond and the first second of each cutoff day."""
    rows = []
    for i, c in enumerate(CUTOFFS):
        who = ids[i % len(ids)]
        day = pd.Timestamp(c)
        rows += [(who, day + pd.Timedelta("23:59:59"), "login", 1.0),
                 (who, day + pd.Timedelta("23:59:59.999999"), "session", 12.5),
                 (who, day + pd.Timedelta(days=1), "session", 7.25),            # 00:00:00 the next day
                 (ids[(i + 1) % len(ids)], day, "purchase", None),               # 00:00:00 of the cutoff day
                 (who, day + pd.Timedelta("12:00:00.123456"), "purchase", 19.99),
                 (who, day + pd.Timedelta("12:00:00.123456"), "purchase", 19.99)]  # an exact duplicate: a tie
    return rows


def world(seed: int = 5, n: int = 60) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Customers, events and tickets of the world (deterministic by ``seed``)."""
    rng = np.random.default_rng(seed)
    ids = [*ODD_IDS, *[f"C{i:04d}" for i in range(n - len(ODD_IDS))]]
    signup = [dt.date(2023, 7, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 240, n)]
    signup[0] = CUTOFFS[0]                                     # signs up on a cutoff day
    churn = [s + dt.timedelta(days=int(d)) if rng.random() < 0.4 else None
             for s, d in zip(signup, rng.integers(20, 330, n))]
    churn = [c if c is None or c <= END else None for c in churn]
    churn[1] = CUTOFFS[1] + dt.timedelta(days=1)               # churns the day after a cutoff (Mar 1)
    churn[2] = CUTOFFS[2]                                      # churns on a cutoff day
    customers = pd.DataFrame({
        "customer_id": ids, "signup_date": signup, "churn_date": churn,
        "plan": [None if i % 7 == 0 else ("basic", "pro", "team")[i % 3] for i in range(n)],
        "monthly_fee": [None if i % 9 == 0 else float((10, 25, 40)[i % 3]) for i in range(n)],
        "contract": [("monthly", "annual")[i % 2] for i in range(n)],
    })
    rows = _boundary_events(ids)
    for i, cid in enumerate(ids):
        if i % 11 == 3:
            rows.append((cid, pd.Timestamp(signup[i]) + pd.Timedelta("08:00:00"), "login", 1.0))  # a single event
            continue
        if i % 13 == 5:
            continue                                             # no events at all
        last = min(churn[i] or END, END)
        span = max((last - signup[i]).days, 1)
        for _ in range(int(rng.integers(5, 60))):
            ts = pd.Timestamp(signup[i]) + pd.Timedelta(seconds=float(rng.uniform(0, span * 86400)))
            kind = TYPES[int(rng.integers(0, len(TYPES)))]
            value = None if rng.random() < 0.05 else round(float(rng.gamma(2.0, 10.0)), 2)
            rows.append((cid, ts.floor("us"), kind, value))
    events = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event_type", "value"])
    events = events[events["timestamp"] < pd.Timestamp(END) + pd.Timedelta(days=1)]
    events = events.sort_values(["customer_id", "timestamp"], kind="stable").reset_index(drop=True)
    tickets = _tickets(rng, ids, signup)
    return customers, events, tickets


def _tickets(rng, ids: list[str], signup: list[dt.date]) -> pd.DataFrame:
    rows = []
    for i in range(0, len(ids), 2):
        opened = pd.Timestamp(signup[i]) + pd.Timedelta(days=int(rng.integers(1, 200)),
                                                        seconds=int(rng.integers(0, 86400)))
        resolved = None if i % 6 == 0 else opened + pd.Timedelta(hours=float(rng.uniform(1, 200)))
        rows.append((ids[i], opened.floor("us"), ("billing", "outage", "complaint")[i % 3], resolved,
                     None if i % 4 == 0 else float(rng.integers(1, 6))))
    c = CUTOFFS[2]
    rows.append((ids[3], pd.Timestamp(c) + pd.Timedelta("23:59:59.5"), "billing",
                 pd.Timestamp(c) + pd.Timedelta(days=1), 2.0))   # opened in the cutoff's last second
    frame = pd.DataFrame(rows, columns=["customer_id", "opened_at", "category", "resolved_at", "satisfaction"])
    return frame[frame["opened_at"] < pd.Timestamp(END)]


def write_raw(folder: Path, seed: int = 5) -> Path:
    """Write the world as raw Parquet files; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in zip(("customers", "events", "tickets"), world(seed)):
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder
