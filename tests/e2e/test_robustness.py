"""Crash and rerun, and reproducibility: `dvc repro` killed part way, rerun, and compared with a clean run.

The clean run is the shared world's first `dvc repro` (``tests/e2e/conftest.py``),
kept as it left its outputs. The crashed copy is a clone of the same commit, so
the same code, params and data, in a folder of another name. It starts
`dvc repro`, is killed with SIGKILL (the whole process group: DVC and the stage
it runs) as soon as the featurize stage starts writing, and then runs
`dvc repro` again. The tests check that the killed run left no half-written
output under a real name, that the rerun recovers, and that the copy ends
byte-identical to the clean run: this is the crash test and the
reproducibility test at once (stages before the kill ran once in the copy, the
rest twice, all against a clean run in another folder).

``metrics.json`` carries ``mlflow_run_id`` (public interface of issue 2), which
differs between any two runs by design; it is compared as JSON without that key.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.e2e.helpers import dvc, env

pytestmark = pytest.mark.e2e

# Outputs that must be byte-identical between two runs with the same params and data.
COMPARED = (
    "data/interim/validated/customers.parquet",
    "data/interim/validated/events.parquet",
    "data/interim/validated/tickets.parquet",
    "data/features/features.parquet",
    "data/labels/labels.parquet",
    "data/evaluation/test_predictions.parquet",
    "data/scored/at_risk_customers.csv",
)
RUN_ID_KEY = "mlflow_run_id"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def metrics_without_run_id(repo: Path) -> dict:
    metrics = json.loads((repo / "data/metrics/metrics.json").read_text())
    assert RUN_ID_KEY in metrics
    metrics.pop(RUN_ID_KEY)
    return metrics


def start_then_kill(repo: Path, trigger: str, timeout: float = 900) -> tuple[int, list[str]]:
    """Start `dvc repro`, SIGKILL its process group once ``trigger`` (a folder) has an entry besides .gitignore.

    Returns:
        The killed process's return code and the entries of ``trigger`` at the kill.
    """
    exe = str(Path(sys.executable).parent / "dvc")
    proc = subprocess.Popen([exe, "repro"], cwd=repo, env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    folder = repo / trigger
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            seen = sorted(p.name for p in folder.iterdir() if p.name != ".gitignore") if folder.is_dir() else []
            if seen:
                os.killpg(proc.pid, signal.SIGKILL)
                return proc.wait(timeout=60), seen
            time.sleep(0.02)
        raise AssertionError(f"dvc repro ended (rc {proc.poll()}) before {trigger} appeared; nothing was killed")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)


@pytest.fixture(scope="module")
def clean(first_run) -> Path:
    return first_run


@pytest.fixture(scope="module")
def crashed(world_before_repro) -> dict:
    repo = world_before_repro
    rc, seen = start_then_kill(repo, "data/features")
    after_kill = {
        "rc": rc,
        "seen": seen,
        "features_exists": (repo / "data/features/features.parquet").exists(),
        "leftovers": sorted(str(p.relative_to(repo)) for p in (repo / "data").rglob(".*.tmp")),
        "status": dvc(repo, "status", check=False).stdout,
    }
    if after_kill["features_exists"]:
        pd.read_parquet(repo / "data/features/features.parquet")  # a file under its real name is whole
    rerun = dvc(repo, "repro", check=False)
    return {"repo": repo, "after_kill": after_kill, "rerun": rerun}


def test_kill_happened_part_way(crashed):
    after = crashed["after_kill"]
    assert after["rc"] == -signal.SIGKILL, after
    assert (crashed["repo"] / "data/interim/validated/manifest.json").exists() or "validate" in after["status"]
    assert "featurize" in after["status"], f"featurize should be out of date after the kill:\n{after['status']}"
    assert not (crashed["repo"] / "data/metrics/metrics.json").exists() or "train" in after["status"]


def test_killed_stage_leaves_no_half_written_output_under_a_real_name(crashed):
    after = crashed["after_kill"]
    # Anything the killed stage had started lives under a temporary name, never the output's own name.
    for name in after["leftovers"]:
        assert Path(name).name.startswith(".") and name.endswith(".tmp"), name


def test_rerun_recovers_and_is_up_to_date(crashed):
    rerun = crashed["rerun"]
    assert rerun.returncode == 0, f"{rerun.stdout[-3000:]}\n{rerun.stderr[-3000:]}"
    status = dvc(crashed["repo"], "status").stdout
    assert "up to date" in status.lower(), status


def _where_frames_differ(a: Path, b: Path) -> str:
    """Name the columns that differ between two tables and by how much, to point at the cause."""
    read = pd.read_parquet if a.suffix == ".parquet" else (lambda p: pd.read_csv(p, encoding="utf-8-sig"))
    fa, fb = read(a), read(b)
    if fa.shape != fb.shape or list(fa.columns) != list(fb.columns):
        return f"shapes {fa.shape} vs {fb.shape}"
    out = []
    for col in fa.columns:
        x, y = fa[col], fb[col]
        if not x.equals(y):
            if x.dtype.kind == "f":
                out.append(f"{col}: {int((x != y).sum())} rows, max |diff| {float((x - y).abs().max()):.3g}")
            else:
                out.append(f"{col}: {int((x != y).sum())} rows")
    return "; ".join(out) or "same values, different bytes (metadata or encoding)"


@pytest.mark.parametrize("rel", COMPARED)
def test_same_bytes_as_an_uninterrupted_run(clean, crashed, rel):
    assert crashed["rerun"].returncode == 0
    a, b = clean / rel, crashed["repo"] / rel
    if sha256(a) != sha256(b):
        pytest.fail(f"{rel} differs between two runs with the same params: {_where_frames_differ(a, b)}")


def test_same_metrics_except_the_run_id(clean, crashed):
    assert crashed["rerun"].returncode == 0
    assert metrics_without_run_id(crashed["repo"]) == metrics_without_run_id(clean)


def test_dvc_lock_hashes_match_except_run_bound_outputs(clean, crashed):
    """Every DVC output hash agrees, apart from the files that record the MLflow run (by design)."""
    assert crashed["rerun"].returncode == 0

    def outs(repo: Path) -> dict[str, str]:
        lock = yaml.safe_load((repo / "dvc.lock").read_text())
        return {o["path"]: o.get("md5", "") for stage in lock["stages"].values() for o in stage.get("outs", [])}

    a, b = outs(clean), outs(crashed["repo"])
    assert a.keys() == b.keys()
    differ = sorted(p for p in a if a[p] != b[p])
    run_bound = {p for p in differ if _mentions_run_id(clean / p)}
    assert set(differ) - run_bound == set(), \
        f"outputs differ between two runs: {differ} (run-bound: {sorted(run_bound)})"


def _mentions_run_id(path: Path) -> bool:
    """True if the file records an MLflow run id or the run's time (so it differs per run by design)."""
    if path.is_dir() or not path.exists() or path.suffix not in {".json", ".html", ".txt"}:
        return False
    text = path.read_text(encoding="utf-8", errors="replace")
    return "run_id" in text or "mlflow" in text.lower()
