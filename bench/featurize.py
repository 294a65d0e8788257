"""Benchmark the featurize stage: wall time and peak RSS, plus a plain pandas baseline.

Usage::

    python bench/featurize.py                          # 100,000 customers, ~10M events, 12 cutoffs
    python bench/featurize.py --events 100000000       # 1,000,000 customers: memory scaling
    python bench/featurize.py --pandas-events 0        # skip the pandas comparison

It generates the synthetic world into a temporary folder (``features.synthetic.subscription``),
runs the validate stage's code on it in a child process and then the
featurize stage's ``main`` in another, so that each child's ``ru_maxrss`` is the
peak RSS of that stage alone (DuckDB included). The pandas baseline (``bench/pandas_features.py``)
and the same SQL run on a smaller world of about ``--pandas-events`` events;
the speed ratio is printed and the values of both are compared on a sample.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

EVENTS_PER_CUSTOMER = 100       # the synthetic world's default over two years
END = dt.date(2024, 12, 31)
FIRST_CUTOFF = dt.date(2024, 1, 31)   # month ends 2024-01-31 .. 2024-12-31: 12 cutoffs


def _params(path: Path) -> Path:
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["cutoffs"] = {"first": FIRST_CUTOFF.isoformat(), "last": None, "frequency": "month_end"}
    params["score"] = {"as_of": None}
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


def make_world(root: Path, customers: int, workers: int) -> tuple[dict, dict]:
    """Generate the synthetic tables and validate them (in a child process).

    Returns the summary and validate's figures."""
    from features.synthetic.subscription import SyntheticConfig
    from pipeline.stages.generate import write_world

    cfg = SyntheticConfig(n_customers=customers, workers=workers, end_date=END)
    cutoffs = list(pd.date_range(FIRST_CUTOFF, END, freq="ME").date)
    kept = root / "world.json"
    if kept.exists() and json.loads(kept.read_text())["config"] == repr(cfg):
        summary = json.loads(kept.read_text())["summary"]
    else:
        summary = write_world(root / "raw", root / "ground_truth", cfg, cutoffs, 30)
        kept.write_text(json.dumps({"config": repr(cfg), "summary": summary}, default=str))
    return summary, _run_child("--validate-child", root, None)


def _floor_child(root: Path) -> int:
    """The physical floors on the same world: group the events by (customer, day) with counts and exact sums (what
    featurize must at least do), and copy the events table Parquet to Parquet (what validate must at least do)."""
    from pipeline.core import duck

    events = root / "validated" / "events.parquet"
    con = duck.connect()
    con.execute("SET enable_progress_bar = false")
    duck.view_parquet(con, "events", events)
    t0 = time.perf_counter()
    con.sql("SELECT count(*), sum(n), sum(v) FROM (SELECT customer_id, CAST(timestamp AS DATE) AS day, count(*) AS n, "
            "sum(CAST(value AS DECIMAL(38, 9))) AS v FROM events GROUP BY ALL)").fetchall()
    grouping = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        con.read_parquet(str(events)).write_parquet(str(Path(tmp) / "copy.parquet"))
        copy = time.perf_counter() - t0
    con.close()
    print(json.dumps({"grouping_s": grouping, "copy_s": copy}))
    return 0


def _validate_child(root: Path) -> int:
    from pipeline.stages.validate import validate

    t0 = time.perf_counter()
    validate(root / "raw", root / "validated", root / "rejected", root / "validation_report.json", "strict", None)
    _print_figures(time.perf_counter() - t0, {})
    return 0


def peak_rss_mib() -> float:
    """This process's peak RSS: ``VmHWM`` on Linux, else ``ru_maxrss``.

    ``ru_maxrss`` survives ``exec`` on Linux, so a child started by a parent with
    a large RSS would report the parent's peak; ``VmHWM`` belongs to the child's
    own address space.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _print_figures(wall: float, extra: dict) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": peak_rss_mib(),
                      **extra}))


def _run_child(flag: str, root: Path, memory_limit: str | None) -> dict:
    """Run one stage in a fresh process, so that its ``ru_maxrss`` is that stage's peak RSS (DuckDB included)."""
    env = {**os.environ}
    if memory_limit:
        env["CHURN_DUCKDB_MEMORY_LIMIT"] = memory_limit
    out = subprocess.run([sys.executable, __file__, flag, str(root)], env=env, capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{flag} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def featurize_child(root: Path, memory_limit: str | None) -> dict:
    """Run the featurize stage in a fresh process; return its wall time and peak RSS."""
    return _run_child("--child", root, memory_limit)


def _child(root: Path) -> int:
    from pipeline.stages.featurize import main

    t0 = time.perf_counter()
    meta = main(_params(root / "params.yaml"), root / "validated", root / "features")
    _print_figures(time.perf_counter() - t0, {"rows": sum(meta["rows_per_cutoff"].values()),
                                              "features": len(meta["features"]), "cutoffs": len(meta["cutoffs"])})
    return 0


def feature_config(validated: Path, params_path: Path):
    """The FeatureConfig the featurize stage resolves from params and data (for the pandas baseline)."""
    from pipeline.core import config
    from pipeline.core.duck import connect_validated
    from pipeline.core.io import read_json
    from pipeline.stages.featurize import feature_config as resolve

    params = config.Params.load(params_path)
    manifest = read_json(validated / "manifest.json")
    con = connect_validated(validated)
    try:
        return resolve(con, params.featurize, tuple(manifest["attributes"]), params.label.horizon_days,
                       dt.date.fromisoformat(manifest["as_of"]), params.business_kind)
    finally:
        con.close()


def compare(sql: pd.DataFrame, pdf: pd.DataFrame, sample: int = 500, seed: int = 0) -> tuple[int, int, list[str]]:
    """Compare both feature tables on a sample of customers; return (rows compared, values compared, mismatches)."""
    assert len(sql) == len(pdf), f"row counts differ: SQL {len(sql)}, pandas {len(pdf)}"
    ids = pd.Series(sql["customer_id"].unique()).sample(min(sample, sql["customer_id"].nunique()), random_state=seed)
    key = ["customer_id", "cutoff"]
    a = sql[sql["customer_id"].isin(ids)].sort_values(key).reset_index(drop=True)
    b = pdf[pdf["customer_id"].isin(ids)].sort_values(key).reset_index(drop=True)
    b["cutoff"] = pd.to_datetime(b["cutoff"]).dt.date
    a["cutoff"] = pd.to_datetime(a["cutoff"]).dt.date
    assert (a[key].to_numpy() == b[key].to_numpy()).all(), "different (customer, cutoff) rows"
    missing = [c for c in a.columns if c not in b.columns]
    bad = [f"missing in pandas: {c}" for c in missing]
    n_values = 0
    for col in a.columns:
        if col in key or col in missing:
            continue
        x, y = a[col], b[col]
        if x.dtype == object or pd.api.types.is_string_dtype(x):
            ok = (x.astype("string").fillna("<NA>") == y.astype("string").fillna("<NA>")).to_numpy()
        else:
            ok = np.isclose(x.astype(float).to_numpy(), y.astype(float).to_numpy(),
                            rtol=1e-9, atol=1e-9, equal_nan=True)
        n_values += len(ok)
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            bad.append(f"{col}: {int((~ok).sum())} differ, e.g. {a.loc[i, 'customer_id']} {a.loc[i, 'cutoff']}: "
                       f"SQL {x.iloc[i]!r} vs pandas {y.iloc[i]!r}")
    return len(a), n_values, bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000, help="about this many events (100 per customer)")
    ap.add_argument("--pandas-events", type=int, default=1_000_000, help="events for the pandas comparison (0: skip)")
    ap.add_argument("--workers", type=int, default=2, help="generator worker processes")
    ap.add_argument("--memory-limit", default=None,
                    help="DuckDB memory_limit for featurize (default: pipeline.core.io's)")
    ap.add_argument("--tmp", type=Path, default=None, help="parent folder of the temporary data (needs disk space)")
    ap.add_argument("--world", type=Path, default=None,
                    help="keep the generated world in this folder and reuse it on the next run (validate is rerun)")
    ap.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--validate-child", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--floor-child", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(args.child)
    if args.validate_child:
        return _validate_child(args.validate_child)
    if args.floor_child:
        return _floor_child(args.floor_child)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    from pandas_features import features_pandas

    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="featurize-bench-", dir=args.tmp) as tmp:
        root = args.world or Path(tmp) / "big"
        n_customers = max(1000, args.events // EVENTS_PER_CUSTOMER)
        t0 = time.perf_counter()
        summary, val = make_world(root, n_customers, args.workers)
        validate_s = val["wall_s"]
        print(f"world              {n_customers:,} customers, {summary['n_events']:,} events, "
              f"{summary['n_tickets']:,} tickets (generated + validated in {time.perf_counter() - t0:.0f} s)",
              flush=True)
        print(f"validate           {validate_s:.1f} s, peak RSS {val['peak_rss_mib']:,.0f} MiB", flush=True)
        res = featurize_child(root, args.memory_limit)
        print(f"featurize wall     {res['wall_s']:.1f} s, CPU {res['cpu_s']:.1f} s  ({res['rows']:,} rows x "
              f"{res['features']} features, {res['cutoffs']} cutoffs; load average {os.getloadavg()[0]:.1f})",
              flush=True)
        print(f"featurize peak RSS {res['peak_rss_mib']:,.0f} MiB", flush=True)
        floor = _run_child("--floor-child", root, None)
        print(f"physical floors    group by (customer, day) {floor['grouping_s']:.1f} s -> featurize is "
              f"{res['wall_s'] / floor['grouping_s']:.1f}x; copy events Parquet {floor['copy_s']:.1f} s -> validate is "
              f"{validate_s / floor['copy_s']:.1f}x", flush=True)
        print(f"validate + featurize {validate_s + res['wall_s']:.1f} s, peak RSS "
              f"{max(val['peak_rss_mib'], res['peak_rss_mib']):,.0f} MiB", flush=True)
        figures.update(customers=n_customers, events=summary["n_events"], validate_s=round(validate_s, 1),
                       validate_peak_rss_mib=round(val["peak_rss_mib"]),
                       featurize_s=round(res["wall_s"], 1), featurize_cpu_s=round(res["cpu_s"], 1),
                       featurize_peak_rss_mib=round(res["peak_rss_mib"]),
                       rows=res["rows"], features=res["features"], cutoffs=res["cutoffs"],
                       grouping_floor_s=round(floor["grouping_s"], 2), copy_floor_s=round(floor["copy_s"], 2),
                       featurize_over_floor=round(res["wall_s"] / floor["grouping_s"], 1),
                       validate_over_floor=round(validate_s / floor["copy_s"], 1),
                       load_average=round(os.getloadavg()[0], 1))

        if args.pandas_events:
            small = Path(tmp) / "small"
            n_small = max(100, args.pandas_events // EVENTS_PER_CUSTOMER)
            s_summary, _ = make_world(small, n_small, args.workers)
            sql_res = featurize_child(small, args.memory_limit)
            cfg = feature_config(small / "validated", small / "params.yaml")
            v = small / "validated"
            cust, ev, tk = (pd.read_parquet(v / f"{n}.parquet") for n in ("customers", "events", "tickets"))
            cutoffs = [dt.date.fromisoformat(c) for c in
                       json.loads((small / "features" / "features_meta.json").read_text())["cutoffs"]]
            t0 = time.perf_counter()
            pdf = features_pandas(cust, ev, tk, cutoffs, cfg)
            pandas_s = time.perf_counter() - t0
            sql = pd.read_parquet(small / "features" / "features.parquet")
            n_rows, n_values, bad = compare(sql, pdf)
            ratio = pandas_s / sql_res["wall_s"]
            print(f"pandas vs SQL      {s_summary['n_events']:,} events: pandas {pandas_s:.1f} s, "
                  f"SQL {sql_res['wall_s']:.1f} s -> SQL is {ratio:.1f}x faster", flush=True)
            print(f"same values        {n_values:,} values on {n_rows:,} sampled rows: "
                  f"{'all equal' if not bad else str(len(bad)) + ' columns differ'}", flush=True)
            for line in bad:
                print(f"  MISMATCH {line}")
            figures.update(pandas_events=s_summary["n_events"], pandas_s=round(pandas_s, 1),
                           sql_small_s=round(sql_res["wall_s"], 1), speed_ratio=round(ratio, 1),
                           values_compared=n_values, mismatched_columns=len(bad))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
