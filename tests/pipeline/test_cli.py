"""The command line: help answers without importing any stage, and each stage's help is its module's summary."""

from __future__ import annotations

import importlib
import subprocess
import sys

from pipeline import cli

HEAVY = ("mlflow", "lightgbm", "sklearn", "shap", "duckdb", "pandas", "pipeline.stages.train")


def test_help_imports_no_stage_and_no_heavy_library():
    code = ("import sys\nsys.argv = ['churn', '--help']\nfrom pipeline import cli\n"
            "try:\n    cli.app()\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout
    assert "featurize" in proc.stdout and "Stage featurize" in proc.stdout


def test_each_stage_help_is_the_first_line_of_its_module_docstring():
    for stage, help_text in cli.STAGES.items():
        module = importlib.import_module(f"pipeline.stages.{stage}")
        assert module.__doc__.strip().splitlines()[0] == help_text, stage


def test_summary_names_the_last_measured_campaign(tmp_path):
    import json
    import os

    from tests.paths import REPO

    (tmp_path / "dvc.yaml").write_text((REPO / "dvc.yaml").read_text())
    (tmp_path / "params.yaml").write_text((REPO / "params.yaml").read_text())
    (tmp_path / "data/metrics").mkdir(parents=True)
    (tmp_path / "data/metrics/campaign_metrics.json").write_text(json.dumps({"last_campaign": {
        "campaign_id": "2024-11-30", "difference": -0.043, "difference_lower": -0.136, "difference_upper": 0.018,
        "conclusion": "not_detectable"}}))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "summary"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "last measured 2024-11-30: -0.043 churn vs holdout, 95% -0.136 to +0.018, not detectable" in proc.stdout


def test_each_user_error_ends_a_stage_in_one_line_and_nothing_else_does():
    """Every name in USER_ERRORS is a class where it says (a rename would turn its message into a traceback)."""
    errors = []
    for dotted in cli.USER_ERRORS:
        module, name = dotted.rsplit(".", 1)
        cls = getattr(importlib.import_module(module), name)
        assert isinstance(cls, type) and issubclass(cls, Exception), dotted
        errors.append(cls("bad input"))
    assert all(cli._is_user_error(e) for e in errors)
    assert not any(cli._is_user_error(e) for e in (ValueError("x"), KeyError("x"), RuntimeError("x")))


def test_a_stage_stopped_by_bad_params_says_so_in_one_line_with_exit_code_1(tmp_path):
    (tmp_path / "params.yaml").write_text("label:\n  horizon_days: -3\n")
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "label", "--params", str(tmp_path / "params.yaml")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "label failed:" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
