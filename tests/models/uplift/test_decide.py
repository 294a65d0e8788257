import numpy as np
import pandas as pd

from models.uplift.decide import decision_columns


def test_expected_saving_is_uplift_times_value_minus_cost():
    value = pd.Series([100.0, 50.0, np.nan], index=[3, 4, 5])
    out = decision_columns(np.array([0.1, -0.02, 0.3]), value, 2.0, "uplift model (DR-learner), ...")
    assert out.index.tolist() == [3, 4, 5]
    np.testing.assert_allclose(out["expected_saving"].to_numpy(), [8.0, -3.0, np.nan])
    assert set(out["targeting_basis"]) == {"uplift model (DR-learner), ..."}


def test_without_a_model_the_columns_are_there_and_missing():
    out = decision_columns(None, pd.Series([10.0, 20.0]), 1.0, "churn risk × value: no campaign measured yet")
    assert out["expected_uplift"].isna().all() and out["expected_saving"].isna().all()
    assert list(out.columns) == ["expected_uplift", "expected_saving", "targeting_basis"]
