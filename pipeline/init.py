"""``churn init DIR``: read an export folder, choose the own-data params it calls for, and write them.

The folder goes through the validate stage's own reader and rules (handed in as ``dry_validate`` by the
command line, which runs stages), in lenient mode in a temporary folder: nothing under ``data/`` is written,
the report says how the files read, the as-of date and every rule strict mode would refuse. The choices are
made from the validated tables' summaries by :mod:`features.init`; ``params.yaml`` is then rewritten with
ruamel.yaml, so its comments and the other sections stay as they were.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from features.init import history, kind, passive, reading, segments, summaries
from features.init.choice import Choice
from pipeline.core.config import Params

DryValidate = Callable[[Path, Path, Params], dict]


@dataclass(frozen=True)
class Setup:
    """What ``churn init`` found: the choices to write, and what strict validation would refuse."""

    choices: list[Choice]
    refusals: list[str]
    as_of: str


def raw_dir_value(directory: Path, params_path: Path) -> str:
    """``data.raw_dir`` as the stages read it (from the repository root, the params file's folder): relative
    when the folder is inside it, else absolute."""
    root, target = params_path.resolve().parent, directory.resolve()
    return os.path.relpath(target, root) if target.is_relative_to(root) else str(target)


def derive(directory: Path, params_path: Path, dry_validate: DryValidate) -> Setup:
    """Every choice for the export in ``directory``, with its reason."""
    params = Params.load(params_path)
    with tempfile.TemporaryDirectory(prefix="churn-init-") as tmp:
        report = dry_validate(directory, Path(tmp), params)
        con = duckdb.connect()
        try:
            choices = _choices(con, Path(tmp) / "validated", report, params)
        finally:
            con.close()
    source = [Choice("data.source", "dir", "an export folder"),
              Choice("data.raw_dir", raw_dir_value(directory, params_path), f"the folder given: {directory}")]
    return Setup(source + choices, reading.refusals(report), report["as_of"])


def _choices(con: duckdb.DuckDBPyConnection, validated: Path, report: dict, params: Params) -> list[Choice]:
    customers, events = (f"read_parquet('{validated / f'{t}.parquet'}')".replace("\\", "/")
                         for t in ("customers", "events"))
    as_of = dt.date.fromisoformat(report["as_of"])
    mode = kind.label_mode(*summaries.churn_dates(con, customers))
    passive_choice = passive.passive_types(summaries.event_types(con, events))
    first = summaries.first_event(con, events) or as_of
    history_days = (as_of - first).days
    horizon = kind.horizon(mode.value, summaries.median_gaps(con, events, passive_choice.value), history_days)
    return [reading.encoding(report), reading.as_of(report),
            reading.personal_columns(report, params.data.exclude_columns), mode, horizon,
            history.first_cutoff(first, as_of, horizon.value),
            Choice("cutoffs.last", None, "null: up to the data's as-of date"),
            passive_choice, segments.segments(summaries.text_columns(con, customers))]


def show(choice: Choice) -> str:
    """One printed line: ``key: value  # reason``, the value as YAML reads it (JSON is YAML)."""
    return f"  {choice.key}: {json.dumps(choice.value, ensure_ascii=False)}  # {choice.reason}"


def write(params_path: Path, choices: list[Choice]) -> None:
    """Set each choice's key in ``params_path``, keeping the file's comments, order and other values."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    doc = yaml.load(params_path.read_text(encoding="utf-8"))
    for choice in choices:
        section, key = choice.key.split(".", 1)
        if doc.get(section) is None:
            doc[section] = CommentedMap()
        value = choice.value
        if isinstance(value, list):
            value = CommentedSeq(value)
            value.fa.set_flow_style()
        elif choice.key == "cutoffs.first":
            value = DoubleQuotedScalarString(value)
        doc[section][key] = value
    tmp = params_path.with_name(params_path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        yaml.dump(doc, fh)
    tmp.replace(params_path)
