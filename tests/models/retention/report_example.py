"""A small, made-up but internally consistent report context, for the report tests."""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from models.explain.importance import family_importance
from models.retention.playbook import default_playbook, recommend_actions
from models.retention.reasons import top_reasons
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
