"""Benchmark featurize on Spark (local[2]) against DuckDB on the featurize benchmark's world.

Usage::

    python bench/spark.py                       # 100,000 customers, ~10M events, 12 cutoffs
    python bench/spark.py --events 1000000      # a quicker run
    python bench/spark.py --partitions 16       # more, smaller customer buckets
    python bench/spark.py --world /work/bench10m  # an existing world's validated tables (read only)

The world is ``bench/featurize.py``'s (generated, then validated), or with ``--world DIR`` the validated
tables already in ``DIR/validated`` (only read; the outputs go to a temporary folder). Each engine runs the featurize
stage's ``main`` in a fresh process; the parent samples the resident memory of that process and all
its descendants (Spark's JVM and its Python workers) every 0.2 s and prints the peak of their sum,
and the peak of the largest single Python worker: what one customer bucket needs. Spark's time
includes starting its JVM. The two ``features.parquet`` files are compared byte for byte.
Floor (issue 16): Spark at most 3x DuckDB's wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psutil  # noqa: E402
import yaml  # noqa: E402
from featurize import EVENTS_PER_CUSTOMER, FIRST_CUTOFF, make_world  # noqa: E402

FLOOR = 3.0


def _params(path: Path, engine: str, partitions: int, driver_memory: str) -> Path:
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["cutoffs"] = {"first": FIRST_CUTOFF.isoformat(), "last": None, "frequency": "month_end"}
    params["score"] = {"as_of": None}
    params["engine"] = engine
    params["spark"] = {"master": "local[2]", "partitions": partitions, "conf": {"spark.driver.memory": driver_memory}}
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


def _child(root: Path, engine: str, params: Path, validated: Path) -> int:
    from pipeline.stages.featurize import main

    t0 = time.perf_counter()
    meta = main(params, validated, root / f"features-{engine}")
    print(json.dumps({"wall_s": time.perf_counter() - t0, "rows": sum(meta["rows_per_cutoff"].values()),
                      "features": len(meta["features"])}))
    return 0


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _rss(p: psutil.Process) -> tuple[int, bool]:
    try:
        return p.memory_info().rss, "pyspark" in " ".join(p.cmdline()) and "python" in p.name()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return 0, False


def run_engine(root: Path, engine: str, partitions: int, driver_memory: str, validated: Path) -> dict:
    """Run featurize with one engine in a child process; return its wall time and sampled peak memory."""
    params = _params(root / f"params-{engine}.yaml", engine, partitions, driver_memory)
    t0 = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--child", str(root), engine, str(params), str(validated)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ})
    proc, peak, worker = psutil.Process(child.pid), 0, 0
    while child.poll() is None:
        sizes = [_rss(p) for p in _tree(proc)]
        peak = max(peak, sum(s for s, _ in sizes))
        worker = max([worker, *[s for s, is_worker in sizes if is_worker]])
        time.sleep(0.2)
    out, err = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"featurize on {engine} failed:\n{err[-4000:]}")
    res = json.loads(out.strip().splitlines()[-1])
    return {**res, "process_s": time.perf_counter() - t0, "peak_tree_mib": peak / 2**20,
            "peak_worker_mib": worker / 2**20}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000, help="about this many events (100 per customer)")
    ap.add_argument("--partitions", type=int, default=8, help="spark.partitions: customer buckets")
    ap.add_argument("--driver-memory", default="2g", help="spark.driver.memory (local mode: the whole JVM)")
    ap.add_argument("--workers", type=int, default=2, help="generator worker processes")
    ap.add_argument("--tmp", type=Path, default=None, help="parent folder of the temporary data (needs disk space)")
    ap.add_argument("--world", type=Path, default=None,
                    help="use the validated tables in WORLD/validated (read only) instead of generating a world")
    ap.add_argument("--child", nargs=4, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(Path(args.child[0]), args.child[1], Path(args.child[2]), Path(args.child[3]))
    with tempfile.TemporaryDirectory(prefix="spark-bench-", dir=args.tmp) as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        if args.world:
            validated = args.world / "validated"
            rows = json.loads((validated / "manifest.json").read_text(encoding="utf-8"))["rows"]
            n_customers, summary = rows["customers"], {"n_events": rows["events"]}
            print(f"world              {n_customers:,} customers, {summary['n_events']:,} events "
                  f"(validated tables in {validated})", flush=True)
        else:
            validated = root / "validated"
            n_customers = max(1000, args.events // EVENTS_PER_CUSTOMER)
            summary, _ = make_world(root, n_customers, args.workers)
            print(f"world              {n_customers:,} customers, {summary['n_events']:,} events "
                  f"(generated + validated in {time.perf_counter() - t0:.0f} s)", flush=True)
        duck = run_engine(root, "duckdb", args.partitions, args.driver_memory, validated)
        print(f"duckdb             {duck['wall_s']:.1f} s, peak memory {duck['peak_tree_mib']:,.0f} MiB "
              f"({duck['rows']:,} rows x {duck['features']} features)", flush=True)
        spark = run_engine(root, "spark", args.partitions, args.driver_memory, validated)
        per_bucket = summary["n_events"] / args.partitions
        print(f"spark local[2]     {spark['wall_s']:.1f} s, peak memory {spark['peak_tree_mib']:,.0f} MiB "
              f"(driver, JVM and workers); largest Python worker {spark['peak_worker_mib']:,.0f} MiB for "
              f"{args.partitions} buckets of ~{per_bucket:,.0f} events", flush=True)
        same = (root / "features-duckdb/features.parquet").read_bytes() == \
            (root / "features-spark/features.parquet").read_bytes()
        ratio = spark["wall_s"] / duck["wall_s"]
        print(f"ratio              Spark / DuckDB = {ratio:.2f} (floor {FLOOR:.0f}x: "
              f"{'met' if ratio <= FLOOR else 'NOT met'}); features.parquet {'identical' if same else 'DIFFERENT'}; "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
        print(json.dumps({"customers": n_customers, "events": summary["n_events"], "partitions": args.partitions,
                          "duckdb_s": round(duck["wall_s"], 1), "spark_s": round(spark["wall_s"], 1),
                          "ratio": round(ratio, 2), "duckdb_peak_mib": round(duck["peak_tree_mib"]),
                          "spark_peak_mib": round(spark["peak_tree_mib"]),
                          "spark_worker_peak_mib": round(spark["peak_worker_mib"]),
                          "events_per_bucket": round(per_bucket), "identical": same}))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
