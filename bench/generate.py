"""Benchmark the synthetic generator: wall time, rows written and peak RSS.

Usage::

    python bench/generate.py --customers 1000000 [--workers 2] [--keep DIR]

Generates into a temporary directory (removed afterwards unless ``--keep``) and
prints one line per figure. Peak RSS is ``ru_maxrss`` of this process and of its
worker processes (the largest of either, not their sum).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from features.synthetic.subscription import SyntheticConfig
from pipeline.stages.generate import write_world  # noqa: E402


def _month_ends(first: date, last: date) -> list[date]:
    out, d = [], first
    while d <= last:
        out.append(d)
        nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        d = date(nxt.year + (nxt.month == 12), nxt.month % 12 + 1, 1) - timedelta(days=1)
    return out


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*.parquet"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workers", type=int, default=2, help="chunk worker processes (0 = one per CPU, max 4)")
    ap.add_argument("--chunk", type=int, default=50_000, help="customers per chunk")
    ap.add_argument("--horizon", type=int, default=30)
    ap.add_argument("--keep", type=Path, default=None, help="write here and keep the files")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(message)s")

    cfg = SyntheticConfig(n_customers=args.customers, seed=args.seed, chunk_customers=args.chunk, workers=args.workers)
    cutoffs = _month_ends(date(2023, 6, 30), cfg.end_date)
    with tempfile.TemporaryDirectory(prefix="synthetic-bench-") as tmp:
        root = args.keep or Path(tmp)
        t0 = time.perf_counter()
        summary = write_world(root / "raw", root / "ground_truth", cfg, cutoffs, args.horizon)
        wall = time.perf_counter() - t0
        size = _dir_bytes(root)
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"customers          {summary['n_customers']:,}")
    print(f"workers            {args.workers}")
    print(f"wall time          {wall:.1f} s")
    print(f"events written     {summary['n_events']:,} ({summary['n_events'] / wall / 1e6:.2f} M/s)")
    print(f"tickets written    {summary['n_tickets']:,}")
    print(f"oracle rows        {summary['n_oracle_rows']:,}")
    print(f"churn rate/month   {summary['churn_rate_monthly']:.4f}")
    print(f"parquet bytes      {size / 2**20:,.0f} MiB")
    print(f"peak RSS main      {self_rss:,.0f} MiB")
    print(f"peak RSS worker    {child_rss:,.0f} MiB")
    print(json.dumps({k: v for k, v in summary.items() if k != "files"}, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
