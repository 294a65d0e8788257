"""The vocabulary of the feature columns: what to compute, what a column is, and the names data values take.

:class:`FeatureConfig` says which windows, event types and categories to compute
(resolved from the data by ``features/defaults.py``); :class:`Column` is one
feature, its dictionary entry (:class:`FeatureInfo`) and the SQL that computes
it, and names the aggregate it lives in (``EVENTS``, ``TICKETS``, ``HISTORY``,
``SELECT``). :func:`slug` and :func:`unique_slugs` turn event types and ticket
categories into column-name-safe parts. The columns themselves, family by
family, are in ``features/columns.py``.
"""

from __future__ import annotations

import dataclasses
import re

from features.catalog import family_of
from features.sql import ident, literal


@dataclasses.dataclass(frozen=True)
class FeatureConfig:
    """What to compute; event types and categories are resolved from the data."""

    windows: tuple[int, ...] = (7, 30, 90)
    decline_window_days: int = 30
    event_types: tuple[str, ...] = ()
    value_sum_event_types: tuple[str, ...] = ("session",)
    passive_event_types: tuple[str, ...] = ("payment_failed", "plan_change", "price_change", "nps")
    fee_event_types: tuple[str, ...] = ("plan_change", "price_change")
    nps_event_type: str = "nps"
    ticket_categories: tuple[str, ...] = ()
    complaint_category: str = "complaint"
    slow_resolution_hours: float = 72.0
    slope_weeks: int = 8
    attributes: tuple[str, ...] = ()
    fee_attribute: str | None = "monthly_fee"
    contract_attribute: str | None = "contract"
    history: bool = True   # whole-history features (lifetime counts, value, gaps, the buy-till-you-die summary)
    calendar: bool = True  # days to the signup's monthly and yearly anniversary (renewals without a contract column)

    @property
    def lookback_days(self) -> int:
        """How far back any windowed feature reads."""
        return max(max(self.windows), 2 * self.decline_window_days, 7 * self.slope_weeks)

    @property
    def event_slugs(self) -> dict[str, str]:
        """Event type -> the name its features carry (unique; never ``total``)."""
        return unique_slugs(self.event_types, reserved=("total",))

    @property
    def category_slugs(self) -> dict[str, str]:
        """Ticket category -> the name its features carry (unique; never a name of the ticket features themselves)."""
        return unique_slugs(self.ticket_categories, reserved=("open", "slow_resolution"))

    @property
    def big_window(self) -> int:
        return max(self.windows)

    @property
    def active_types(self) -> list[str]:
        """Event types that count as activity (every type but the passive ones)."""
        return [t for t in self.event_types if t not in self.passive_event_types]

    @property
    def mask_types(self) -> list[str]:
        """Activity types that get a bit in the daily kinds-of-activity mask (the rest are counted apart)."""
        return self.active_types[:WIDE_MASK_BITS]

    @property
    def active_predicate(self) -> str:
        """SQL: the row's ``event_type`` counts as activity."""
        if not self.passive_event_types:
            return "TRUE"
        return "event_type NOT IN (" + ", ".join(literal(t) for t in self.passive_event_types) + ")"


@dataclasses.dataclass(frozen=True)
class FeatureInfo:
    """One row of the feature dictionary."""

    name: str
    meaning: str
    window: str
    unit: str

    @property
    def family(self) -> str:
        return family_of(self.name)


# Where a column's aggregate lives: one of the query's per-(customer, cutoff) aggregates, or the final select.
EVENTS, TICKETS, HISTORY, SELECT = "e", "tka", "h", None

# Bits of an activity-type or week mask: BIGINT holds 62 without touching the sign bit, HUGEINT 126.
MASK_BITS, WIDE_MASK_BITS = 62, 126


@dataclasses.dataclass(frozen=True)
class Column:
    """A feature: its dictionary entry and the SQL that computes it.

    Attributes:
        info: the dictionary entry (its ``name`` is the output column).
        expr: the SQL expression, evaluated in ``source``.
        source: the aggregate it belongs to (``EVENTS``, ``TICKETS``), or ``SELECT`` for an expression of
            the final select.
        zero_fill: a customer with no rows in ``source`` has 0, not NULL.
    """

    info: FeatureInfo
    expr: str
    source: str | None
    zero_fill: bool = False

    @property
    def name(self) -> str:
        return self.info.name


def slug(value: str) -> str:
    """A column-name-safe version of an event type or category."""
    s = re.sub(r"[^0-9a-z]+", "_", str(value).lower()).strip("_")
    return s or "blank"


def unique_slugs(values: tuple[str, ...], reserved: tuple[str, ...] = ()) -> dict[str, str]:
    """Value -> its slug, made unique in order: ``log in`` and ``log-in`` become ``log_in`` and ``log_in_2``.

    ``reserved`` slugs are never given (``total`` names the all-types features).
    """
    out: dict[str, str] = {}
    taken = set(reserved)
    for value in values:
        base = slug(value)
        name, k = base, 1
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        out[value] = name
        taken.add(name)
    return out


def count_of(slug_or_total: str) -> str:
    """The daily table's column of events of one type that day (``n_<slug>``), or of activity events (``n_total``)."""
    return ident(f"n_{slug_or_total}")


def value_of(event_slug: str) -> str:
    """The daily table's column of the summed value of one type's events that day (exact DECIMAL)."""
    return ident(f"v_{event_slug}")
