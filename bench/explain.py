"""Benchmark: reasons for 100,000 customers.

Times native LightGBM TreeSHAP (``pred_contrib``) against ``shap.TreeExplainer``
(its default, which hands LightGBM boosters to the same ``pred_contrib``, and
shap's own C++ TreeSHAP forced with ``algorithm="shap_internal"``), then the
reason-text step, on a model trained on synthetic random data with ~60
features named after features/catalog.py.

Run: ``python -m bench.explain [--customers 100000] [--rounds 200]``
"""

from __future__ import annotations

import argparse
import time

import lightgbm as lgb
import numpy as np
import pandas as pd

from models.explain.native import shap_contributions, treeexplainer_contributions
from models.retention.reasons import top_reasons


def synthetic_features(n: int, seed: int = 0) -> pd.DataFrame:
    """Random features whose names follow the catalog patterns (about 60 columns)."""
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    for t in ("login", "session", "purchase", "feature_use", "page_view"):
        for w in (7, 30, 90):
            cols[f"events_{t}_count_{w}d"] = rng.poisson(w / 3, n).astype(float)
        cols[f"events_{t}_value_sum_30d"] = rng.gamma(2, 20, n)
        cols[f"events_{t}_change_30d_vs_prev_30d"] = rng.uniform(-1, 1.5, n)
        cols[f"events_{t}_diff_30d_vs_prev_30d"] = rng.integers(-15, 10, n).astype(float)
    for w in (30, 90):
        cols[f"events_total_count_{w}d"] = rng.poisson(w, n).astype(float)
        cols[f"usage_weekly_slope_{w}d"] = rng.normal(0, 2, n)
        cols[f"active_days_{w}d"] = rng.integers(0, w, n).astype(float)
        cols[f"distinct_event_types_{w}d"] = rng.integers(0, 6, n).astype(float)
        cols[f"longest_gap_days_{w}d"] = rng.integers(0, w, n).astype(float)
        cols[f"tickets_count_{w}d"] = rng.poisson(1, n).astype(float)
        cols[f"tickets_complaint_count_{w}d"] = rng.poisson(0.5, n).astype(float)
        cols[f"satisfaction_mean_{w}d"] = np.where(rng.random(n) < 0.4, np.nan, rng.uniform(1, 5, n))
        cols[f"payment_failed_count_{w}d"] = rng.poisson(0.2, n).astype(float)
        cols[f"price_change_pct_{w}d"] = rng.choice([0.0, 5.0, 12.0], n)
    cols["days_since_last_event"] = rng.integers(0, 90, n).astype(float)
    cols["weeks_active_share_90d"] = rng.uniform(0, 1, n)
    cols["nps_last_score"] = np.where(rng.random(n) < 0.5, np.nan, rng.integers(0, 11, n))
    cols["tenure_days"] = rng.integers(1, 2000, n).astype(float)
    cols["days_to_renewal"] = rng.integers(-10, 365, n).astype(float)
    cols["tickets_open_count"] = rng.poisson(0.3, n).astype(float)
    cols["monthly_fee"] = rng.choice([19.0, 49.0, 99.0], n)
    frame = pd.DataFrame(cols)
    frame["plan"] = pd.Categorical(rng.choice(["basic", "standard", "premium"], n))
    frame["region"] = pd.Categorical(rng.choice(["EMEA", "APAC", "Americas"], n))
    return frame


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    """Train a model on random data and print customers per second for each step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--internal-sample", type=int, default=10_000,
                        help="customers for shap's own (single-threaded, slow) TreeSHAP; rate is per customer")
    args = parser.parse_args(argv)

    X = synthetic_features(args.customers)
    numeric = X.drop(columns=["plan", "region"])
    rng = np.random.default_rng(1)
    logit = -2 + 0.08 * (10 - X["events_login_count_30d"]) + 0.5 * X["tickets_complaint_count_90d"]
    y = (rng.random(len(X)) < 1 / (1 + np.exp(-logit))).astype(int)
    params = {"objective": "binary", "verbose": -1, "num_leaves": 31, "learning_rate": 0.05,
              "num_threads": args.threads, "seed": 0}
    booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=args.rounds)
    booster_num = lgb.train(params, lgb.Dataset(numeric, y), num_boost_round=args.rounds)
    n, p = X.shape
    print(f"{n:,} customers × {p} features, {args.rounds} trees of up to 31 leaves, {args.threads} threads", flush=True)

    (native, _), t_native = _timed(shap_contributions, booster, X)
    (te, _), t_te = _timed(treeexplainer_contributions, booster, X)
    assert np.allclose(native, te)
    sample = numeric.iloc[: args.internal_sample]
    (native_num, _), t_native_num = _timed(shap_contributions, booster_num, sample)
    (internal, _), t_internal = _timed(treeexplainer_contributions, booster_num, sample, "shap_internal")
    assert np.allclose(native_num, internal, atol=1e-6)
    _, t_en = _timed(top_reasons, X, native, booster.feature_name(), "en")
    _, t_ja = _timed(top_reasons, X, native, booster.feature_name(), "ja")

    m = len(sample)
    rows = [
        ("native LightGBM TreeSHAP (pred_contrib)", n, t_native),
        ("shap.TreeExplainer default (delegates to pred_contrib)", n, t_te),
        ("native LightGBM TreeSHAP, numeric-only model", m, t_native_num),
        ("shap.TreeExplainer shap_internal, numeric-only model", m, t_internal),
        ("reason texts, en (top 3)", n, t_en),
        ("reason texts, ja (top 3)", n, t_ja),
    ]
    for name, count, secs in rows:
        print(f"{name:56s} {count:>8,} rows {secs:8.2f} s  {count / secs:>10,.0f} customers/s", flush=True)
    print(f"ratio TreeExplainer default / native:        {t_te / t_native:5.2f}×")
    print(f"ratio shap_internal / native (numeric model): {t_internal / t_native_num:5.2f}×")
    print(f"end to end (native SHAP + en reasons): {n / (t_native + t_en):,.0f} customers/s")


if __name__ == "__main__":
    main()
