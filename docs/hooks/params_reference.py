"""MkDocs hook: the params reference page, rendered from params.yaml and the params schema at build time.

Why a hook: the reference must not drift from the code. Every key the schema (``pipeline.core.config``)
accepts is listed with the value params.yaml ships, the default the schema uses when the key is left out,
and the comment params.yaml gives it. A key in params.yaml that the schema does not know stops
``mkdocs build`` (and so ``make test``), instead of publishing a page that is wrong.

The page ``reference.md`` holds the marker ``<!-- params-reference -->``; this hook replaces it.
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- params-reference -->"
PAGE = "reference.md"

_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][A-Za-z0-9_]*):(?P<rest>.*)$")
_COMMENT = re.compile(r"(?:^|\s)#\s?(?P<text>.*)$")


@dataclass
class Entry:
    """One key of params.yaml: its dotted path, the value text as written, and its comment."""

    path: str
    value: str
    comment: list[str] = field(default_factory=list)
    indent: int = 0
    is_mapping: bool = False


def parse_params_yaml(text: str) -> tuple[list[str], list[Entry]]:
    """The file's leading comment lines and its keys in order, each with its comment (continuation lines joined).

    A comment line indented past the previous key's indentation continues that key's comment, as params.yaml
    writes them (``#   ...`` under the first line); any other comment line introduces the next key.
    """
    intro: list[str] = []
    entries: list[Entry] = []
    stack: list[tuple[int, str]] = []
    pending: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            column = line.index("#")
            body = stripped[1:].strip()
            if not entries:
                intro.append(body)
            elif column > entries[-1].indent:
                entries[-1].comment.append(body)
            else:
                pending.append(body)
            continue
        match = _KEY.match(line)
        if match is None:
            raise ValueError(f"params.yaml: cannot read the line {line!r} as 'key: value  # comment'")
        indent, key, rest = len(match["indent"]), match["key"], match["rest"]
        comment = _COMMENT.search(rest)
        value = (rest[: comment.start()] if comment else rest).strip()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([*(k for _, k in stack), key])
        entry = Entry(path, value, [*pending, *([comment["text"].strip()] if comment else [])], indent)
        pending = []
        entries.append(entry)
        if value == "":
            entry.is_mapping = True
            stack.append((indent, key))
    return intro, entries


def _schema_defaults() -> dict[str, Any]:
    """Every key the schema accepts, dotted, with its default (``REQUIRED`` when it has none)."""
    if str(ROOT) not in sys.path:   # the checkout being documented, not an installed copy elsewhere
        sys.path.insert(0, str(ROOT))
    from pydantic import BaseModel
    from pydantic_core import PydanticUndefined, to_jsonable_python

    from pipeline.core.config import SECTIONS, Params

    out: dict[str, Any] = {"engine": Params({}).engine}

    def walk(prefix: str, model: type[BaseModel]) -> None:
        for name, info in model.model_fields.items():
            path = f"{prefix}.{name}"
            sub = info.annotation
            if isinstance(sub, type) and issubclass(sub, BaseModel):
                out[path] = SECTION
                walk(path, sub)
            elif info.default is PydanticUndefined and info.default_factory is None:
                out[path] = REQUIRED
            else:
                default = info.default if info.default_factory is None else info.default_factory()
                out[path] = to_jsonable_python(default)

    for name, model in SECTIONS.items():
        out[name] = SECTION
        walk(name, model)
    return out


REQUIRED = object()
SECTION = object()


def _shown(value: Any) -> str:
    if value is REQUIRED:
        return "required"
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    return text.removesuffix("\n...").removesuffix(" ...").strip()


def _cell(text: str) -> str:
    """Comment text that Markdown shows as written: no tags, no table breaks, no emphasis."""
    text = html.escape(text, quote=False)
    return text.replace("|", "&#124;").replace("*", "&#42;").replace("_", "&#95;")


def _code(text: str) -> str:
    return "`" + text.replace("|", "&#124;") + "`" if text else ""


def render(params_text: str | None = None) -> str:
    """The reference as Markdown: one table per section of params.yaml, every schema key in it."""
    params_text = (ROOT / "params.yaml").read_text(encoding="utf-8") if params_text is None else params_text
    intro, entries = parse_params_yaml(params_text)
    schema = _schema_defaults()
    by_path = {e.path: e for e in entries}
    unknown = [e.path for e in entries if e.path not in schema and not _under_free_mapping(e.path, schema)]
    if unknown:
        raise ValueError(f"params.yaml has keys the params schema does not know: {', '.join(unknown)}")
    lines = [" ".join(intro), ""] if intro else []
    for top in sorted((p for p in schema if "." not in p), key=_order(entries)):
        entry = by_path.get(top)
        lines += [f"## `{top}`", ""]
        if schema[top] is not SECTION:
            lines += [_row_table([(top, entry, schema[top])]), ""]
            continue
        if entry is not None and entry.comment:
            lines += [_cell(" ".join(entry.comment)), ""]
        keys = sorted((p for p in schema if p.startswith(top + ".")), key=_order(entries))
        rows = [(p, by_path.get(p), None if schema[p] is SECTION else schema[p]) for p in keys]
        lines += [_row_table(rows), ""]
    return "\n".join(lines).rstrip() + "\n"


def _under_free_mapping(path: str, schema: dict[str, Any]) -> bool:
    """A key inside a mapping-valued param (``spark.conf``, ``playbook.actions``) is data, not a param."""
    parts = path.split(".")
    return any(".".join(parts[:i]) in schema and schema[".".join(parts[:i])] is not SECTION
               for i in range(1, len(parts)))


def _order(entries: list[Entry]) -> Any:
    """params.yaml's order first, then the keys it leaves out, in the schema's order."""
    position = {e.path: i for i, e in enumerate(entries)}
    return lambda p: position.get(p, len(position))


def _row_table(rows: list[tuple[str, Entry | None, Any]]) -> str:
    out = ["| key | in params.yaml | if left out | what it does |", "| --- | --- | --- | --- |"]
    for path, entry, default in rows:
        written = _code(entry.value) if entry is not None and entry.value else ("" if entry else "not set")
        left_out = "" if default is None and entry is not None and entry.is_mapping else _code(_shown(default))
        comment = _cell(" ".join(entry.comment)) if entry is not None else "see the section's comment above"
        out.append(f"| `{path}` | {written} | {left_out} | {comment} |")
    return "\n".join(out)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs event: put the generated reference where ``reference.md`` has the marker."""
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise ValueError(f"docs/{PAGE} lost its marker {MARKER}: the params reference has nowhere to go")
    return markdown.replace(MARKER, render())
