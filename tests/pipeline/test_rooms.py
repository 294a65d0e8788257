"""The house: params load without the reason code, and no stage imports another stage."""

from __future__ import annotations

import subprocess
import sys

from tests.paths import REPO
from tests.pipeline.test_dvc_deps import _imported

STAGES = REPO / "pipeline" / "stages"


def test_loading_params_imports_no_reason_playbook_or_report_code():
    code = "import sys, pipeline.core.config; print(sorted(m for m in sys.modules if m.startswith('models')))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", proc.stdout


def test_no_module_under_pipeline_imports_a_stage():
    stages = {p for p in STAGES.glob("*.py") if p.name != "__init__.py"}
    offenders = {str(path.relative_to(REPO)):
                 sorted(str(s.relative_to(REPO)) for s in (_imported(path) & stages) - {path})
                 for path in (REPO / "pipeline").rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}, offenders


def test_the_stage_room_holds_exactly_the_stages_dvc_runs():
    import yaml

    run = set(yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"])
    assert {p.stem for p in STAGES.glob("*.py") if p.name != "__init__.py"} == run
