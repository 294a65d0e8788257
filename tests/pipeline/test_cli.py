"""The command line: help answers without importing any stage, and each stage's help is its module's summary."""

from __future__ import annotations

import importlib
import subprocess
import sys

from pipeline import cli

HEAVY = ("mlflow", "lightgbm", "sklearn", "shap", "duckdb", "pandas", "pipeline.train")


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
        module = importlib.import_module(f"pipeline.{stage}")
        assert module.__doc__.strip().splitlines()[0] == help_text, stage
