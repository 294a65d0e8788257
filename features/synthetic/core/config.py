"""The knobs every synthetic world has, checked once for both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class WorldConfig:
    """Knobs every synthetic world has; a world's config adds its own after them.

    Attributes:
        n_customers: number of customers (all start within the period).
        start_date: first possible start (signup or first purchase).
        end_date: the data's as-of date; nothing is stamped after the end of this day.
        seed: master seed; the same config gives byte-identical tables.
        chunk_customers: customers simulated per chunk; bounds memory.
        workers: processes that simulate chunks in parallel (``0``: one per CPU, at most 4). Does not change
            the output.
    """

    n_customers: int = 20_000
    start_date: date = date(2023, 1, 1)
    end_date: date = date(2024, 12, 31)
    seed: int = 42
    chunk_customers: int = 50_000
    workers: int = 1

    def __post_init__(self) -> None:
        if self.n_customers < 1:
            raise ValueError("n_customers must be >= 1")
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        if (self.end_date - self.start_date).days + 7 >= 2**31 // SECONDS_PER_DAY:
            raise ValueError("period too long")
        if self.chunk_customers < 1:
            raise ValueError("chunk_customers must be >= 1")
        if self.workers < 0:
            raise ValueError("workers must be >= 0")
