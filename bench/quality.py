"""Model quality on a suite of data sets: the model, every baseline and the oracle on the same test rows.

Usage::

    python bench/quality.py                                  # the built-in suite at the default scale
    python bench/quality.py --customers 5000                 # smaller synthetic worlds
    python bench/quality.py --only telco,non_contract
    python bench/quality.py --dir data/external/shop:inactivity:90 --dir exports/saas:churn_date:30:2024-01-31
    python bench/quality.py --set train.refit=true           # the same suite with a params change
    python bench/quality.py --json quality.json

Each data set runs as a user would run it: the repository's tracked files are
copied into a temporary folder, ``params.yaml`` gets the data set's settings
(and ``--set``), and ``dvc repro`` runs there with a fresh MLflow store. The
figures are read back from ``data/metrics/metrics.json``. The suite:

* ``subscription``: the built-in synthetic subscription world (churn dates, 30-day horizon);
* ``non_contract``: the synthetic retailer (``generate.kind: non_contract``; no purchase within 90 days);
* ``non_contract_pure``: the same retailer with ``generate.behaviour: 0``, pure BG/NBD buying, where
  BG/NBD is the truth and the model can only match it;
* ``telco``: IBM's Telco sample, the recipe of docs/your-data.md (IBM Telco) (5-fold CV on one snapshot);
* every ``--dir PATH:MODE:HORIZON[:FIRST_CUTOFF]``: a folder of the data contract's tables (the first
  cutoff defaults to the first month end at least a horizon after the first event).

Rows: ROC-AUC of the model and of each baseline, the oracle's where known, the
model's share of the oracle, top-decile lift, test rows and wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BASELINES = ("health_score", "logistic", "recency", "frequency", "bgnbd", "bgnbd_p_alive")

NON_CONTRACT = {
    "generate.kind": "non_contract",
    "label.mode": "inactivity",
    "label.horizon_days": 90,
    "featurize.passive_event_types": ["email_open", "price_change"],
    "evaluate.segments": ["channel", "region", "loyalty_member"],
}
TELCO = {   # the recipe of docs/your-data.md, IBM Telco (data.source telco)
    "data.source": "telco",
    "data.raw_dir": "data/raw",
    "data.as_of": "2025-01-30",
    "telco.snapshot_date": "2024-12-31",
    "cutoffs.first": "2024-12-31",
    "label.horizon_days": 30,
    "featurize.passive_event_types": ["payment_failed", "plan_change", "price_change", "nps", "signup"],
}


def suite(customers: int | None) -> dict[str, dict]:
    """The built-in data sets and their params."""
    scale = {"generate.n_customers": customers} if customers else {}
    return {
        "subscription": {**scale},
        "non_contract": {**NON_CONTRACT, **scale},
        "non_contract_pure": {**NON_CONTRACT, "generate.behaviour": 0.0, **scale},
        "telco": dict(TELCO),
    }


def folder_params(spec: str) -> tuple[str, dict]:
    """``PATH:MODE:HORIZON[:FIRST_CUTOFF]`` -> (name, params) for a folder of contract tables."""
    parts = spec.split(":")
    if len(parts) not in (3, 4):
        raise SystemExit(f"--dir {spec!r}: expected PATH:MODE:HORIZON[:FIRST_CUTOFF]")
    path, mode, horizon = Path(parts[0]).resolve(), parts[1], int(parts[2])
    if not path.is_dir():
        raise SystemExit(f"--dir {spec!r}: {path} is not a folder")
    first = parts[3] if len(parts) == 4 else first_cutoff(path, horizon).isoformat()
    return path.name, {"data.source": "dir", "data.raw_dir": str(path), "label.mode": mode,
                       "label.horizon_days": horizon, "cutoffs.first": first}


def first_cutoff(folder: Path, horizon: int) -> dt.date:
    """The first month end at least ``horizon`` days after the first event (some history before it)."""
    import duckdb

    files = [p for p in folder.iterdir() if p.stem == "events" and p.suffix in (".csv", ".parquet")]
    if not files:
        raise SystemExit(f"{folder}: no events.csv or events.parquet")
    reader = "read_parquet" if files[0].suffix == ".parquet" else "read_csv_auto"
    first = duckdb.sql(f"SELECT CAST(min(timestamp) AS DATE) FROM {reader}(?)", params=[str(files[0])]).fetchone()[0]
    day = first + dt.timedelta(days=horizon)
    nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def set_params(params: dict, overrides: dict) -> dict:
    """Apply dotted-key overrides (``train.refit``) to a params dict."""
    for key, value in overrides.items():
        node = params
        *head, last = key.split(".")
        for h in head:
            node = node.setdefault(h, {})
        node[last] = value
    return params


def copy_repo(dest: Path) -> None:
    """The tracked and untracked-but-not-ignored files of the repository, without generated data."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.splitlines()
    for rel in listed:
        src = ROOT / rel
        if not src.is_file() or rel.startswith(("data/raw/", "data/ground_truth/")):
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True)
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "copy"],
                   cwd=dest, check=True)


def run_one(name: str, overrides: dict, work: Path, keep: bool) -> dict:
    """``dvc repro`` on a copy with the overrides; the metrics read back, and the wall time."""
    dest = work / name
    copy_repo(dest)
    params_path = dest / "params.yaml"
    params = set_params(yaml.safe_load(params_path.read_text(encoding="utf-8")), overrides)
    params_path.write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "DVC_NO_ANALYTICS": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    start = time.perf_counter()
    proc = subprocess.run(["dvc", "repro", "-q"], cwd=dest, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise SystemExit(f"{name}: dvc repro failed ({dest}):\n{tail}")
    metrics = json.loads((dest / "data/metrics/metrics.json").read_text(encoding="utf-8"))
    if not keep:
        shutil.rmtree(dest, ignore_errors=True)
    return row(name, metrics, seconds)


def row(name: str, m: dict, seconds: float) -> dict:
    """One table row from a run's metrics."""
    out = {"data": name, "test_rows": m.get("n_test"), "test_cutoff": m.get("test_cutoff"),
           "model_roc_auc": m.get("roc_auc"), "top_decile_lift": m.get("top_decile_lift"),
           "oracle_roc_auc": m.get("oracle_roc_auc"), "model_to_oracle": m.get("model_to_oracle_auc_ratio"),
           "best_baseline": m.get("best_baseline"), "best_baseline_roc_auc": m.get("best_baseline_roc_auc"),
           "cv_roc_auc_mean": m.get("cv_roc_auc_mean"), "seconds": round(seconds, 1)}
    for b in BASELINES:
        out[f"{b}_roc_auc"] = m.get(f"baseline_{b}_roc_auc")
    auc, best = out["model_roc_auc"], out["best_baseline_roc_auc"]
    out["beats_every_baseline"] = None if auc is None or best is None else bool(auc > best)
    return out


def _f(v, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table (the quality suite's table in docs/model.md)."""
    cols = ["data", "model", *BASELINES, "oracle", "model/oracle", "lift", "rows", "time s"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = [r["data"], _f(r["model_roc_auc"]), *[_f(r[f"{b}_roc_auc"]) for b in BASELINES],
                 _f(r["oracle_roc_auc"]), _f(r["model_to_oracle"], 3), _f(r["top_decile_lift"], 2),
                 f"{r['test_rows']:,}" if r["test_rows"] else "–", _f(r["seconds"], 0)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=None, help="customers of the synthetic worlds (default: params)")
    ap.add_argument("--only", default=None, help="comma-separated built-in data sets to run (default: all)")
    ap.add_argument("--dir", action="append", default=[], help="PATH:MODE:HORIZON[:FIRST_CUTOFF], repeatable")
    ap.add_argument("--set", action="append", default=[], help="KEY=VALUE params override for every data set "
                                                               "(VALUE is YAML), repeatable")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the run folders (printed) for inspection")
    args = ap.parse_args(argv)

    data_sets = suite(args.customers)
    if args.only:
        wanted = args.only.split(",")
        unknown = set(wanted) - set(data_sets)
        if unknown:
            raise SystemExit(f"--only: unknown data sets {sorted(unknown)}; known: {sorted(data_sets)}")
        data_sets = {k: v for k, v in data_sets.items() if k in wanted}
    elif args.dir:
        data_sets = {}
    for spec in args.dir:
        name, params = folder_params(spec)
        data_sets[name] = params
    common = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)}

    work = Path(tempfile.mkdtemp(prefix="bench-quality-"))
    rows = []
    for name, overrides in data_sets.items():
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows.append(run_one(name, {**overrides, **common}, work, args.keep))
        print(table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    if args.keep:
        print(f"run folders kept in {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(table(rows))
    if common:
        print(f"\nparams changed for every data set: {common}")
    if args.json:
        args.json.write_text(json.dumps({"overrides": common, "rows": rows}, indent=2), encoding="utf-8")
    return rows


if __name__ == "__main__":
    main()
