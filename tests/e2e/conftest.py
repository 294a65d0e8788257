"""One small `dvc repro` world that the end-to-end tests share, and one DVC experiment beside it.

The copy lives in a folder named like ``o'brien repo/``: a quote and a space in
every absolute path the stages pass to DuckDB, DVC and MLflow.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.helpers import copy_repo, dvc, git, set_params

N_CUSTOMERS = 2500


@pytest.fixture(scope="session")
def _built(tmp_path_factory) -> tuple[Path, str]:
    path = copy_repo(tmp_path_factory.mktemp("e2e") / "o'brien repo")
    set_params(path, generate__n_customers=N_CUSTOMERS)
    git(path, "commit", "-qam", "tiny scale")
    dvc(path, "repro")
    status = subprocess.run(["git", "status", "--porcelain"], cwd=path, capture_output=True, text=True,
                            check=True).stdout
    return path, status


@pytest.fixture(scope="session")
def world(_built) -> Path:
    """A copy of the repository after `dvc repro` at a tiny scale (MLflow store, registry and outputs in place)."""
    return _built[0]


@pytest.fixture(scope="session")
def status_after_repro(_built) -> str:
    """``git status --porcelain`` of the world right after its first `dvc repro`, before any test changed it."""
    return _built[1]


@pytest.fixture(scope="session")
def experiment(world):
    """The world plus one `dvc exp run --temp` (another learning rate): two runs to compare in MLflow."""
    dvc(world, "exp", "run", "--temp", "-n", "faster-lr", "-S", "train.learning_rate=0.1")
    return "faster-lr"
