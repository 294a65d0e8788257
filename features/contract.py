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
contacts (optional)
    What the team did in a campaign, one row per assigned customer:
    ``customer_id``, ``campaign_id`` (string), ``group`` (``contact`` or
    ``holdout``), ``contacted_at`` (datetime, optional; empty = not reached),
    ``action_code`` and ``channel`` (string, optional). Also read when present
    (the score stage's ``data/campaigns/<id>/assignments.parquet`` has them, so
    that file is accepted as it is): ``assigned_at`` (date of the campaign),
    ``risk_tier``, ``driver_family`` and ``customer_value`` (number).

Files are ``<table>.csv`` or ``<table>.parquet`` in one folder. The tables are
read and type-checked inside DuckDB, never loaded whole into pandas, so the
same code checks a 100-million-row event log.

How files are found and read (encodings, delimiters, quoting, header
matching) is ``features/raw_files.py``; this module holds the contract itself.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path

from pipeline.core.errors import DataError

log = logging.getLogger(__name__)

TABLES: tuple[str, ...] = ("customers", "events", "tickets", "contacts")
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
    "contacts": {
        "customer_id": ("VARCHAR", True),
        "campaign_id": ("VARCHAR", True),
        "group": ("VARCHAR", True),
        "contacted_at": ("TIMESTAMP", False),
        "action_code": ("VARCHAR", False),
        "channel": ("VARCHAR", False),
        "assigned_at": ("DATE", False),
        "risk_tier": ("VARCHAR", False),
        "driver_family": ("VARCHAR", False),
        "customer_value": ("DOUBLE", False),
    },
}

# The groups of a campaign (contacts.group).
CONTACT_GROUPS: tuple[str, ...] = ("contact", "holdout")

# Values a column takes when the optional column is absent from the file.
DEFAULTS: dict[tuple[str, str], str] = {
    ("events", "value"): "1.0",
}


class ContractError(DataError):
    """The raw data breaks the contract; the message says where, what and how many."""


@dataclasses.dataclass(frozen=True)
class RawTable:
    """One contract table as found on disk.

    Attributes:
        name: the contract table.
        path: the user's file (messages name it).
        columns: the columns read, by their pipeline names (contract names; attributes by :func:`attribute_name`).
        is_csv: CSV rather than Parquet.
        source_names: every header as written in the file.
        encoding: the CSV's encoding (``utf-8``, ``cp932``, ...).
        read_path: the UTF-8 copy DuckDB reads when the CSV is in another encoding.
        delimiter: the CSV's delimiter.
        kept_names: per header, its pipeline name, or None when not read.
        ignored: headers of events or tickets outside the contract.
        excluded: customer headers that ``data.exclude_columns`` keeps out of the pipeline.
    """

    name: str
    path: Path
    columns: tuple[str, ...]
    is_csv: bool
    source_names: tuple[str, ...] = ()
    encoding: str = "utf-8"
    read_path: Path | None = None
    delimiter: str = ","
    kept_names: tuple[str | None, ...] = ()
    ignored: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()


def required_columns(table: str) -> tuple[str, ...]:
    """The contract columns a table must have."""
    return tuple(c for c, (_, required) in COLUMNS[table].items() if required)


def contract_key(header: str) -> str:
    """How a header is matched to a contract column: case, spaces, hyphens and a byte-order mark do not matter.

    ``Customer_ID``, ``customer id`` and ``Customer-Id`` all mean ``customer_id``.
    """
    return re.sub(r"[\s\-]+", "_", header.lstrip("\ufeff").strip()).strip("_").lower()


_UNSAFE = re.compile(r'[\s",:\[\]{}]+')


def attribute_name(header: str) -> str:
    """An attribute's feature name: the header with runs of spaces and JSON-special characters as ``_``.

    ``price plan`` becomes ``price_plan`` (reasons read it back as "Price plan");
    LightGBM refuses feature names with those characters. Case and letters of any
    script are kept.
    """
    return _UNSAFE.sub("_", header.lstrip("\ufeff").strip()).strip("_")


def column_names(path: Path, table: str, headers: list[str],
                 exclude: tuple[str, ...] = ()) -> tuple[list[str | None], list[str], list[str]]:
    """Each header's name in the pipeline (None: not read), and the headers ignored and excluded.

    Contract columns get their contract name; in ``customers`` every other column is an
    attribute (:func:`attribute_name`) unless ``exclude`` names it (matched like contract
    columns); other tables ignore columns outside the contract.

    Raises:
        ContractError: two headers that mean the same column, or a header with no name.
    """
    excluded_keys = {contract_key(e) for e in exclude}
    names: list[str | None] = []
    ignored, excluded = [], []
    for header in headers:
        key = contract_key(header)
        if key in COLUMNS[table]:
            names.append(key)
        elif table == "customers" and key in excluded_keys:
            names.append(None)
            excluded.append(header)
        elif table == "customers":
            name = attribute_name(header)
            if not name:
                raise ContractError(f"{path}: a column has no name (header {header!r}); name it or remove it")
            names.append(name)
        else:
            names.append(None)
            ignored.append(header)
    seen: dict[str, list[str]] = {}
    for header, name in zip(headers, names):
        if name is not None:
            seen.setdefault(name.lower(), []).append(header)
    dupes = {n: hs for n, hs in seen.items() if len(hs) > 1}
    if dupes:
        listed = "; ".join(f"{' and '.join(repr(h) for h in hs)} both mean column {n!r}" for n, hs in dupes.items())
        raise ContractError(f"{path}: {listed}; keep one")
    return names, ignored, excluded


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
