import numpy as np
import pandas as pd
import pytest

from models.uplift.learners import UpliftConfig
from models.uplift.select import COLD_START, NO_BETTER, choose
from tests.models.uplift.worlds import campaign

CONFIG = UpliftConfig(n_folds=3, num_boost_round=80, seed=11, num_threads=1)


def rows_of(seed: int, effect: str, campaign_id: str = "2024-03-01", n: int = 12000):
    X, t, y, e, tau, p0 = campaign(n=n, seed=seed, effect=effect)
    rows = pd.DataFrame({"campaign_id": campaign_id, "campaign_date": pd.Timestamp(campaign_id), "treated": t,
                         "churned": y, "propensity": e, "churn_probability": p0})
    return rows, X, tau


def test_cold_start():
    sel, model = choose(pd.DataFrame(columns=["campaign_id", "campaign_date"]), pd.DataFrame())
    assert sel.targeting_basis == COLD_START and model is None and not sel.use_uplift


def test_a_heterogeneous_effect_beats_risk_out_of_fold():
    rows, X, tau = rows_of(1, "heterogeneous")
    sel, model = choose(rows, X, CONFIG, n_boot=100)
    assert sel.use_uplift and sel.validation == "out_of_fold" and sel.campaign_id == "2024-03-01"
    assert sel.learner in ("t", "dr") and sel.difference[1] > 0
    assert sel.targeting_basis.startswith(f"uplift model ({'T' if sel.learner == 't' else 'DR'}-learner), Qini 0.")
    assert sel.targeting_basis.endswith("on campaign 2024-03-01")
    q, lo, hi = sel.qini[sel.learner]
    assert lo <= q <= hi and q > sel.qini["risk"][0]
    assert np.corrcoef(model.predict(X), tau)[0, 1] > 0.5
    summary = sel.summary()
    assert set(summary["rankings"]) == {"t", "dr", "risk", "random"}
    assert len(summary["rankings"]["risk"]["uplift_at_depth"]) == 3


def test_a_constant_effect_falls_back_to_risk():
    rows, X, _ = rows_of(3, "constant")
    sel, model = choose(rows, X, CONFIG, n_boot=100)
    assert not sel.use_uplift and model is None
    assert sel.targeting_basis.startswith(NO_BETTER)


def test_several_campaigns_are_judged_out_of_time_on_the_latest():
    first, X1, _ = rows_of(4, "heterogeneous", "2024-01-01", n=10000)
    second, X2, _ = rows_of(5, "heterogeneous", "2024-02-01", n=6000)
    rows = pd.concat([second, first], ignore_index=True)
    X = pd.concat([X2, X1], ignore_index=True)
    sel, model = choose(rows, X, CONFIG, n_boot=50)
    assert sel.validation == "out_of_time" and sel.campaign_id == "2024-02-01"
    assert sel.evaluation.table["random"]["qini"][0] == pytest.approx(sel.qini["random"][0])
    assert sel.use_uplift and model is not None


def test_missing_risk_is_an_error():
    rows, X, _ = rows_of(1, "heterogeneous", n=3000)
    rows.loc[:9, "churn_probability"] = np.nan
    with pytest.raises(ValueError, match="churn_probability is missing for 10 of 3000 rows of campaign 2024-03-01"):
        choose(rows, X, CONFIG, n_boot=10)
