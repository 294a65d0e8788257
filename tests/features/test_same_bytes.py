"""The feature query gives the values and types it gave before its speed rewrite (tests/features/golden_worlds.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.features import golden_worlds


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("golden")


@pytest.mark.parametrize("world", golden_worlds.WORLDS)
def test_every_feature_both_have_is_unchanged(world, work):
    old = pd.read_parquet(golden_worlds.path(world))
    new = golden_worlds.build(world, work)
    shared = [c for c in old.columns if c in new.columns]
    assert len(shared) == len(old.columns), f"features gone: {sorted(set(old.columns) - set(new.columns))}"
    assert len(new) == len(old)
    pd.testing.assert_frame_equal(new[shared].reset_index(drop=True), old.reset_index(drop=True),
                                  check_dtype=True, check_exact=True)
