"""dvc.yaml names every code file a stage runs: a change to any of them makes `dvc repro` rerun the stage.

A stage runs ``pipeline/run.sh``, which picks the Python, then ``pipeline/cli.py``, then
``pipeline/<stage>.py`` and every module of the project these import, directly or through
another (``pipeline/core/config.py`` reads the playbook, which renders reasons, ...). A file missing from the
stage's deps is a change DVC does not see: the stage's outputs stay as the old code made them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from tests.paths import REPO

PACKAGES = ("pipeline", "features", "models")


def _module_file(name: str) -> Path | None:
    path = REPO.joinpath(*name.split("."))
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return path / "__init__.py" if (path / "__init__.py").is_file() else None


def _imported(path: Path, function: str | None = None) -> set[Path]:
    """The project's modules ``path`` imports, anywhere in it (a function's own import counts), or only in
    ``function`` when one is named."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if function:
        tree = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] in PACKAGES:   # a package's own __init__ runs too on the way down
                found |= {f for i in range(1, len(parts) + 1) if (f := _module_file(".".join(parts[:i])))}
    return found


def _closure(*start: Path) -> set[Path]:
    seen, todo = set(), list(start)
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo.extend(_imported(path) - seen)
    return seen


def _code(path: Path) -> bool:
    """A module with code in it (an empty ``__init__.py`` or one with only a docstring changes nothing)."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return any(not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)) for n in body)


STAGES = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


# Every stage's command is ``sh pipeline/run.sh <stage>``, which runs ``python -m pipeline.cli <stage>``; what the
# command line's ``_run`` imports of the project (today only the stage's module, by name) runs in every stage.
RUN_SH, CLI = REPO / "pipeline" / "run.sh", REPO / "pipeline" / "cli.py"
ENTRY = {RUN_SH, CLI, *_closure(*_imported(CLI, function="_run"))}


@pytest.mark.parametrize("stage", [s for s in STAGES if (REPO / "pipeline" / "stages" / f"{s}.py").is_file()])
def test_a_stage_names_every_module_it_runs(stage):
    assert STAGES[stage]["cmd"].startswith(f"sh pipeline/run.sh {stage}"), STAGES[stage]["cmd"]
    deps = [REPO / d for d in STAGES[stage].get("deps", [])]
    runs = sorted(m for m in ENTRY | _closure(REPO / "pipeline" / "stages" / f"{stage}.py") if m == RUN_SH or _code(m))
    missing = [str(m.relative_to(REPO)) for m in runs if not any(m == d or d in m.parents for d in deps)]
    assert not missing, f"dvc.yaml: stage {stage} runs {missing} but does not name them in its deps"


def test_the_closure_follows_imports_through_other_modules():
    """The check itself: score reaches the reason templates only through the config and the playbook."""
    closure = {str(p.relative_to(REPO)) for p in _closure(REPO / "pipeline/stages/score.py")}
    assert {"pipeline/core/config.py", "models/retention/playbook.py", "models/retention/i18n.py"} <= closure
    assert "pipeline/stages/train.py" not in closure
