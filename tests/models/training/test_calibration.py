"""Calibration: fitted on held-out rows, monotone, and kept only when its cross-fitted Brier gain is real."""

from __future__ import annotations

import numpy as np
import pytest

from models.evaluation import metrics as M
from models.training.calibration import Calibrator, cross_fitted, select
from tests.models.worlds import miscalibrated


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_calibration_improves_brier_on_held_out_rows(method):
    raw_fit, y_fit = miscalibrated(seed=1)
    raw, y = miscalibrated(seed=2)
    cal = Calibrator(method).fit(raw_fit, y_fit)
    before, after = M.brier_score_loss(y, raw), M.brier_score_loss(y, cal.predict(raw))
    assert after <= before
    assert after < before * 0.9
    again = Calibrator.from_dict(cal.to_dict())
    np.testing.assert_allclose(again.predict(raw), cal.predict(raw))


def test_calibration_is_monotone_and_none_is_identity():
    raw, y = miscalibrated()
    grid = np.linspace(0, 1, 101)
    for method in ("isotonic", "platt"):
        assert np.all(np.diff(Calibrator(method).fit(raw, y).predict(grid)) >= -1e-12)
    np.testing.assert_array_equal(Calibrator("none").fit(raw, y).predict(grid), grid)
    np.testing.assert_array_equal(Calibrator("isotonic").fit(raw, np.zeros_like(y)).predict(grid), grid)
    with pytest.raises(ValueError, match="one of"):
        Calibrator("beta").fit(raw, y)


def test_cross_fitted_never_uses_own_fold():
    raw, y = miscalibrated(n=1000)
    folds = np.arange(len(y)) % 4
    out = cross_fitted(raw, y, folds, "platt")
    held = folds == 0
    expected = Calibrator("platt").fit(raw[~held], y[~held]).predict(raw[held])
    np.testing.assert_allclose(out[held], expected)


def test_select_keeps_calibration_only_when_cross_fitted_brier_improves():
    raw, y = miscalibrated(n=3000)
    cal, crossed, stats = select(raw, y, "isotonic", seed=0)
    assert stats["kept"] == 1.0 and cal.to_dict()["method_used"] == "isotonic"
    assert stats["brier_cross_fitted"] < stats["brier_raw"]
    rng = np.random.default_rng(3)
    honest = rng.beta(1, 12, 3000)
    y2 = (rng.random(3000) < honest).astype(int)
    cal2, out2, stats2 = select(honest, y2, "isotonic", seed=0)
    if not stats2["kept"]:
        assert cal2.to_dict() == {"method": "isotonic", "method_used": "none"}
        np.testing.assert_array_equal(out2, honest)
    assert M.brier_score_loss(y2, cal2.predict(honest)) <= stats2["brier_raw"] + 1e-12 or stats2["kept"]


def test_calibrator_needs_a_real_gain_to_be_kept():
    from models.training.calibration import select

    rng = np.random.default_rng(0)
    p = rng.uniform(0.01, 0.2, 20_000)
    y = (rng.random(20_000) < p).astype(int)          # already calibrated: any gain is noise
    _, _, loose = select(p, y, "isotonic", seed=1, min_gain=-1.0)
    _, _, strict = select(p, y, "isotonic", seed=1, min_gain=0.01)
    assert loose["kept"] == 1.0 and strict["kept"] == 0.0
    skewed = np.clip(p * 2.5, 0, 0.99)                 # badly calibrated: a large gain is kept
    cal, _, stats = select(skewed, y, "isotonic", seed=1, min_gain=0.01)
    assert stats["kept"] == 1.0 and stats["brier_cross_fitted"] < 0.99 * stats["brier_raw"]
