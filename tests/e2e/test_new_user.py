"""What a new user hits on a fresh machine: a clean git status, dvc without an activated venv, a copied repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.helpers import env

pytestmark = pytest.mark.e2e


def test_a_run_leaves_git_status_clean_but_for_the_lock_that_records_it(status_after_repro):
    # dvc.lock records the run (hashes of this world's outputs, with its MLflow run id): a user commits it.
    # Everything else DVC writes (the .gitignore files of the outputs) is committed with the repository.
    changed = [line for line in status_after_repro.splitlines() if line.strip()]
    assert changed in ([], [" M dvc.lock"]), status_after_repro


def _bare_path(tmp_path: Path) -> str:
    """A PATH with nothing but a shell and git: no python anywhere."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "git"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    return str(bin_dir)


def _dvc_without_venv(repo: Path, path: str, *args: str) -> subprocess.CompletedProcess:
    """Run the environment's dvc by its path, as `.venv/bin/dvc ...` with nothing activated."""
    run_env = {k: v for k, v in env().items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    run_env["PATH"] = path
    return subprocess.run([str(Path(sys.executable).parent / "dvc"), *args], cwd=repo, env=run_env,
                          capture_output=True, text=True, timeout=600)


def test_stages_run_with_the_repository_venv_when_none_is_activated(world, tmp_path):
    venv = world / ".venv"
    os.symlink(sys.prefix, venv)  # the environment `make run` creates at .venv
    try:
        proc = _dvc_without_venv(world, _bare_path(tmp_path), "repro", "-f", "-s", "report")
    finally:
        venv.unlink()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (world / "data/reports/retention_report.html").stat().st_size > 0


def test_without_any_environment_the_stage_says_what_to_do(world, tmp_path):
    # The stage command itself (what dvc runs), so that the world's outputs stay as they are.
    run_env = {"PATH": _bare_path(tmp_path), "HOME": os.environ.get("HOME", "/root"), "DVC_ROOT": str(world)}
    proc = subprocess.run(["sh", "pipeline/run.sh", "report"], cwd=world, env=run_env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    out = proc.stdout + proc.stderr
    assert "no Python with the pipeline's packages was found" in out and "make run" in out, out
    assert "ModuleNotFoundError" not in out and "Traceback" not in out


def test_a_copied_repository_refuses_to_write_into_the_original(world, tmp_path):
    copy = tmp_path / "copy of repo"
    shutil.copytree(world, copy, symlinks=True)
    before = sorted(p.relative_to(world) for p in (world / "mlartifacts").rglob("*"))
    proc = subprocess.run([str(Path(sys.executable).parent / "dvc"), "repro", "-f", "-s", "train"], cwd=copy,
                          env=env(), capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-2000:]
    assert "was copied or moved from another checkout" in out and str(world / "mlartifacts") in out, out[-2000:]
    assert "Traceback" not in out
    assert sorted(p.relative_to(world) for p in (world / "mlartifacts").rglob("*")) == before
    run = json.loads((world / "data/models/mlflow_run.json").read_text())
    assert (world / "mlartifacts").exists() and run["run_id"]
