"""Newcombe's interval against the published values, and the sample size formula."""

from __future__ import annotations

import math

import pytest

from models.retention.campaigns.stats import customers_needed, newcombe_difference, wilson


def test_wilson_matches_newcombe_1998_single_proportion_example():
    # Newcombe (1998), Statistics in Medicine 17:857-872, table I: 81/263 -> 0.2553 to 0.3662
    lo, hi = wilson(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)


@pytest.mark.parametrize("a, n_a, b, n_b, expected", [
    (56, 70, 48, 80, (0.0524, 0.3339)),   # Newcombe (1998), Statistics in Medicine 17:873-890, table II (a)
    (9, 10, 3, 10, (0.1705, 0.8090)),     # table II (b)
    (5, 56, 0, 29, (-0.0381, 0.1926)),    # table II (d)
])
def test_newcombe_matches_the_published_intervals(a, n_a, b, n_b, expected):
    d, lo, hi = newcombe_difference(a, n_a, b, n_b)
    assert d == pytest.approx(a / n_a - b / n_b)
    assert (round(lo, 4), round(hi, 4)) == expected


def test_empty_group_gives_nan():
    assert all(math.isnan(x) for x in newcombe_difference(0, 0, 3, 10))


def test_customers_needed_follows_the_normal_approximation():
    # equal groups (share 0.5), 10% vs 8%: n per group = 7.85 (0.09 + 0.0736) / 0.0004 ~ 3,210
    n = customers_needed(0.08, 0.10, 0.5)
    assert n / 2 == pytest.approx(3211, rel=0.01)
    assert customers_needed(0.1, 0.1, 0.5) == math.inf
    assert customers_needed(0.08, 0.10, 0.1) > n
