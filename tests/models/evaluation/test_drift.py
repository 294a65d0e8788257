"""PSI: zero for the same population, large for a shifted one, categories included."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.evaluation.drift import drift_table, psi_categorical, psi_numeric


def test_same_population_is_stable_and_shift_is_flagged():
    rng = np.random.default_rng(0)
    base = pd.Series(rng.normal(0, 1, 20_000))
    same = pd.Series(rng.normal(0, 1, 20_000))
    shifted = pd.Series(rng.normal(1.0, 1, 20_000))
    assert psi_numeric(base, same) < 0.01
    assert psi_numeric(base, shifted) > 0.2


def test_missing_values_and_new_categories_count():
    e = pd.Series([1.0, 2.0, 3.0, 4.0] * 100)
    a = pd.Series([1.0, 2.0, np.nan, np.nan] * 100)
    assert psi_numeric(e, a) > 0.5
    assert psi_categorical(pd.Series(["a", "b"] * 50), pd.Series(["a", "b"] * 50)) == 0.0
    assert psi_categorical(pd.Series(["a", "b"] * 50), pd.Series(["c"] * 100)) > 1.0


def test_drift_table_orders_and_flags():
    train = pd.DataFrame({"x": np.arange(1000.0), "y": np.arange(1000.0), "plan": ["a", "b"] * 500})
    scored = pd.DataFrame({"x": np.arange(1000.0), "y": np.arange(1000.0) + 800, "plan": ["a", "b"] * 500})
    t = drift_table(train, scored, ["x", "y", "plan"], ["plan"], threshold=0.2)
    assert t.loc[0, "feature"] == "y" and bool(t.loc[0, "drifted"])
    assert not t.set_index("feature").loc["x", "drifted"]
