"""BG/NBD's inputs checked: customer histories ``(x, t_x, T)`` and horizons as float vectors, or a ValueError."""

from __future__ import annotations

import numpy as np


def as_vector(name: str, v: np.ndarray) -> np.ndarray:
    """``v`` as a one-dimensional float vector of finite, non-negative values, or a ValueError naming it."""
    arr = np.atleast_1d(np.asarray(v, dtype=float))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative")
    return arr


def validate_history(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float vectors of equal length with 0 <= t_x <= T, or a ValueError saying which rule broke."""
    x, t_x, T = as_vector("x", x), as_vector("t_x", t_x), as_vector("T", T)
    if not len(x) == len(t_x) == len(T):
        raise ValueError(f"x, t_x and T must have the same length, got {len(x)}, {len(t_x)}, {len(T)}")
    if np.any(t_x > T):
        raise ValueError(f"t_x must be <= T (the last purchase lies inside the window); "
                         f"{int(np.sum(t_x > T))} row(s) break this")
    return x, t_x, T


def validate_horizon(t: float | np.ndarray, n: int | None) -> np.ndarray:
    """A horizon as a vector: one entry per customer when ``n`` is given (a scalar repeated), else as given."""
    t = as_vector("t", t)
    if n is not None and len(t) not in (1, n):
        raise ValueError(f"t must be a scalar or have one entry per customer ({n}), got {len(t)}")
    return t if n is None or len(t) == n else np.full(n, t[0])

