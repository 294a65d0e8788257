"""A change reruns only what it touches: a comment in the reason or playbook code leaves the early stages be."""

from __future__ import annotations

import json

import pytest

from tests.e2e.helpers import dvc

# The stages that render reasons or recommend actions; generate, validate, featurize, label, train and evaluate
# must never rerun for a change of wording.
RENDERING = {"explain", "score", "report"}


def _stale(world) -> set[str]:
    return set(json.loads(dvc(world, "status", "--json").stdout or "{}"))


@pytest.mark.e2e
@pytest.mark.parametrize("module", ["models/retention/reasons/render.py", "models/retention/playbook.py",
                                    "models/retention/reasons/rules.py", "models/retention/labels.py"])
def test_a_comment_in_the_reason_code_reruns_only_the_stages_that_render(world, module):
    path = world / module
    before, text = _stale(world), path.read_text(encoding="utf-8")
    try:
        path.write_text(text + "\n# a change of wording\n", encoding="utf-8")
        touched = _stale(world) - before
    finally:
        path.write_text(text, encoding="utf-8")
    assert touched, f"dvc status sees no change to {module}: no stage names it"
    assert touched <= RENDERING, f"{module}: dvc status lists {sorted(touched - RENDERING)} too"
