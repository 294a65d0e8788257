"""Copy the repository to a temp folder and run DVC there, as a user would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.paths import REPO


def copy_repo(dest: Path) -> Path:
    """Copy the files git would ship (tracked plus new, not ignored) and commit them in a fresh git repo."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    for rel in listed:
        src = REPO / rel
        if src.is_file() and not rel.startswith(("data/", "test-artifacts/")):
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    (dest / "data").mkdir(exist_ok=True)
    for rel in listed:
        generated = rel.startswith(("data/raw/", "data/ground_truth/"))
        if rel.startswith("data/") and (REPO / rel).is_file() and not generated:
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, target)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", "copy for test")
    return dest


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}
    subprocess.run(["git", *args], cwd=cwd, check=True, env=env, capture_output=True)


def set_params(repo: Path, **updates: object) -> None:
    """Change params.yaml keys given as section__key=value."""
    path = repo / "params.yaml"
    params = yaml.safe_load(path.read_text())
    for dotted, value in updates.items():
        section, key = dotted.split("__", 1)
        params.setdefault(section, {})[key] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def env() -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    out = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    out.pop("MLFLOW_TRACKING_URI", None)
    out["DVC_NO_ANALYTICS"] = "1"
    return out


def dvc(repo: Path, *args: str, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
    exe = str(Path(sys.executable).parent / "dvc")
    proc = subprocess.run([exe, *args], cwd=repo, env=env(), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"dvc {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def _start_workers(repo: Path, jobs: int) -> None:
    """``dvc queue start``, its output in a file: the workers it forks inherit it and would hold a pipe open."""
    exe = str(Path(sys.executable).parent / "dvc")
    log = repo / ".dvc" / "tmp" / "queue-start.log"
    with open(log, "a") as out:
        proc = subprocess.run([exe, "queue", "start", "-j", str(jobs)], cwd=repo, env=env(), stdin=subprocess.DEVNULL,
                              stdout=out, stderr=subprocess.STDOUT, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"dvc queue start failed ({proc.returncode}):\n{log.read_text()[-4000:]}")


def run_queue(repo: Path, jobs: int, timeout: int = 900) -> str:
    """``dvc queue start -j jobs``, then wait until nothing is queued or running; return the last status.

    Waiting on ``dvc queue start`` itself would wait for every worker to leave,
    which an idle worker may not do for a long time, so the queue's status is
    polled instead, and the workers are stopped once nothing is left. A worker
    that has left with tasks still queued (treeverse/dvc#10562) is started
    again, as a user would. On a timeout the workers are stopped, so that they
    do not slow down the rest of the suite, and the error shows the queue, each
    running task's log and the workers' own logs.
    """
    last_start = time.monotonic()
    _start_workers(repo, jobs)
    deadline = last_start + timeout
    while time.monotonic() < deadline:
        status = dvc(repo, "queue", "status").stdout
        if "Queued" not in status and "Running" not in status:
            dvc(repo, "queue", "stop", check=False)   # a worker that stays idle is not left behind
            return status
        no_worker = "Running" not in status and "Worker status: 0 active, 0 idle" in status
        if no_worker and time.monotonic() - last_start > 60:   # a new worker takes a few seconds to show
            last_start = time.monotonic()
            _start_workers(repo, jobs)
        time.sleep(5)
    dvc(repo, "queue", "remove", "--queued", check=False)
    dvc(repo, "queue", "stop", "--kill", check=False)
    tasks = "".join(dvc(repo, "queue", "logs", name, check=False).stdout[-3000:]
                    for name in re.findall(r"^([0-9a-f]{7})\s.*Running", status, flags=re.M))
    workers = "".join(f"--- {log}\n{log.read_text(errors='replace')[-3000:]}\n"
                      for log in sorted((repo / ".dvc" / "tmp" / "exps").rglob("*.out")))
    raise AssertionError(f"queued experiments did not finish within {timeout} s:\n{status}\n{tasks}\n{workers}")


def stage_outputs(repo: Path) -> list[str]:
    """Every path listed under ``outs`` or ``metrics`` of a stage in the copy's dvc.yaml."""
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    paths = []
    for stage in stages.values():
        for key in ("outs", "metrics", "plots"):
            for entry in stage.get(key, []) or []:
                paths.append(next(iter(entry)) if isinstance(entry, dict) else str(entry))
    return paths


def drop_outputs(repo: Path) -> list[str]:
    """Remove stage outputs that reached the copy as plain files (e.g. left untracked in the working tree).

    DVC refuses to write an output that git tracks, so a copy made while such a
    file lies in the working tree could not run. Returns the paths removed.
    """
    removed = []
    for rel in stage_outputs(repo):
        path = repo / rel
        if path.is_file():
            path.unlink()
            removed.append(rel)
        elif path.is_dir():
            shutil.rmtree(path)
            removed.append(rel)
    if removed:
        git(repo, "rm", "-r", "-q", "--cached", "--ignore-unmatch", *removed)
        git(repo, "commit", "-qm", "drop stage outputs copied as plain files")
    return removed
