"""Benchmark: how fast ``top_reasons`` turns contributions into three plain-language reasons per customer.

A synthetic frame of ``--customers`` rows and 80 features (event counts, changes, tenure, recency, tickets, a
categorical plan and 35 custom metrics that only the generic rule reads) with random contributions, rendered in
each language. Prints customers per second per language and a JSON line of the figures.

Run: ``python -m bench.reasons [--customers 100000]``
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from models.retention.reasons.select import top_reasons


def frame_and_contributions(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """``n`` customers' feature values and contributions over 80 features of every kind the rules read."""
    rng = np.random.default_rng(seed)
    names = [f"events_e{i}_count_30d" for i in range(20)] + [f"events_e{i}_diff_30d_vs_prev_30d" for i in range(20)]
    names += ["tenure_days", "days_since_last_event", "tickets_count_90d", "tickets_open_count", "plan"]
    names += [f"custom_metric_{i}_7d" for i in range(35)]
    frame = pd.DataFrame({c: rng.poisson(5, n).astype(float) for c in names if c != "plan"})
    frame["plan"] = pd.Categorical(rng.choice(["basic", "pro"], n))
    return frame[names], rng.normal(size=(n, len(names))), names


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=100_000)
    args = ap.parse_args(argv)
    frame, contrib, names = frame_and_contributions(args.customers)
    figures = {"customers": args.customers, "features": len(names)}
    for language in ("en", "ja"):
        start = time.perf_counter()
        out = top_reasons(frame, contrib, names, language)
        elapsed = time.perf_counter() - start
        assert len(out) == args.customers and (out["reason_1"] != "").all()
        print(f"top_reasons {language}: {args.customers:,} customers x {len(names)} features in {elapsed:.1f} s "
              f"({args.customers / elapsed:,.0f} customers/s)", flush=True)
        figures[f"{language}_s"] = round(elapsed, 2)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
