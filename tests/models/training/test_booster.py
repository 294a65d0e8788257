"""LightGBM training: refit cutoffs and K-fold CV for single-snapshot data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.training.booster import cross_validate, lgbm_params, matrix
from models.training.split import SplitError, refit_cutoffs


def test_refit_cutoffs_end_by_test():
    cuts = [dt.date(2024, m, 1) for m in range(1, 8)]
    refit = refit_cutoffs(cuts, horizon_days=45, test=dt.date(2024, 7, 1))
    assert refit == tuple(cuts[:5])          # June 1 + 45 days reaches past July 1
    assert all(c + dt.timedelta(days=45) <= dt.date(2024, 7, 1) for c in refit)


def test_cross_validate_gives_out_of_fold_predictions_for_every_row():
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({"tenure_days": rng.integers(0, 2000, n).astype(float),
                          "monthly_fee": rng.uniform(10, 100, n), "contract": rng.choice(["m", "y"], n)})
    logit = -1.5 - frame["tenure_days"] / 700 + (frame["contract"] == "m") * 1.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X, _ = matrix(frame, list(frame.columns), ["contract"])
    params = lgbm_params(1, 0.1, 7, 20, 1.0, 1.0, 0, 1.0, 1)
    cv = cross_validate(X, y, params, 200, 20, 5, seed=1)
    assert set(cv.folds) == set(range(5)) and len(cv.oof) == n
    assert np.all((cv.oof > 0) & (cv.oof < 1))
    assert np.nanmean(cv.fold_auc) > 0.6
    with pytest.raises(SplitError, match="minority"):
        cross_validate(X, np.r_[1, np.zeros(n - 1, dtype=int)], params, 10, 5, 5, seed=1)


def test_auto_capacity_follows_the_labelled_rows_and_explicit_values_win():
    from models.training.booster import auto_capacity, params_for
    from pipeline.core import config

    assert auto_capacity(7_043) == (7, 0.02)
    assert auto_capacity(499_999) == (7, 0.02)
    assert auto_capacity(1_500_000) == (31, 0.05)
    assert auto_capacity(7_043, 63, 0.1) == (63, 0.1)
    tp = config.section({"train": {"num_leaves": 15}}, "train")
    params = params_for(tp, 2_000_000)
    assert params["num_leaves"] == 15 and params["learning_rate"] == 0.05 and params["lambda_l2"] == 5.0
    for bad in ({"num_leaves": 1}, {"learning_rate": 0}, {"num_leaves": "many"}):
        with pytest.raises(config.ParamsError):
            config.section({"train": bad}, "train")
