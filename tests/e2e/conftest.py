"""One small `dvc repro` world that the end-to-end tests share, and one DVC experiment beside it.

The copy lives in a folder named like ``o'brien repo/``: a quote and a space in
every absolute path the stages pass to DuckDB, DVC and MLflow.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.helpers import copy_repo, dvc, git, set_params

N_CUSTOMERS = 2500


@dataclass(frozen=True)
class Built:
    path: Path          # the world, which later tests change
    status: str         # ``git status --porcelain`` right after the first `dvc repro`
    commit: str         # the commit that first `dvc repro` ran on
    first_run: Path     # ``dvc.lock`` and ``data/`` as that first run left them


@pytest.fixture(scope="session")
def _built(tmp_path_factory) -> Built:
    path = copy_repo(tmp_path_factory.mktemp("e2e") / "o'brien repo")
    set_params(path, generate__n_customers=N_CUSTOMERS)
    git(path, "commit", "-qam", "tiny scale")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True,
                            check=True).stdout.strip()
    dvc(path, "repro")
    status = subprocess.run(["git", "status", "--porcelain"], cwd=path, capture_output=True, text=True,
                            check=True).stdout
    first_run = tmp_path_factory.mktemp("first-run")
    shutil.copytree(path / "data", first_run / "data", symlinks=True)
    shutil.copy2(path / "dvc.lock", first_run / "dvc.lock")
    return Built(path, status, commit, first_run)


@pytest.fixture(scope="session")
def world(_built) -> Path:
    """A copy of the repository after `dvc repro` at a tiny scale (MLflow store, registry and outputs in place)."""
    return _built.path


@pytest.fixture(scope="session")
def status_after_repro(_built) -> str:
    """``git status --porcelain`` of the world right after its first `dvc repro`, before any test changed it."""
    return _built.status


@pytest.fixture(scope="session")
def world_before_repro(_built, tmp_path_factory) -> Path:
    """A fresh clone of the world's commit before its first `dvc repro`: same code, params and data, no outputs."""
    dest = tmp_path_factory.mktemp("world-clone") / "repo"
    git(dest.parent, "clone", "-q", str(_built.path), str(dest))
    git(dest, "checkout", "-q", _built.commit)
    return dest


@pytest.fixture(scope="session")
def first_run(_built) -> Path:
    """What the world's first `dvc repro` wrote (``dvc.lock`` and ``data/``), kept before any test changed it."""
    return _built.first_run


@pytest.fixture(scope="session")
def experiment(world):
    """The world plus one `dvc exp run --temp` (another learning rate): two runs to compare in MLflow."""
    dvc(world, "exp", "run", "--temp", "-n", "faster-lr", "-S", "train.learning_rate=0.1")
    return "faster-lr"
