"""Out-of-time splits of labelled cutoffs, free of I/O.

Labels look forward: a row at cutoff T carries outcomes up to T + H. A row
may only be used to fit a model judged at a later cutoff S if T + H <= S;
otherwise its label already contains the later period's outcomes. The split
below purges such rows instead of trusting the calendar to be far enough apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from pipeline.core.errors import DataError


class SplitError(DataError):
    """Not enough fully labelled cutoffs for an out-of-time split."""


@dataclasses.dataclass(frozen=True)
class Split:
    """Cutoffs per role; ``purged`` were dropped because their horizon overlaps a later split."""

    train: tuple[dt.date, ...]
    valid: dt.date
    test: dt.date
    purged: tuple[dt.date, ...]


def split_cutoffs(labelled: Sequence[dt.date], horizon_days: int) -> Split:
    """Split labelled cutoffs out of time: test = latest, valid = latest whose horizon ends by test.

    Args:
        labelled: fully labelled cutoffs.
        horizon_days: the label horizon H.

    Returns:
        The split. Training cutoffs all have T + H <= valid; validation has valid + H <= test.
    """
    cutoffs = sorted(set(labelled))
    h = dt.timedelta(days=horizon_days)
    if len(cutoffs) < 3:
        raise SplitError(
            f"need at least 3 fully labelled cutoffs for train/valid/test, got {len(cutoffs)} "
            f"({', '.join(map(str, cutoffs)) or 'none'}); add history or shorten label.horizon_days")
    test = cutoffs[-1]
    valid_candidates = [c for c in cutoffs[:-1] if c + h <= test]
    if not valid_candidates:
        raise SplitError(f"no cutoff before the test cutoff {test} has its horizon end by it")
    valid = valid_candidates[-1]
    train = tuple(c for c in cutoffs if c + h <= valid)
    if not train:
        raise SplitError(f"no training cutoff has its horizon end by the validation cutoff {valid}")
    purged = tuple(c for c in cutoffs if c not in train and c not in (valid, test))
    return Split(train, valid, test, purged)


def refit_cutoffs(labelled: Sequence[dt.date], horizon_days: int, test: dt.date) -> tuple[dt.date, ...]:
    """Every labelled cutoff before ``test`` whose label horizon ends by it (the optional refit's rows)."""
    h = dt.timedelta(days=horizon_days)
    return tuple(c for c in sorted(set(labelled)) if c < test and c + h <= test)
