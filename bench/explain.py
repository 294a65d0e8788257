"""Benchmark: reasons for 1,000,000 customers with the default interventional method, and native TreeSHAP.

The model is trained as the pipeline trains it at the default scale (below
500,000 labelled rows: 7 leaves, learning rate 0.02, ``lambda_l2`` 5, bagging
0.8, feature fraction 0.9, about 560 trees as the default world's model has) on
synthetic random data with about 100 features named after features/catalog.py,
with a ``contract`` column as the reference segment.

**Interventional** (the default ``explain.method``): every customer is explained
exactly as the explain stage does (``explain_customers`` with the default
``explain:`` params: against up to ``reference_size`` customers of the same
contract, driver family, three reasons in English), in chunks of
``--chunk-rows``. Printed: customers/s, wall time, RSS before the step and its
peak, and the ratio to the engine before issue 18 (``bench/treeshap_before.py``)
measured in the same run on the first ``--old-customers`` customers (it is too
slow for all), with the largest difference between the two engines.

**Native** (``--native-customers``, 0 to skip): LightGBM's ``pred_contrib``
against ``shap.TreeExplainer`` and shap's own C++ TreeSHAP, then the reason texts.

Run: ``python -m bench.explain [--customers 1000000] [--rounds 560] [--num-leaves 7]``
"""

from __future__ import annotations

import argparse
import time

import lightgbm as lgb
import numpy as np
import pandas as pd

from bench.treeshap_before import interventional_contributions as before_contributions
from models.explain.native import shap_contributions, treeexplainer_contributions
from models.explain.reference import reference_groups, reference_risk
from models.explain.treeshap import interventional_contributions, reference_tables
from models.retention.drivers import driver_first
from models.retention.explain_customers import CHUNK_ROWS, explain_customers
from models.retention.reasons.select import top_reasons
from pipeline.core.config import ExplainParams

CATEGORICAL = ("plan", "region", "contract")
EVENT_TYPES = ("login", "session", "purchase", "feature_use", "page_view", "support_chat", "export", "invite",
               "nps", "plan_change")


def synthetic_features(n: int, seed: int = 0) -> pd.DataFrame:
    """Random features whose names follow the catalog patterns (about 100 columns), contract included."""
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    for t in EVENT_TYPES:
        for w in (7, 30, 90):
            cols[f"events_{t}_count_{w}d"] = rng.poisson(w / 3, n).astype(float)
        cols[f"events_{t}_value_sum_30d"] = rng.gamma(2, 20, n)
        cols[f"events_{t}_change_30d_vs_prev_30d"] = rng.uniform(-1, 1.5, n)
        cols[f"events_{t}_diff_30d_vs_prev_30d"] = rng.integers(-15, 10, n).astype(float)
    for w in (7, 30, 90):
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
    frame["contract"] = pd.Categorical(rng.choice(["monthly", "annual"], n, p=[0.6, 0.4]))
    return frame


def churn_labels(X: pd.DataFrame, seed: int = 1) -> np.ndarray:
    """Churn from usage decline, complaints, inactivity, early tenure, failed payments and the contract."""
    rng = np.random.default_rng(seed)
    logit = (-2.5 + 0.08 * (10 - X["events_login_count_30d"]) + 0.5 * X["tickets_complaint_count_90d"]
             - 0.6 * X["events_session_change_30d_vs_prev_30d"] + 0.015 * X["days_since_last_event"]
             + 0.6 * (X["tenure_days"] < 120) + 0.8 * X["payment_failed_count_30d"]
             + 0.9 * (X["contract"] == "monthly") - 0.02 * X["active_days_30d"])
    return (rng.random(len(X)) < 1 / (1 + np.exp(-logit.to_numpy(dtype=float)))).astype(int)


def train_model(X: pd.DataFrame, y: np.ndarray, rounds: int, num_leaves: int, learning_rate: float,
                threads: int) -> lgb.Booster:
    """A booster with the pipeline's training defaults (``train:`` in params.yaml), a fixed number of rounds."""
    params = {"objective": "binary", "verbose": -1, "num_leaves": num_leaves, "learning_rate": learning_rate,
              "min_child_samples": 50, "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1,
              "lambda_l2": 5.0, "num_threads": threads, "seed": 42}
    return lgb.train(params, lgb.Dataset(X, y), num_boost_round=rounds)


def _rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB (peak since the last :func:`_reset_peak`)."""
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # Linux: reset the peak RSS to the current RSS
        return True
    except OSError:
        return False


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def _meta(X: pd.DataFrame) -> dict:
    return {"features": list(X.columns), "categorical": list(CATEGORICAL),
            "levels": {c: sorted(map(str, X[c].cat.categories)) for c in CATEGORICAL}}


def _before_path(booster: lgb.Booster, X: pd.DataFrame, sub: pd.DataFrame, ep: ExplainParams) -> tuple:
    """The explanation before issue 18 for ``sub``: its engine per contract against the same reference, then reasons."""
    risk = np.zeros(len(X)) if ep.reference_quantile >= 1 else np.concatenate(  # as explain_customers does
        [reference_risk(booster, X.iloc[s:s + CHUNK_ROWS]) for s in range(0, len(X), CHUNK_ROWS)])
    groups = reference_groups(X["contract"], risk, ep.reference_quantile, ep.reference_size)
    names = list(X.columns)
    contrib, new, t_old, t_new, t_tables = np.zeros(sub.shape), np.zeros(sub.shape), 0.0, 0.0, 0.0
    for key in groups:
        rows = np.flatnonzero((sub["contract"].astype(str) == key).to_numpy())
        (c, _), t = _timed(before_contributions, booster, sub.iloc[rows], X.iloc[groups[key]])
        tables, t1 = _timed(reference_tables, booster, X.iloc[groups[key]])
        (n, _), t2 = _timed(interventional_contributions, booster, sub.iloc[rows], tables)
        contrib[rows], new[rows] = c, n
        t_old, t_new, t_tables = t_old + t, t_new + t2, t_tables + t1
    tenure = sub["tenure_days"].to_numpy()
    _, t_reasons = _timed(lambda: top_reasons(sub, driver_first(contrib, names, tenure), names, "en", ep.top_k))
    return t_old, t_tables, t_new, t_reasons, float(np.abs(contrib - new).max())


def bench_interventional(booster: lgb.Booster, args: argparse.Namespace) -> None:
    """Explain ``--customers`` customers as the explain stage does and print the figures."""
    ep = ExplainParams()
    X = synthetic_features(args.customers, seed=3)
    print(f"interventional: {len(X):,} customers × {X.shape[1]} features; explain params {ep.model_dump()}; "
          f"chunks of {args.chunk_rows:,}", flush=True)
    rss_before, _ = _rss_mb()
    reset = _reset_peak()
    (reasons, contrib, base, reference), secs = _timed(explain_customers, booster, _meta(X), X, X, ep, "en",
                                                       chunk_rows=args.chunk_rows)
    _, peak = _rss_mb()
    raw = np.concatenate([booster.predict(X.iloc[s:s + CHUNK_ROWS], raw_score=True)
                          for s in range(0, len(X), CHUNK_ROWS)])
    gap = float(np.abs(contrib.sum(1) + base - raw).max())
    print(f"  explain_customers: {secs:8.1f} s wall  {len(X) / secs:>10,.0f} customers/s  "
          f"RSS {rss_before:,.0f} MB before, peak {peak:,.0f} MB during{'' if reset else ' (process peak)'}; "
          f"additivity gap {gap:.1e}; reasons per customer {float((reasons['reason_1'] != '').mean()):.3f}",
          flush=True)
    sub = X.iloc[: args.old_customers]
    t_old, t_tables, t_new, t_reasons, diff = _before_path(booster, X, sub, ep)
    m = len(sub)
    print(f"  on the first {m:,} customers: engine before {t_old:6.1f} s ({m / t_old:,.0f}/s); now tables "
          f"{t_tables:.2f} s (once per reference set) + {t_new:.2f} s ({m / t_new:,.0f}/s): {t_old / t_new:5.1f}× "
          f"without the tables, {t_old / (t_new + t_tables):5.1f}× with them; max |difference| {diff:.1e}")
    before_rate = m / (t_old + t_reasons)
    print(f"  path before (engine + reasons): {before_rate:,.0f} customers/s -> {len(X) / before_rate / 60:.1f} min "
          f"for {len(X):,}; now {len(X) / secs:,.0f} customers/s: ratio {len(X) / secs / before_rate:.1f}×",
          flush=True)


def bench_native(booster: lgb.Booster, X_train: pd.DataFrame, y: np.ndarray, args: argparse.Namespace) -> None:
    """Native TreeSHAP against shap, and the reason-text step (the earlier benchmark)."""
    X = synthetic_features(args.native_customers, seed=4)
    numeric_cols = [c for c in X.columns if c not in CATEGORICAL]
    booster_num = train_model(X_train[numeric_cols], y, args.rounds, args.num_leaves, args.learning_rate,
                              args.threads)
    (native, _), t_native = _timed(shap_contributions, booster, X)
    (te, _), t_te = _timed(treeexplainer_contributions, booster, X)
    assert np.allclose(native, te)
    sample = X[numeric_cols].iloc[: args.internal_sample]
    (native_num, _), t_native_num = _timed(shap_contributions, booster_num, sample)
    (internal, _), t_internal = _timed(treeexplainer_contributions, booster_num, sample, "shap_internal")
    assert np.allclose(native_num, internal, atol=1e-6)
    _, t_en = _timed(top_reasons, X, native, booster.feature_name(), "en")
    _, t_ja = _timed(top_reasons, X, native, booster.feature_name(), "ja")
    n, m = len(X), len(sample)
    for name, count, secs in (
        ("native LightGBM TreeSHAP (pred_contrib)", n, t_native),
        ("shap.TreeExplainer default (delegates to pred_contrib)", n, t_te),
        ("native LightGBM TreeSHAP, numeric-only model", m, t_native_num),
        ("shap.TreeExplainer shap_internal, numeric-only model", m, t_internal),
        ("reason texts, en (top 3)", n, t_en),
        ("reason texts, ja (top 3)", n, t_ja),
    ):
        print(f"{name:56s} {count:>8,} rows {secs:8.2f} s  {count / secs:>10,.0f} customers/s", flush=True)
    print(f"ratio TreeExplainer default / native:        {t_te / t_native:5.2f}×")
    print(f"ratio shap_internal / native (numeric model): {t_internal / t_native_num:5.2f}×")


def main(argv: list[str] | None = None) -> None:
    """Train a model as the pipeline does on random data and print customers per second for each step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--train-rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=560, help="trees (the default world's model has about 560)")
    parser.add_argument("--num-leaves", type=int, default=7)
    parser.add_argument("--learning-rate", type=float, default=0.02)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS)
    parser.add_argument("--old-customers", type=int, default=20_000,
                        help="customers explained by the engine before issue 18, for the ratio")
    parser.add_argument("--native-customers", type=int, default=100_000, help="0: skip the native comparison")
    parser.add_argument("--internal-sample", type=int, default=10_000,
                        help="customers for shap's own (single-threaded, slow) TreeSHAP; rate is per customer")
    args = parser.parse_args(argv)
    load = open("/proc/loadavg").read().split()[:3]
    print(f"load average at start: {' '.join(load)}", flush=True)
    X_train = synthetic_features(args.train_rows, seed=0)
    y = churn_labels(X_train)
    booster, t_train = _timed(train_model, X_train, y, args.rounds, args.num_leaves, args.learning_rate,
                              args.threads)
    leaves = [t["num_leaves"] for t in booster.dump_model()["tree_info"]]
    print(f"model: {len(leaves)} trees, {np.mean(leaves):.1f} leaves on average (num_leaves {args.num_leaves}, "
          f"learning rate {args.learning_rate}), trained on {len(X_train):,} rows in {t_train:.0f} s", flush=True)
    bench_interventional(booster, args)
    if args.native_customers:
        bench_native(booster, X_train, y, args)
    print(f"load average at the end: {' '.join(open('/proc/loadavg').read().split()[:3])}")


if __name__ == "__main__":
    main()
