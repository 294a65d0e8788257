"""Two-proportion statistics for a campaign against its holdout.

The interval of a difference of two proportions is Newcombe's hybrid score
interval (Newcombe 1998, "Interval estimation for the difference between
independent proportions", method 10): it combines the two Wilson score
intervals, keeps inside [-1, 1], and holds its coverage for small groups and
rates near 0, where the simple Wald interval does not.
"""

from __future__ import annotations

import math

from scipy.stats import norm

Z95 = float(norm.ppf(0.975))


def wilson(events: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval of ``events / n`` (``(nan, nan)`` when ``n`` is 0)."""
    if n <= 0:
        return math.nan, math.nan
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(events_a: int, n_a: int, events_b: int, n_b: int,
                        z: float = Z95) -> tuple[float, float, float]:
    """``p_a - p_b`` with Newcombe's hybrid score interval.

    Args:
        events_a, n_a: churners and customers of group a (the contacted group).
        events_b, n_b: churners and customers of group b (the holdout).
        z: the normal quantile of the interval (1.96 for 95%).

    Returns:
        ``(difference, lower, upper)``; NaN when a group is empty.
    """
    if n_a <= 0 or n_b <= 0:
        return math.nan, math.nan, math.nan
    p_a, p_b = events_a / n_a, events_b / n_b
    l_a, u_a = wilson(events_a, n_a, z)
    l_b, u_b = wilson(events_b, n_b, z)
    d = p_a - p_b
    lower = d - math.sqrt((p_a - l_a) ** 2 + (u_b - p_b) ** 2)
    upper = d + math.sqrt((u_a - p_a) ** 2 + (p_b - l_b) ** 2)
    return d, lower, upper


def customers_needed(p_contact: float, p_holdout: float, control_share: float, power: float = 0.8,
                     z: float = Z95) -> float:
    """About how many customers (both groups together) a campaign needs to detect ``p_contact - p_holdout``.

    The normal approximation for two proportions at a two-sided 5% level and the given power, with
    ``control_share`` of the customers in the holdout: ``N = (z + z_power)^2 (pq_c / (1 - s) + pq_h / s) / d^2``.
    Infinite when the observed difference is zero.
    """
    d = p_contact - p_holdout
    if d == 0 or not 0 < control_share < 1 or math.isnan(d):
        return math.inf
    var = p_contact * (1 - p_contact) / (1 - control_share) + p_holdout * (1 - p_holdout) / control_share
    return (z + float(norm.ppf(power))) ** 2 * var / d**2
