"""``churn init DIR`` on a tiny CSV export: the choices printed, what strict validation would refuse, and
params.yaml rewritten with its comments, the printed values and nothing else changed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.paths import REPO

CUSTOMERS = "customer_id,signup_date,churn_date,plan,email\n" + "".join(
    f"c{i},2023-01-{1 + i % 28:02d},{'2024-03-15' if i % 4 == 0 else ''},{'ab'[i % 2]},u{i}@example.com\n"
    for i in range(60))
EVENTS = "customer_id,timestamp,event_type,value\n" + "".join(
    f"c{i},2024-{1 + d % 6:02d}-{1 + i % 28:02d} 10:00:00,{t},1\n"
    for i in range(60) for d in range(6) for t in ("login", "newsletter_open"))


def _export(tmp_path: Path, events: str = EVENTS) -> tuple[Path, Path]:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (folder / "events.csv").write_text(events, encoding="utf-8")
    params = tmp_path / "params.yaml"
    shutil.copy2(REPO / "params.yaml", params)
    return folder, params


def _init(folder: Path, params: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", "init", str(folder), "--params", str(params), *flags],
                          cwd=REPO, capture_output=True, text=True, timeout=120)


def printed(stdout: str) -> dict[str, object]:
    """The ``key: value  # reason`` lines as {key: value}."""
    out = {}
    for line in stdout.splitlines():
        if line.startswith("  ") and "  # " in line and line.split(":", 1)[0].strip().count(".") == 1:
            key, value = line.split("  # ", 1)[0].strip().split(": ", 1)
            out[key] = yaml.safe_load(value)
    return out


def test_init_prints_each_choice_and_writes_exactly_those_keys_keeping_the_comments(tmp_path):
    folder, params = _export(tmp_path)
    before = params.read_text(encoding="utf-8")
    proc = _init(folder, params)
    assert proc.returncode == 0, proc.stderr
    shown = printed(proc.stdout)
    assert shown["data.source"] == "dir" and shown["data.raw_dir"] == "export"
    assert shown["label.mode"] == "churn_date" and shown["label.horizon_days"] == 30
    assert shown["featurize.passive_event_types"] == ["newsletter_open"]
    assert shown["data.exclude_columns"] == ["email"] and shown["evaluate.segments"] == ["plan"]
    assert "strict validation: every row passes" in proc.stdout
    after = params.read_text(encoding="utf-8")
    written = yaml.safe_load(after)
    old = yaml.safe_load(before)
    for key, value in shown.items():
        section, name = key.split(".")
        assert written[section][name] == value, key
        old[section][name] = value
    assert written == old   # nothing else changed
    comments = [line.split("#", 1)[1] for line in before.splitlines() if "#" in line]
    assert all(c in after for c in comments)


def test_dry_run_prints_without_writing_and_lists_what_strict_mode_refuses(tmp_path):
    bad = EVENTS + "c1,not a date,login,1\nc2,2024-02-02 10:00:00,login,-5\n"
    folder, params = _export(tmp_path, bad)
    before = params.read_bytes()
    proc = _init(folder, params, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert params.read_bytes() == before and "dry run" in proc.stdout
    assert "strict validation would refuse 2 rule(s)" in proc.stdout
    assert "events.csv: timestamp:" in proc.stdout and "1 row(s)" in proc.stdout


def test_a_folder_that_cannot_be_read_is_one_clear_error(tmp_path):
    folder, params = _export(tmp_path)
    (folder / "events.csv").unlink()
    proc = _init(folder, params)
    assert proc.returncode == 1 and "required table 'events' not found" in " ".join(proc.stderr.split())
