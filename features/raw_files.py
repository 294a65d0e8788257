"""Finding and reading the raw contract files as exports write them, into DuckDB views with contract names.

CSV files are read with a dialect decided here, not sniffed from a sample:

- the encoding by :mod:`features.encodings` (a non-UTF-8 file is read through a
  UTF-8 copy in the stage's temporary folder);
- the delimiter from the header line: the one of comma, semicolon, tab and
  ``|`` that splits it into the most contract columns (a ``|`` or ``;`` inside
  values cannot fool it);
- quoting as Excel and pandas write it: ``"`` quotes, doubled inside a field,
  with commas and newlines inside quoted fields;
- strict rows: a row with more fields than the header is an error naming its
  line, never a silently dropped field; a row with fewer gets empty fields,
  which the contract's rules then judge.

Headers are matched to contract columns ignoring case, spaces and hyphens
(:func:`features.contract.contract_key`); two headers that mean the same column
are an error. Every cell is read as text, so a bad value becomes a counted
error with examples rather than a parser crash or a silently guessed type.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path

import duckdb

from features import encodings
from features.contract import (
    REQUIRED_TABLES,
    SUFFIXES,
    ContractError,
    RawTable,
    column_names,
    contract_key,
    required_columns,
)
from features.sql import ident, literal

log = logging.getLogger(__name__)

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")


def find_table(raw_dir: Path, name: str) -> Path | None:
    """Return the file holding table ``name`` in ``raw_dir``, or None if absent.

    Args:
        raw_dir: the raw folder.
        name: a contract table name.

    Returns:
        The path of ``<name>.parquet`` or ``<name>.csv``.
    """
    found = [raw_dir / f"{name}{s}" for s in SUFFIXES if (raw_dir / f"{name}{s}").exists()]
    if len(found) > 1:
        raise ContractError(
            f"{raw_dir}: both {found[0].name} and {found[1].name} exist for table '{name}'; keep one"
        )
    if found:
        return found[0]
    others = sorted(p.name for p in raw_dir.glob(f"{name}.*"))
    if others:
        raise ContractError(
            f"{raw_dir / others[0]}: table '{name}' must be a .csv or .parquet file, found {', '.join(others)}"
        )
    return None


def _header_line(path: Path) -> str:
    """The header as text (the file is UTF-8 here), up to the first newline outside quotes."""
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        head = fh.read(1 << 16)
    line, quoted = [], False
    for ch in head:
        if ch == '"':
            quoted = not quoted
        elif ch in "\r\n" and not quoted:
            break
        line.append(ch)
    return "".join(line)


def sniff_delimiter(header: str, table: str) -> str:
    """The delimiter that splits the header into the most of the table's contract columns (then into most fields)."""
    wanted = set(required_columns(table))

    def score(d: str) -> tuple[int, int]:
        fields = next(csv.reader(io.StringIO(header), delimiter=d, quotechar='"'), [])
        return len(wanted & {contract_key(f) for f in fields}), len(fields)

    return max(DELIMITERS, key=lambda d: (*score(d), -DELIMITERS.index(d)))


def _csv_headers(path: Path, table: str) -> tuple[str, list[str]]:
    header = _header_line(path)
    delimiter = sniff_delimiter(header, table)
    return delimiter, next(csv.reader(io.StringIO(header), delimiter=delimiter, quotechar='"'), [])


ROW = "_row"   # the data row's 1-based number, in messages and in the order of the validated tables


def _scan_csv(con: duckdb.DuckDBPyConnection, table: RawTable) -> duckdb.DuckDBPyRelation:
    positions = ", ".join(f"{literal(f'c{i}')}: 'VARCHAR'" for i in range(len(table.source_names)))
    rel = con.sql(f"SELECT * FROM read_csv($path, header = true, auto_detect = false, delim = $delim, quote = '\"', "
                  f"escape = '\"', columns = {{{positions}}}, strict_mode = true, null_padding = true)",
                  params={"path": str(table.read_path or table.path), "delim": table.delimiter})
    keep = [f"c{i} AS {ident(name)}" for i, name in enumerate(table.kept_names) if name is not None]
    return _renamed(con, rel, table, keep)


def _scan_parquet(con: duckdb.DuckDBPyConnection, table: RawTable) -> duckdb.DuckDBPyRelation:
    # The file's own row numbers: read in parallel, where row_number() OVER () would serialise the scan.
    rel = con.read_parquet(str(table.path), file_row_number=True)
    keep = [f"{ident(src)} AS {ident(name)}" for src, name in zip(table.source_names, table.kept_names)
            if name is not None]
    return _renamed(con, rel, table, [f"file_row_number + 1 AS {ROW}", *keep])


def _renamed(con: duckdb.DuckDBPyConnection, rel: duckdb.DuckDBPyRelation, table: RawTable,
             keep: list[str]) -> duckdb.DuckDBPyRelation:
    """The file's columns under their pipeline names (a view per table: ``file_<name>``)."""
    rel.create_view(f"file_{table.name}", replace=True)
    return con.sql(f"SELECT {', '.join(keep)} FROM file_{table.name}")


def raw_view(table: RawTable) -> str:
    """The name of the view :func:`open_table` creates over the file (contract column names, text for CSV; a
    Parquet file's view also has its 1-based row number, ``ROW``)."""
    return f"raw_{table.name}"


def _decode(path: Path, declared: str, work_dir: Path) -> tuple[str, Path | None]:
    try:
        encoding = encodings.detect(path, declared)
    except encodings.EncodingError as exc:
        raise ContractError(str(exc)) from None
    if encoding == "utf-8":
        return encoding, None
    log.warning("%s: not valid UTF-8; reading it as %s (%s)", path, encoding, encodings.NAMES.get(encoding, encoding))
    work_dir.mkdir(parents=True, exist_ok=True)
    return encoding, encodings.transcode(path, encoding, work_dir / f"{path.stem}.utf8.csv")


def open_table(con: duckdb.DuckDBPyConnection, raw_dir: Path, name: str, work_dir: Path,
               encoding: str = "auto", exclude: tuple[str, ...] = ()) -> RawTable | None:
    """Locate a table, read its header, and create the view :func:`raw_view` over it.

    Args:
        con: a DuckDB connection.
        raw_dir: the raw folder.
        name: a contract table name.
        work_dir: where a UTF-8 copy of a non-UTF-8 CSV goes.
        encoding: ``data.encoding``: ``auto`` or a codec name.
        exclude: ``data.exclude_columns``: customer columns that never enter the pipeline.

    Returns:
        The table, or None when an optional table is absent.
    """
    path = find_table(raw_dir, name)
    if path is None:
        if name in REQUIRED_TABLES:
            raise ContractError(
                f"{raw_dir}: required table '{name}' not found (expected {name}.csv or {name}.parquet)"
            )
        return None
    if path.stat().st_size == 0:
        raise ContractError(f"{path}: file is empty (0 bytes); table '{name}' needs a header and rows")
    is_csv = path.suffix == ".csv"
    if is_csv:
        file_encoding, read_path = _decode(path, encoding, work_dir)
        delimiter, headers = _csv_headers(read_path or path, name)
    else:
        file_encoding, read_path, delimiter = "utf-8", None, ","
        try:
            headers = list(con.read_parquet(str(path)).columns)
        except duckdb.Error as exc:
            raise ContractError(f"{path}: cannot be read as Parquet: {str(exc).splitlines()[0]}") from None
    kept, ignored, excluded = column_names(path, name, headers, exclude)
    table = RawTable(name, path, tuple(n for n in kept if n is not None), is_csv, tuple(headers), file_encoding,
                     read_path=read_path, delimiter=delimiter, kept_names=tuple(kept), ignored=tuple(ignored),
                     excluded=tuple(excluded))
    try:
        (_scan_csv if is_csv else _scan_parquet)(con, table).create_view(raw_view(table), replace=True)
        con.sql(f"SELECT * FROM {raw_view(table)} LIMIT 0").fetchall()
    except duckdb.InvalidInputException as exc:
        if is_csv and "CSV Error on Line" in str(exc):
            raise csv_error(table, exc) from None
        raise ContractError(f"{path}: cannot be read as {'CSV' if is_csv else 'Parquet'}: "
                            f"{str(exc).splitlines()[0]}") from None
    except duckdb.Error as exc:
        kind = "CSV" if is_csv else "Parquet"
        raise ContractError(f"{path}: cannot be read as {kind}: {str(exc).splitlines()[0]}") from None
    return table


def csv_error(table: RawTable, exc: duckdb.Error) -> ContractError:
    """A DuckDB CSV error met while scanning the rows (a row with too many fields) as a contract error."""
    text = str(exc)
    found = re.search(r"CSV Error on Line: (\d+)", text)
    line = found.group(1) if found else None
    where = f"line {line}" if line else "a row"
    detail = next((part.strip() for part in text.splitlines() if "Expected Number of Columns" in part), "")
    return ContractError(f"{table.path}: {where} does not fit the header ({detail or text.splitlines()[0]}); "
                         f"the header has {len(table.source_names)} fields separated by {table.delimiter!r}: quote "
                         "fields that contain the delimiter")
