"""What both worlds' simulations share: the calendar, the cutoffs inside the period and the running totals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from features.synthetic.core.config import WorldConfig


class WorldSimulation:
    """One synthetic world's run; a world's simulation adds ``tables()`` and ``summary()``.

    Args:
        config: the world's knobs.
        cutoffs: observation dates (end of day) of the truth tables; those outside the period are ignored.
        horizon_days: label horizon H of the oracle.
        make_world: the world's calendar from its config.
    """

    def __init__(self, config: WorldConfig, cutoffs: Sequence[date], horizon_days: int,
                 make_world: Callable[[Any], Any]) -> None:
        if horizon_days < 1:
            raise ValueError("horizon_days must be >= 1")
        self.config = config
        self.horizon_days = horizon_days
        self.world = make_world(config)
        self.cutoff_days = tuple(sorted({(c - config.start_date).days for c in cutoffs
                                         if config.start_date <= c <= config.end_date}))
        self.totals: dict[str, float] = {}

    def add_totals(self, stats: dict[str, float]) -> None:
        """Add one chunk's counts to the world's totals."""
        for k, v in stats.items():
            self.totals[k] = self.totals.get(k, 0) + v
