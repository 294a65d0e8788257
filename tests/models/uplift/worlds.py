"""Small simulated campaigns with a known effect, shared by the uplift tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def campaign(n: int = 12000, seed: int = 0, effect: str = "heterogeneous", holdout_share: float = 0.3):
    """Customers with risk driven by ``risk`` and an effect driven by ``responds`` (not in step with risk).

    Returns:
        ``(X, treated, churned, propensity, true_uplift, p_untreated)``; ``true_uplift`` is the fall in churn
        probability if contacted.
    """
    rng = np.random.default_rng(seed)
    risk, responds, noise = rng.random(n), rng.random(n), rng.random(n)
    plan = rng.choice(["monthly", "annual"], n)
    p0 = 0.15 + 0.5 * risk
    if effect == "heterogeneous":
        tau = 0.35 * responds - 0.08     # some are sleeping dogs (tau < 0)
    else:
        tau = np.full(n, 0.1)
    p1 = np.clip(p0 - tau, 0.01, 0.99)
    tau = p0 - p1
    treated = (rng.random(n) >= holdout_share).astype(int)
    churned = (rng.random(n) < np.where(treated == 1, p1, p0)).astype(int)
    X = pd.DataFrame({"risk": risk, "responds": responds, "noise": noise, "plan": pd.Categorical(plan)})
    return X, treated, churned, np.full(n, 1 - holdout_share), tau, p0
