"""Benchmark: how long the uplift model takes to fit on 200,000 assigned customers and to score 1,000,000.

Issue 26's floor: each at most 2 minutes on 2 cores. The data are synthetic arrays shaped like the feature
table (40 numeric features, 2 categorical, a 10% holdout), not a world: this measures time only. Fitting is
what the uplift stage does: both learners cross-fitted, the selection's bootstrap (``choose``), and the chosen
learner on every row; scoring is ``UpliftModel.predict`` of each learner on 1M rows.

Run: ``python -m bench.uplift_speed [--fit-rows 200000] [--score-rows 1000000] [--threads 2]``
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np
import pandas as pd

from models.uplift.learners import UpliftConfig, fit_learners
from models.uplift.select import choose


def frame(n: int, seed: int, n_numeric: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, n_numeric)), columns=[f"x{i}" for i in range(n_numeric)])
    X["plan"] = pd.Categorical(rng.choice(["monthly", "annual", "biennial"], n))
    X["region"] = pd.Categorical(rng.choice([f"r{i}" for i in range(12)], n))
    return X


def rows(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    X = frame(n, seed)
    rng = np.random.default_rng(seed + 1)
    p0 = 1 / (1 + np.exp(-(-1.0 + X["x0"].to_numpy())))
    tau = 0.1 * np.tanh(X["x1"].to_numpy())
    t = (rng.random(n) >= 0.1).astype(int)
    y = (rng.random(n) < np.clip(np.where(t == 1, p0 - tau, p0), 0, 1)).astype(int)
    meta = pd.DataFrame({"campaign_id": "2024-01-01", "campaign_date": pd.Timestamp("2024-01-01"), "treated": t,
                         "churned": y, "propensity": 0.9, "churn_probability": p0})
    return meta, X


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fit-rows", type=int, default=200_000)
    ap.add_argument("--score-rows", type=int, default=1_000_000)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    config = UpliftConfig(num_threads=args.threads)
    meta, X = rows(args.fit_rows, 0)
    with timed(f"choose (T + DR cross-fitted, 200-replicate bootstrap) on {args.fit_rows:,} rows"):
        sel, _ = choose(meta, X, config)
    print(f"  use_uplift={sel.use_uplift}, learner={sel.learner}", flush=True)
    fitted = fit_learners(X, meta["treated"].to_numpy(), meta["churned"].to_numpy(), meta["propensity"].to_numpy(),
                          config)
    big = frame(args.score_rows, 1)
    for name, f in fitted.items():
        with timed(f"score {args.score_rows:,} rows with the {name} learner"):
            f.model.predict(big)


@contextlib.contextmanager
def timed(what: str):
    """Wall and CPU seconds (CPU / threads is the wall time on idle cores: the machine here is shared)."""
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    print(f"{what}: {time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU", flush=True)


if __name__ == "__main__":
    main()
