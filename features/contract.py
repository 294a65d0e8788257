"""The raw data contract: finding, reading and checking the raw tables in DuckDB.

Contract v1 (public interface: extend it, never rename it):

customers (required)
    ``customer_id`` (string, unique), ``signup_date`` (date), ``churn_date``
    (date, empty = still a customer; may be absent); every other column is a
    static attribute (numbers become numeric features, text and booleans
    categorical ones).
events (required)
    ``customer_id``, ``timestamp`` (datetime), ``event_type`` (string),
    ``value`` (float, optional, default 1.0).
tickets (optional)
    ``customer_id``, ``opened_at`` (datetime), ``category`` (string),
    ``resolved_at`` (datetime, optional), ``satisfaction`` (1-5, optional).

Files are ``<table>.csv`` or ``<table>.parquet`` in one folder. The tables are
read and type-checked inside DuckDB, never loaded whole into pandas, so the
same code checks a 100-million-row event log.

CSV files may be UTF-8 (with or without a byte-order mark) or, failing that,
Latin-1 (the usual encoding of spreadsheet exports in Western Europe); the
delimiter (comma, semicolon, tab, ...) is sniffed by DuckDB.
"""

from __future__ import annotations

import codecs
import dataclasses
import logging
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

TABLES: tuple[str, ...] = ("customers", "events", "tickets")
REQUIRED_TABLES: frozenset[str] = frozenset({"customers", "events"})
SUFFIXES: tuple[str, ...] = (".parquet", ".csv")

# column -> (DuckDB type, required?)
COLUMNS: dict[str, dict[str, tuple[str, bool]]] = {
    "customers": {
        "customer_id": ("VARCHAR", True),
        "signup_date": ("DATE", True),
        "churn_date": ("DATE", False),
    },
    "events": {
        "customer_id": ("VARCHAR", True),
        "timestamp": ("TIMESTAMP", True),
        "event_type": ("VARCHAR", True),
        "value": ("DOUBLE", False),
    },
    "tickets": {
        "customer_id": ("VARCHAR", True),
        "opened_at": ("TIMESTAMP", True),
        "category": ("VARCHAR", True),
        "resolved_at": ("TIMESTAMP", False),
        "satisfaction": ("DOUBLE", False),
    },
}

# Values a column takes when the optional column is absent from the file.
DEFAULTS: dict[tuple[str, str], str] = {
    ("events", "value"): "1.0",
}


class ContractError(ValueError):
    """The raw data breaks the contract; the message says where, what and how many."""


@dataclasses.dataclass(frozen=True)
class RawTable:
    """One contract table as found on disk."""

    name: str
    path: Path
    columns: tuple[str, ...]
    is_csv: bool
    source_names: tuple[str, ...] = ()
    encoding: str = "utf-8"

    def source(self, column: str) -> str:
        """The column's name as written in the file (a BOM or stray spaces kept)."""
        names = self.source_names or self.columns
        return names[self.columns.index(column)]


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


def detect_encoding(path: Path, chunk_bytes: int = 1 << 22) -> str:
    """Return ``utf-8`` if the whole file decodes as UTF-8, else ``latin-1``.

    The whole file is checked, in chunks, because an export is often ASCII for
    millions of lines before its first accented name. Latin-1 decodes any
    byte, so it is the fallback, never a guess that can fail.

    Args:
        path: a CSV file.
        chunk_bytes: bytes read at a time.

    Returns:
        The encoding name as DuckDB's ``read_csv`` spells it.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(chunk_bytes):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "latin-1"
    return "utf-8"


def scan(con: duckdb.DuckDBPyConnection, table: RawTable) -> duckdb.DuckDBPyRelation:
    """A DuckDB relation that scans the file as it is (the path is a parameter, never SQL text).

    CSV columns are read as text so that a bad value becomes a counted error
    with examples rather than a parser crash or a silently guessed type.
    """
    if table.is_csv:
        # A query parameter, not the relation API's read_csv: that one refuses any encoding but UTF-8.
        return con.sql("SELECT * FROM read_csv($path, all_varchar = true, header = true, auto_detect = true, "
                       "strict_mode = false, null_padding = true, encoding = $encoding)",
                       params={"path": str(table.path), "encoding": table.encoding})
    return con.read_parquet(str(table.path))


def raw_view(table: RawTable) -> str:
    """The name of the view :func:`open_table` creates over the file as it is."""
    return f"raw_{table.name}"


def open_table(con: duckdb.DuckDBPyConnection, raw_dir: Path, name: str) -> RawTable | None:
    """Locate a table and read its header.

    Args:
        con: a DuckDB connection.
        raw_dir: the raw folder.
        name: a contract table name.

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
    encoding = detect_encoding(path) if is_csv else "utf-8"
    if encoding != "utf-8":
        log.warning("%s: not valid UTF-8; reading it as %s", path, encoding)
    probe = RawTable(name, path, (), is_csv, encoding=encoding)
    try:
        rel = scan(con, probe)
        rel.create_view(raw_view(probe), replace=True)
    except duckdb.Error as exc:
        kind = "CSV" if probe.is_csv else "Parquet"
        raise ContractError(f"{path}: cannot be read as {kind}: {str(exc).splitlines()[0]}") from None
    source_names = tuple(rel.columns)
    columns = tuple(c.lstrip("\ufeff").strip() for c in source_names)
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise ContractError(f"{path}: column(s) {', '.join(dupes)} appear more than once")
    return RawTable(name, path, columns, probe.is_csv, source_names, encoding)


def check_columns(table: RawTable) -> None:
    """Raise if a required column is missing, naming the file and the columns found."""
    missing = [c for c, (_, req) in COLUMNS[table.name].items() if req and c not in table.columns]
    if missing:
        raise ContractError(
            f"{table.path}: missing required column(s) {', '.join(missing)} in table '{table.name}' "
            f"(found: {', '.join(table.columns) or 'no columns'})"
        )


def attribute_columns(table: RawTable) -> tuple[str, ...]:
    """Static attribute columns of the customers table: everything outside the contract."""
    return tuple(c for c in table.columns if c not in COLUMNS["customers"])
