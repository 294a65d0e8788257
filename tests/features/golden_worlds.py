"""Golden feature tables: what the feature query wrote before its speed rewrite, on three small worlds.

``python -m tests.features.golden_worlds`` rewrites the files from the current code;
run it only when a feature is meant to change, and say so in the commit. The
files were first written by the query of commit 0ea7814 (one aggregate per
source, ``count(DISTINCT)`` and a ``LEAD`` window per cutoff), so
``tests/features/test_same_bytes.py`` proves that the rewrite computes the same
values, of the same types, for every feature both have.

The worlds:

* ``subscription``: the synthetic subscription world (300 customers), validated and featurized by the stages'
  own code with the default params, in several customer ranges.
* ``narrow``: the same validated world with three event types of their own (the others are counted only in the
  totals and kinds of activity) and windows up to a year (52 weekly bits).
* ``many_types``: hand-made frames with 70 kinds of activity, sub-second and midnight timestamps, a customer
  with one event, passive-only days and a 450-day window (more weeks than a 64-bit mask holds).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from tests.paths import REPO

HERE = Path(__file__).resolve().parent / "golden"
WORLDS = ("subscription", "narrow", "many_types")
END = dt.date(2024, 6, 30)


def _params(tmp: Path, **featurize) -> Path:
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    params["cutoffs"].update(first="2023-09-30", last=None, frequency="month_end")
    params["featurize"].update(featurize)
    path = tmp / "params.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    return path


def _validated(tmp: Path) -> Path:
    from features.synthetic.subscription import SyntheticConfig
    from pipeline.stages.generate import write_world
    from pipeline.stages.validate import validate

    if not (tmp / "validated").exists():
        cfg = SyntheticConfig(n_customers=300, start_date=dt.date(2023, 1, 1), end_date=END, seed=11, workers=1)
        write_world(tmp / "raw", tmp / "ground_truth", cfg, [dt.date(2024, 3, 31)], 30)
        validate(tmp / "raw", tmp / "validated", tmp / "rejected", tmp / "report.json", "strict", None)
    return tmp / "validated"


def _stage(tmp: Path, name: str, **featurize) -> pd.DataFrame:
    from pipeline.stages import featurize as stage

    out = tmp / name
    out.mkdir(parents=True, exist_ok=True)
    stage.main(_params(out, **featurize), _validated(tmp), out)
    return pd.read_parquet(out / "features.parquet")


def many_types_frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[dt.date]]:
    """Hand-made tables: 70 activity types, awkward timestamps, one-event customers, passive-only days."""
    rng = np.random.default_rng(5)
    n = 40
    ids = [f"c{i:02d}" for i in range(n)] + ["顧客-é", "solo"]
    customers = pd.DataFrame({"customer_id": ids, "signup_date": [dt.date(2022, 1, 1)] * len(ids),
                              "churn_date": [None] * len(ids), "plan": ["basic", "pro"] * (len(ids) // 2)})
    types = [f"act_{k:02d}" for k in range(70)] + ["payment_failed", "nps"]
    rows = []
    start = pd.Timestamp("2022-01-01")
    for cid in ids[:-1]:
        for _ in range(int(rng.integers(1, 200))):
            day = start + pd.Timedelta(days=int(rng.integers(0, 900)))
            second = rng.choice([0, 86_399, int(rng.integers(0, 86_400))])
            stamp = day + pd.Timedelta(seconds=int(second)) + pd.Timedelta(milliseconds=int(rng.integers(0, 1000)))
            rows.append((cid, stamp, str(rng.choice(types)), float(rng.gamma(2, 10))))
    rows.append(("solo", pd.Timestamp("2023-03-31 23:59:59.999"), "act_01", 3.0))
    events = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event_type", "value"])
    tickets = pd.DataFrame({"customer_id": ["c01", "c02"],
                            "opened_at": pd.to_datetime(["2023-01-05 10:00:00", "2023-03-31 23:59:59"]),
                            "category": ["complaint", "billing"],
                            "resolved_at": pd.to_datetime(["2023-01-09 10:00:00", None]),
                            "satisfaction": [2.0, np.nan]})
    cutoffs = list(pd.date_range("2022-06-30", "2024-06-30", freq="ME").date)
    return customers, events, tickets, cutoffs


def _many_types() -> pd.DataFrame:
    from features.spec import FeatureConfig
    from tests.features.frames import features_from_frames

    customers, events, tickets, cutoffs = many_types_frames()
    active = sorted(set(events["event_type"]) - {"payment_failed", "nps"})
    cfg = FeatureConfig(windows=(7, 30, 450), event_types=tuple(active[:66]) + ("payment_failed", "nps"),
                        value_sum_event_types=("act_03", "act_10"), ticket_categories=("billing", "complaint"),
                        attributes=("plan",))
    return features_from_frames(customers, events, tickets, cutoffs, cfg)


def build(name: str, tmp: Path) -> pd.DataFrame:
    """The features of one golden world, built by the current code."""
    if name == "subscription":
        return _stage(tmp, name, chunk_events=4_000)
    if name == "narrow":
        return _stage(tmp, name, max_event_types=3, windows=[7, 30, 90, 365], chunk_events=1_000_000)
    return _many_types()


def path(name: str) -> Path:
    return HERE / f"{name}.parquet"


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for world in WORLDS:
            frame = build(world, Path(tmp))
            frame.to_parquet(path(world), index=False)
            print(world, frame.shape)
