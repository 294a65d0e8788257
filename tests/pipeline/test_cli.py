"""The command line: help answers without importing any stage, and each stage's help is its module's summary."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest
import typer

from features.contract import ContractError
from features.telco import TelcoError
from models.training.split import SplitError
from pipeline import cli
from pipeline.core.errors import ChurnError, DataError, ParamsError

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


def _stage_raising(monkeypatch, error: BaseException) -> str:
    """A stand-in stage module whose main raises ``error``, importable by name as ``_run`` imports a stage."""
    module = types.ModuleType("stage_that_fails")

    def main(**kwargs):
        raise error

    module.main = main
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module.__name__


@pytest.mark.parametrize("error", [ContractError, TelcoError, SplitError, ParamsError, DataError, ChurnError])
def test_each_user_error_ends_a_stage_in_one_line(error, monkeypatch):
    """The data contract's, the split's and the params' errors share one base, which the command line catches."""
    with pytest.raises(typer.Exit) as stopped:
        cli._run("label", _stage_raising(monkeypatch, error("bad input")))
    assert stopped.value.exit_code == 1


@pytest.mark.parametrize("error", [ValueError("x"), KeyError("x"), RuntimeError("x")])
def test_any_other_error_is_a_traceback(error, monkeypatch):
    with pytest.raises(type(error)):
        cli._run("label", _stage_raising(monkeypatch, error))


def test_a_stage_stopped_by_bad_params_says_so_in_one_line_with_exit_code_1(tmp_path):
    (tmp_path / "params.yaml").write_text("label:\n  horizon_days: -3\n")
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "label", "--params", str(tmp_path / "params.yaml")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "label failed:" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
