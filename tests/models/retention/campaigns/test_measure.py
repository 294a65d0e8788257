"""The results table of a campaign: ITT and contacted-only, per segment, saves, value, cost and ROI."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.retention.campaigns.measure import RESULT_COLUMNS, conclusion, headline, measure_campaigns


def _rows(n_contact: int, churn_contact: int, n_holdout: int, churn_holdout: int, **extra) -> pd.DataFrame:
    group = ["contact"] * n_contact + ["holdout"] * n_holdout
    churned = ([1] * churn_contact + [0] * (n_contact - churn_contact)
               + [1] * churn_holdout + [0] * (n_holdout - churn_holdout))
    frame = pd.DataFrame({"campaign_id": "c1", "campaign_date": "2024-11-30", "group": group, "churned": churned,
                          "contacted": pd.array([pd.NA] * len(group), dtype="boolean"), "value": 100.0})
    return frame.assign(**extra)


def test_overall_itt_figures():
    res = measure_campaigns(_rows(800, 80, 200, 40), contact_cost=2.0)
    assert list(res.columns) == list(RESULT_COLUMNS)
    row = res[(res["analysis"] == "itt") & (res["segment"] == "overall")].iloc[0]
    assert row["churn_rate_contact"] == pytest.approx(0.10) and row["churn_rate_holdout"] == pytest.approx(0.20)
    assert row["difference"] == pytest.approx(-0.10)
    assert row["difference_lower"] < -0.10 < row["difference_upper"] < 0
    assert row["saved"] == pytest.approx(80.0)
    assert row["saved_lower"] == pytest.approx(-row["difference_upper"] * 800)
    assert row["retained_value"] == pytest.approx(8000.0) and row["cost"] == pytest.approx(1600.0)
    assert row["roi"] == pytest.approx((8000 - 1600) / 1600)
    assert row["conclusion"] == "fewer_churned" and math.isnan(row["customers_needed"])
    assert set(res["analysis"]) == {"itt"}   # no contacted_at recorded: no contacted-only figure


def test_interval_with_zero_says_so_and_gives_the_customers_needed():
    row = headline(measure_campaigns(_rows(90, 9, 10, 2), contact_cost=1.0))
    assert row["difference_lower"] < 0 < row["difference_upper"]
    assert row["conclusion"] == "not_detectable"
    assert row["customers_needed"] > 100


def test_segments_and_contacted_only():
    rng = np.random.default_rng(1)
    rows = _rows(600, 60, 400, 60, risk_tier=rng.choice(["high", "medium"], 1000),
                 action_code=rng.choice(["A", "B"], 1000), driver_family=None)
    rows["contacted"] = pd.array(np.where(rows["group"] == "contact", np.arange(1000) % 3 > 0, pd.NA),
                                 dtype="boolean")
    res = measure_campaigns(rows, contact_cost=1.0)
    assert set(res["analysis"]) == {"itt", "contacted_only"}
    assert set(res["segment"]) == {"overall", "risk_tier", "action"}   # driver family unknown: not reported
    itt = res[(res["analysis"] == "itt") & (res["segment"] == "risk_tier")]
    assert itt["n_contact"].sum() == 600 and itt["n_holdout"].sum() == 400
    only = res[(res["analysis"] == "contacted_only") & (res["segment"] == "overall")].iloc[0]
    assert only["n_contact"] == only["n_reached"] == 400
    assert only["cost"] == 400.0


def test_conclusion_codes():
    assert conclusion(-0.2, -0.1) == "fewer_churned"
    assert conclusion(0.1, 0.2) == "more_churned"
    assert conclusion(-0.1, 0.1) == "not_detectable"


def test_no_campaign_gives_an_empty_table_with_the_columns():
    empty = measure_campaigns(_rows(0, 0, 0, 0), 1.0)
    assert list(empty.columns) == list(RESULT_COLUMNS) and empty.empty
    assert headline(empty) is None
