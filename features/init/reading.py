"""What the reader found in the folder, as choices: the encoding, the as-of date and the personal-data columns.

Nothing here reads a file: the validate stage's report (run on the folder in a temporary place) already says
how each CSV was decoded, which date is the as-of date and which columns identify people.
"""

from __future__ import annotations

from features.encodings import NAMES
from features.init.choice import Choice


def encoding(report: dict) -> Choice:
    """``data.encoding``: the one encoding every CSV was read with when it is not UTF-8, else ``auto``."""
    found = {name: t["encoding"] for name, t in report["tables"].items() if t.get("encoding")}
    if not found:
        return Choice("data.encoding", "auto", "no CSV file (Parquet carries its own types)")
    listed = ", ".join(f"{n} {NAMES.get(e, e)}" for n, e in sorted(found.items()))
    kinds = set(found.values())
    if kinds == {"utf-8"}:
        return Choice("data.encoding", "auto", f"every CSV is UTF-8 ({listed})")
    if len(kinds) == 1:
        return Choice("data.encoding", kinds.pop(), f"every CSV reads as the same encoding ({listed})")
    return Choice("data.encoding", "auto", f"the CSV files differ ({listed}): each is detected on its own")


def as_of(report: dict) -> Choice:
    """``data.as_of`` stays null (it follows the data); the reason shows the date the reader takes."""
    return Choice("data.as_of", None, f"the latest date in the data, {report['as_of']}, is the extract date; "
                                      "null keeps following the data (set a date to fix it)")


def personal_columns(report: dict, excluded: tuple[str, ...]) -> Choice:
    """``data.exclude_columns``: the columns already excluded plus the ones the reader found identifying people."""
    found = {c: why for c, why in report["tables"]["customers"].get("excluded_columns", {}).items()
             if why != "data.exclude_columns"}
    columns = list(dict.fromkeys([*excluded, *found]))
    if not columns:
        return Choice("data.exclude_columns", [], "no customer column looks like personal data")
    parts = [f"{c}: {why}" for c, why in found.items()]
    if excluded:
        parts.append(f"{', '.join(excluded)}: already excluded")
    return Choice("data.exclude_columns", columns, "; ".join(parts))


def refusals(report: dict) -> list[str]:
    """What strict validation would refuse, one line per broken rule with its row count."""
    return [f"{f['file']}: {f['column']}: {f['rule']}: {f['rows']:,} row(s)"
            + (f", e.g. {', '.join(map(str, f['examples'][:3]))}" if f.get("examples") else "")
            for f in report["failures"]]
