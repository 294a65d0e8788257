"""Small made-up data sets that several model tests share."""

from __future__ import annotations

import numpy as np
import pandas as pd


def contract_world(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Monthly customers churn far more; days_to_renewal encodes the contract; usage decline drives churn too."""
    rng = np.random.default_rng(seed)
    monthly = rng.random(n) < 0.6
    tenure = rng.integers(40, 900, n).astype(float)
    X = pd.DataFrame({
        "days_to_renewal": np.where(monthly, 30 - tenure % 30, 365 - tenure % 365),
        "events_total_change_30d_vs_prev_30d": np.where(rng.random(n) < 0.2, -0.6, 0.0) + rng.normal(0, 0.05, n),
        "tenure_days": tenure,
        "contract": pd.Categorical(np.where(monthly, "monthly", "annual")),
    })
    logit = -4.0 + 2.5 * monthly - 4.0 * X["events_total_change_30d_vs_prev_30d"].to_numpy()
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def miscalibrated(n: int = 4000, seed: int = 0):
    rng = np.random.default_rng(seed)
    true_p = rng.beta(1, 12, n)
    y = (rng.random(n) < true_p).astype(int)
    raw = np.clip(true_p ** 0.6, 0, 1)        # over-confident, monotone in the truth
    return raw, y
