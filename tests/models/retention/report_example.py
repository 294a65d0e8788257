"""A small, made-up but internally consistent report context, for the report tests."""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from models.explain.importance import family_importance
from models.retention.playbook import default_playbook, recommend_actions
from models.retention.reasons.select import top_reasons
from models.retention.report import ReportContext
from models.retention.tiers import assign_tiers
from models.retention.value import value_at_risk


def example_context(n_customers: int = 300, top_n: int = 50, seed: int = 0, language: str = "en") -> ReportContext:
    """Build a small, made-up but realistic report context (for previews and tests).

    Args:
        n_customers: customers in the scored table.
        top_n: rows in the customer table.
        seed: random seed.
        language: language of the reason and action texts.

    Returns:
        A :class:`ReportContext` whose numbers are internally consistent.
    """
    rng = np.random.default_rng(seed)
    n = n_customers
    feats = pd.DataFrame({
        "events_login_count_30d": rng.poisson(12, n).astype(float),
        "events_login_diff_30d_vs_prev_30d": rng.integers(-20, 6, n).astype(float),
        "tickets_complaint_count_90d": rng.poisson(0.8, n).astype(float),
        "tickets_open_count": rng.poisson(0.3, n).astype(float),
        "days_since_last_event": rng.integers(0, 60, n).astype(float),
        "tenure_days": rng.integers(5, 1500, n).astype(float),
        "payment_failed_count_30d": rng.poisson(0.2, n).astype(float),
        "price_change_pct_90d": rng.choice([0.0, 0.0, 5.0, 12.0], n),
        "satisfaction_mean_90d": np.round(rng.uniform(1, 5, n), 1),
        "monthly_fee": rng.choice([19.0, 49.0, 99.0, 249.0], n),
        "plan": rng.choice(["basic", "standard", "premium"], n),
        "region": rng.choice(["Kanto", "Kansai", "EMEA", "North America"], n),
    })
    names = [c for c in feats.columns if c not in ("region",)]
    contrib = rng.normal(0, 0.4, (n, len(names)))
    logit = -2.2 + contrib.sum(1)
    prob = 1 / (1 + np.exp(-logit))
    reasons = top_reasons(feats, contrib, names, language)
    ids = pd.Series([f"C{100000 + i}" for i in range(n)])
    ids.iloc[:2] = ["=HYPERLINK(\"http://x\")", "<b>bold</b>"]
    scored = pd.DataFrame({"customer_id": ids, "churn_probability": prob})
    scored["risk_tier"] = assign_tiers(scored["churn_probability"], "top_share", 0.05, 0.2).to_numpy()
    scored["value_at_risk"] = value_at_risk(scored["churn_probability"], feats["monthly_fee"], 30)
    scored = pd.concat([scored, reasons[["reason_1", "reason_2", "reason_3", "driver_family"]]], axis=1)
    actions = recommend_actions(reasons["driver_family"], feats[["tenure_days", "monthly_fee"]], default_playbook(),
                                language)
    scored["recommended_action"] = actions["recommended_action"]
    scored["action_code"] = actions["action_code"]
    scored[["plan", "region", "tenure_days"]] = feats[["plan", "region", "tenure_days"]]
    scored = scored.sort_values("churn_probability", ascending=False, ignore_index=True)
    scored.insert(0, "rank", np.arange(1, n + 1))
    cutoffs = pd.date_range("2024-01-31", periods=12, freq="ME")
    churn = np.clip(0.045 + 0.006 * np.sin(np.arange(12)) + rng.normal(0, 0.002, 12), 0, 1)
    trend = pd.DataFrame({"cutoff": cutoffs, "churn_rate": churn, "retention_rate": 1 - churn})
    drivers = family_importance(contrib, names)[["family", "share"]]
    return ReportContext(
        as_of=_dt.date(2024, 12, 31),
        customers_scored=n,
        expected_churners=float(prob.sum()),
        revenue_at_risk=float(scored["value_at_risk"].sum()),
        horizon_days=30,
        churn_trend=trend,
        model_quality={"roc_auc": 0.82, "top_decile_lift": 3.1, "n_test": 1843, "test_cutoff": _dt.date(2024, 11, 30)},
        scored=scored,
        driver_importance=drivers,
        drift_warnings=[("events_login_count_30d", 0.27)],
        top_n=top_n,
    )


def retail_context(n_customers: int = 300, top_n: int = 50, seed: int = 1, language: str = "en",
                   currency: str = "USD") -> ReportContext:
    """A made-up retailer (``business.kind: non_contract``): purchases, gaps, expected spend, the retail playbook."""
    rng = np.random.default_rng(seed)
    n = n_customers
    repeat = rng.poisson(2.5, n).astype(float)
    gap = np.where(repeat > 0, rng.uniform(15, 90, n), np.nan)
    since = rng.integers(1, 200, n).astype(float)
    feats = pd.DataFrame({
        "days_since_last_event": since,
        "overdue_ratio": since / gap,
        "gap_mean_days": gap,
        "repeat_active_days": repeat,
        "events_purchase_count_90d": rng.poisson(1.2, n).astype(float),
        "events_purchase_value_sum_365d": np.round(rng.gamma(2, 60, n), 2),
        "tickets_delivery_count_90d": rng.poisson(0.3, n).astype(float),
        "tenure_days": rng.integers(5, 900, n).astype(float),
        "days_since_first_activity": rng.integers(5, 900, n).astype(float),
        "channel": rng.choice(["organic", "paid_social", "referral"], n),
        "region": rng.choice(["north", "south", "east", "west"], n),
    })
    names = [c for c in feats.columns if c != "region"]
    contrib = rng.normal(0, 0.4, (n, len(names)))
    prob = 1 / (1 + np.exp(-(0.3 + contrib.sum(1))))
    reasons = top_reasons(feats, contrib, names, language, profile="non_contract")
    scored = pd.DataFrame({"customer_id": [f"R{100000 + i}" for i in range(n)], "churn_probability": prob})
    scored["risk_tier"] = assign_tiers(scored["churn_probability"], "top_share", 0.05, 0.2).to_numpy()
    scored["customer_value"] = np.round(rng.gamma(2, 80, n), 2)
    scored["value_at_risk"] = scored["churn_probability"] * scored["customer_value"]
    scored = pd.concat([scored, reasons[["reason_1", "reason_2", "reason_3", "driver_family"]]], axis=1)
    segments = feats[["repeat_active_days", "overdue_ratio", "days_since_first_activity"]].assign(
        customer_value=scored["customer_value"], driver_family=reasons["driver_family"])
    actions = recommend_actions(reasons["driver_family"], segments, default_playbook("non_contract"), language,
                                "non_contract")
    scored["recommended_action"] = actions["recommended_action"]
    scored["action_code"] = actions["action_code"]
    scored[["region", "tenure_days"]] = feats[["region", "tenure_days"]]
    scored = scored.sort_values("churn_probability", ascending=False, ignore_index=True)
    scored.insert(0, "rank", np.arange(1, n + 1))
    cutoffs = pd.date_range("2024-01-31", periods=9, freq="ME")
    lapse = np.clip(0.6 + 0.02 * np.sin(np.arange(9)) + rng.normal(0, 0.01, 9), 0, 1)
    trend = pd.DataFrame({"cutoff": cutoffs, "churn_rate": lapse, "retention_rate": 1 - lapse})
    measures = pd.DataFrame({"cutoff": cutoffs.strftime("%Y-%m-%d"),
                             "average_value": 120 + np.cumsum(rng.normal(0, 3, 9)),
                             "csat": np.clip(3.8 + rng.normal(0, 0.1, 9), 1, 5)})
    return ReportContext(
        as_of=_dt.date(2024, 12, 31), customers_scored=n, expected_churners=float(prob.sum()),
        revenue_at_risk=float(scored["value_at_risk"].sum()), horizon_days=90, churn_trend=trend,
        model_quality={"roc_auc": 0.71, "top_decile_lift": 1.4, "n_test": 5524, "test_cutoff": _dt.date(2024, 9, 30),
                       "best_baseline": "bgnbd", "best_baseline_roc_auc": 0.698},
        scored=scored, driver_importance=family_importance(contrib, names)[["family", "share"]],
        drift_warnings=[("events_purchase_count_90d", 0.24)], top_n=top_n, currency=currency,
        profile="non_contract", value_horizon_months=12, measures=measures,
        measure_windows={"average_value": 365, "csat": 90},
    )
