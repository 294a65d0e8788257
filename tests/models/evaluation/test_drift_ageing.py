"""Drift that means something: a closed cohort that only ages is not flagged; a real change still is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.catalog import grows_with_time
from models.evaluation.drift import drift_table
from models.evaluation.verdict import TOLERANCE, auc_by_cutoff, auc_standard_error, score_verdict

GROWING = ["tenure_days", "days_since_first_activity", "activity_span_days", "events_purchase_count_all",
           "events_purchase_value_sum_all", "active_days_all", "repeat_active_days", "events_total_count_all"]
STEADY = ["events_purchase_count_90d", "days_since_last_event", "events_purchase_value_per_day_all"]


def _cohort_at(age_days: np.ndarray, rate: np.ndarray, rng: np.random.Generator, spend: float = 30.0) -> pd.DataFrame:
    """A stationary cohort's features at one cutoff: every customer buys at its own constant rate."""
    n = len(age_days)
    count = rng.poisson(rate * age_days)
    active = np.minimum(count, age_days).astype(float)
    first = np.where(count > 0, rng.uniform(0, 30, n), np.nan)
    return pd.DataFrame({
        "customer_id": [f"C{i}" for i in range(n)], "tenure_days": age_days,
        "days_since_first_activity": age_days - np.nan_to_num(first),
        "activity_span_days": np.maximum(age_days - np.nan_to_num(first) - rng.exponential(1 / rate), 0),
        "events_purchase_count_all": count.astype(float), "events_total_count_all": (count * 2).astype(float),
        "events_purchase_value_sum_all": count * spend, "active_days_all": active,
        "repeat_active_days": np.maximum(active - 1, 0),
        "events_purchase_count_90d": rng.poisson(rate * 90).astype(float),
        "days_since_last_event": rng.exponential(1 / rate),
        "events_purchase_value_per_day_all": rate * spend,
        "plan": rng.choice(["a", "b"], n),
    })


def _closed_cohort(n: int = 4000, seed: int = 0, later_rate: float = 1.0):
    """Training rows at five month ends, scored rows a year after the first: everyone signed up before it."""
    rng = np.random.default_rng(seed)
    signup_age = rng.uniform(30, 720, n)          # days before the first cutoff
    rate = rng.gamma(2.0, 0.02, n) + 0.002        # purchases per day, constant per customer
    train = pd.concat([_cohort_at(signup_age + 30 * k, rate, rng) for k in range(5)], ignore_index=True)
    scored = _cohort_at(signup_age + 365, rate * later_rate, rng)
    return train, scored


def _table(train, scored):
    return drift_table(train, scored, [*GROWING, *STEADY, "plan"], ["plan"], threshold=0.2)


def test_the_catalog_knows_what_grows_with_time():
    assert {f: grows_with_time(f) for f in GROWING} == {
        **{f: "lifetime" for f in GROWING}, "tenure_days": "age", "days_since_first_activity": "age",
        "activity_span_days": "age"}
    assert all(grows_with_time(f) is None for f in [*STEADY, "monthly_fee", "plan"])


def test_a_closed_cohort_that_only_ages_flags_none_of_its_growing_features():
    train, scored = _closed_cohort()
    table = _table(train, scored).set_index("feature")
    raw = table.loc[GROWING, "psi"]
    assert (raw > 0.2).sum() >= 4, f"the cohort aged enough to fool a plain PSI: {raw.round(2).to_dict()}"
    assert not table.loc[GROWING, "drifted"].any(), table.loc[GROWING].to_string()
    assert set(table.loc[GROWING[:3], "compared_as"]) == {"ageing"}
    assert set(table.loc[GROWING[3:], "compared_as"]) == {"per_day"}
    assert not table["drifted"].any()
    assert set(table.index[-3:]) == set(GROWING[:3]), "the ages come last"


def test_a_cohort_that_buys_half_as_often_is_still_flagged_per_day():
    train, scored = _closed_cohort(later_rate=0.4)
    table = _table(train, scored).set_index("feature")
    assert table.loc["events_purchase_count_90d", "drifted"]
    assert table.loc[["events_purchase_count_all", "active_days_all"], "drifted"].all()
    assert table.index[0] in table.index[table["drifted"]]


def test_without_an_age_column_the_totals_are_compared_as_they_are():
    train, scored = _closed_cohort()
    table = drift_table(train, scored, ["events_purchase_count_all"], [], 0.2, age=None)
    assert table.loc[0, "compared_as"] == "as_is" and table.loc[0, "psi"] == table.loc[0, "psi_compared"]


def test_the_same_inputs_give_the_same_table():
    train, scored = _closed_cohort(n=500)
    assert _table(train, scored).to_csv(float_format="%.6f") == _table(train, scored).to_csv(float_format="%.6f")


def _predictions(cutoff: str, auc_like: float, n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.random(n) < 0.1
    score = np.where(label, rng.normal(auc_like, 1, n), rng.normal(0, 1, n))
    return pd.DataFrame({"cutoff": pd.Timestamp(cutoff), "label": label.astype(int),
                         "churn_probability": 1 / (1 + np.exp(-score))})


def test_the_verdict_compares_the_latest_cutoff_with_the_earlier_ones():
    earlier = auc_by_cutoff(pd.concat([_predictions("2024-09-30", 1.2), _predictions("2024-10-31", 1.2, seed=1)]))
    assert list(earlier) == ["2024-09-30", "2024-10-31"] and all(0.75 < a < 0.85 for a in earlier.values())
    mean = sum(earlier.values()) / 2
    held = score_verdict({"roc_auc": mean - TOLERANCE / 2, "test_cutoff": "2024-11-30"}, earlier)
    assert held["status"] == "holds" and held["n_earlier"] == 2 and held["earlier_first"] == "2024-09-30"
    weaker = score_verdict({"roc_auc": mean - 2 * TOLERANCE, "test_cutoff": "2024-11-30"}, earlier)
    assert weaker["status"] == "weaker" and weaker["latest"] == pytest.approx(mean - 2 * TOLERANCE)
    assert score_verdict({"roc_auc": 0.8, "test_cutoff": "2024-09-30"}, earlier) is None, "nothing before it"
    assert score_verdict({}, earlier) is None


def test_a_fall_within_chance_on_a_small_test_set_still_holds():
    earlier = {"2024-10-31": 0.77}
    small = {"roc_auc": 0.716, "test_cutoff": "2024-11-30", "n_test": 1827, "positive_rate": 0.0274}  # 50 leavers
    assert 0.03 < auc_standard_error(0.716, 50, 1777) < 0.05
    assert score_verdict(small, earlier)["status"] == "holds"
    large = {**small, "n_test": 20000, "positive_rate": 0.03}      # 600 leavers: the same fall is real
    assert score_verdict(large, earlier)["status"] == "weaker"
    assert score_verdict({**large, "roc_auc": 0.765}, earlier)["status"] == "holds", "a fall under TOLERANCE"


def test_the_score_stage_compares_with_the_rows_the_model_was_trained_on(tmp_path):
    """A retailer's lapsed customers are in the features at the training cutoffs but neither trained on nor scored:
    against everybody, every recent-purchase feature would look shifted."""
    import datetime as dt

    from pipeline.stages.score import _drift

    rng = np.random.default_rng(3)
    cutoffs = [dt.date(2024, 1, 31), dt.date(2024, 2, 29)]
    frames = []
    for c in cutoffs:
        active = rng.poisson(2.0, 600) + 1.0                      # bought in the last 90 days: eligible
        lapsed = np.zeros(900)                                     # bought long ago: not labelled
        frames.append(pd.DataFrame({"customer_id": [f"C{i}" for i in range(1500)], "cutoff": c,
                                    "events_purchase_count_90d": np.concatenate([active, lapsed])}))
    features = pd.concat(frames, ignore_index=True)
    (tmp_path / "f").mkdir()
    features.to_parquet(tmp_path / "f/features.parquet")
    labels = features[features["events_purchase_count_90d"] > 0][["customer_id", "cutoff"]].assign(label=0)
    labels.to_parquet(tmp_path / "labels.parquet")
    scored = pd.DataFrame({"customer_id": [f"S{i}" for i in range(600)],
                           "events_purchase_count_90d": rng.poisson(2.0, 600) + 1.0})
    meta = {"split": {"train": [str(c) for c in cutoffs]}, "features": ["events_purchase_count_90d"],
            "categorical": []}
    fmeta = {"cutoffs": [str(c) for c in cutoffs], "score_date": "2024-03-31"}
    args = (tmp_path / "f", meta, fmeta, scored, scored[["customer_id"]], 0.2)
    assert _drift(*args)["drifted"].all(), "against everybody the active customers look shifted"
    assert not _drift(*args, tmp_path / "labels.parquet")["drifted"].any()
