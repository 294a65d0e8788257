"""The params reference page is rendered from params.yaml and the params schema, so it cannot drift from either."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from pydantic import BaseModel

from pipeline.core.config import SECTIONS

REPO = Path(__file__).resolve().parents[2]
HOOK = REPO / "docs" / "hooks" / "params_reference.py"


@pytest.fixture(scope="module")
def hook():
    spec = importlib.util.spec_from_file_location("params_reference_hook", HOOK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # as mkdocs loads a hook: dataclasses look their module up here
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def _schema_keys(prefix: str, model: type[BaseModel]) -> list[str]:
    keys = []
    for name, info in model.model_fields.items():
        keys.append(f"{prefix}.{name}")
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            keys += _schema_keys(f"{prefix}.{name}", info.annotation)
    return keys


def _row(page: str, key: str) -> str:
    rows = [line for line in page.splitlines() if line.startswith(f"| `{key}` |")]
    assert len(rows) == 1, f"{key}: {len(rows)} rows in the reference"
    return rows[0]


def test_every_schema_key_and_every_params_yaml_key_has_one_row(hook):
    page = hook.render()
    for name, model in SECTIONS.items():
        for key in _schema_keys(name, model):
            _row(page, key)
    _row(page, "engine")

    def leaves(prefix: str, value: object) -> list[str]:
        if isinstance(value, dict) and value and prefix not in {"spark.conf", "business.display_names", "playbook"}:
            return [k for sub, v in value.items() for k in leaves(f"{prefix}.{sub}" if prefix else sub, v)]
        return [prefix]

    shipped = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    for key in leaves("", shipped):
        if key != "playbook":
            _row(page, key)


def test_rows_carry_the_value_the_schema_default_and_the_whole_comment(hook):
    text = ("data:\n"
            "  source: dir        # synthetic | dir | telco\n"
            "  raw_dir: exports   # the folder with customers / events / tickets,\n"
            "                     #   as .csv or .parquet\n")
    page = hook.render(text)
    assert _row(page, "data.source") == "| `data.source` | `dir` | `synthetic` | synthetic &#124; dir &#124; telco |"
    assert _row(page, "data.raw_dir").endswith(   # a comment continued on the next line is joined to its key's
        "| the folder with customers / events / tickets, as .csv or .parquet |")


def test_a_key_without_a_schema_default_reads_required(hook):
    page = hook.render()
    required = [f"{name}.{field}" for name, model in SECTIONS.items()
                for field, info in model.model_fields.items() if info.is_required()]
    for key in required:
        assert "| `required` |" in _row(page, key)
    assert "`required`" not in _row(page, "train.seed")


def test_a_changed_value_shows_beside_the_schema_default_and_missing_keys_say_not_set(hook):
    page = hook.render("train:\n  seed: 7              # the seed\n")
    seed = _row(page, "train.seed")
    assert seed == "| `train.seed` | `7` | `42` | the seed |"
    assert "| not set | `auto` |" in _row(page, "train.learning_rate")


def test_a_key_the_schema_does_not_know_stops_the_build_naming_it(hook):
    with pytest.raises(ValueError, match="train.seeed"):
        hook.render("train:\n  seeed: 7\n")


def test_comment_text_cannot_break_the_table_or_become_html(hook):
    row = _row(hook.render("report:\n  currency: USD   # a | b <b>*x*</b>\n"), "report.currency")
    assert row.endswith("| a &#124; b &lt;b&gt;&#42;x&#42;&lt;/b&gt; |")


def test_the_site_uses_the_hook_and_the_page_keeps_its_marker(hook):
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    assert "docs/hooks/params_reference.py" in config["hooks"]
    assert {"Reference": "reference.md"} in config["nav"]
    page = SimpleNamespace(file=SimpleNamespace(src_uri="reference.md"))
    text = (REPO / "docs" / "reference.md").read_text(encoding="utf-8")
    assert hook.MARKER not in hook.on_page_markdown(text, page, None, None)
    with pytest.raises(ValueError, match="marker"):
        hook.on_page_markdown("# Params reference\n", page, None, None)
    other = SimpleNamespace(file=SimpleNamespace(src_uri="index.md"))
    assert hook.on_page_markdown(hook.MARKER, other, None, None) == hook.MARKER
