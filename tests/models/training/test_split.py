"""Out-of-time splits purge cutoffs whose label horizon reaches a later split."""

from __future__ import annotations

import datetime as dt

import pytest

from models.training.split import SplitError, split_cutoffs


def test_split_purges_cutoffs_whose_horizon_reaches_the_next_split():
    cuts = [dt.date(2024, m, 1) for m in range(1, 8)]          # monthly, first of month
    s = split_cutoffs(cuts, horizon_days=45)                   # horizon longer than the spacing
    assert s.test == dt.date(2024, 7, 1)
    assert s.valid + dt.timedelta(days=45) <= s.test
    assert s.valid == dt.date(2024, 5, 1)                      # June 1 + 45 days reaches past July 1
    assert all(c + dt.timedelta(days=45) <= s.valid for c in s.train)
    assert dt.date(2024, 6, 1) in s.purged and dt.date(2024, 4, 1) in s.purged
    assert s.train == (dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1))


def test_split_needs_three_cutoffs():
    with pytest.raises(SplitError, match="at least 3"):
        split_cutoffs([dt.date(2024, 1, 31), dt.date(2024, 2, 29)], 30)
