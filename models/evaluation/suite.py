"""Every test metric of a run: the model's, the baselines' on the same rows, segments, money, and the plot tables."""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from models.clv.spend import expected_spend, spend_event_type
from models.evaluation import metrics as M
from models.evaluation.baselines import (
    bgnbd_scores,
    fit_logistic,
    health_score,
    predict_logistic,
    recency_frequency_scores,
)

log = logging.getLogger(__name__)


def _key(*parts: object) -> str:
    """A metric name safe for MLflow and DVC."""
    return "_".join(re.sub(r"[^0-9A-Za-z]+", "_", str(p)).strip("_") or "missing" for p in parts)


def baseline_scores(frame: pd.DataFrame, test: pd.DataFrame, meta: dict, oof_folds: np.ndarray | None,
                    seed: int, histories: pd.DataFrame | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Baseline scores on the test rows, and what was fitted for them (BG/NBD's parameters).

    The health score, recency and frequency alone have nothing to fit. The
    logistic model is fitted on the training cutoffs only (out of time), or, on
    single-snapshot data, out of fold on the same folds as the model. BG/NBD is
    the inactivity-mode baseline, fitted on the last training cutoff: on
    ``histories`` (every customer's whole-history features there, as the field
    fits it on all customers, not only those recently active) or else on that
    cutoff's labelled rows.
    """
    features, categorical = meta["features"], meta["categorical"]
    out = {"health_score": health_score(test), **recency_frequency_scores(test)}
    fitted: dict = {}
    if oof_folds is None:
        train = frame[frame["cutoff"].astype(str).isin(meta["split"]["train"])]
        pipe = fit_logistic(train, train["label"].to_numpy(), features, categorical, seed)
        out["logistic"] = predict_logistic(pipe, test)
        if meta.get("lineage", {}).get("label_mode") == "inactivity":
            last = histories if histories is not None else \
                train[train["cutoff"].astype(str) == max(meta["split"]["train"])]
            scores, params = bgnbd_scores(last, test, int(meta["horizon_days"]))
            out.update(scores)
            fitted = {"bgnbd": params} if params else {}
    else:
        p = np.zeros(len(test))
        for k in np.unique(oof_folds):
            held = oof_folds == k
            pipe = fit_logistic(test[~held], test["label"].to_numpy()[~held], features, categorical, seed)
            p[held] = predict_logistic(pipe, test[held])
        out["logistic"] = p
    return out, fitted


def best_baseline(metrics: dict, baselines: dict) -> dict:
    """The best-scoring baseline of the run (by test ROC-AUC) and the model's margin over it; empty if none scored."""
    aucs = {n: metrics[f"baseline_{n}_roc_auc"] for n in baselines
            if not np.isnan(metrics.get(f"baseline_{n}_roc_auc", float("nan")))}
    if not aucs:
        return {}
    name = max(sorted(aucs), key=lambda n: aucs[n])
    return {"best_baseline": name, "best_baseline_roc_auc": aucs[name],
            "roc_auc_minus_best_baseline": metrics["roc_auc"] - aucs[name]}


def customer_value(test: pd.DataFrame, ev, kind: str = "subscription",
                   histories: pd.DataFrame | None = None) -> np.ndarray | None:
    """Value of keeping each customer: ``evaluate.customer_value``; else for a subscription ``monthly_fee`` ×
    ``value_horizon_months``, for a non-contract business the expected spend over those months
    (``models/clv/spend.py``, fitted on ``histories``, everyone at the test cutoff); None without either."""
    if ev.customer_value is not None:
        return np.full(len(test), float(ev.customer_value))
    if kind == "non_contract":
        spend = spend_event_type(list(test.columns))
        if spend is None or histories is None or f"events_{spend}_value_sum_all" not in histories.columns:
            return None
        return expected_spend(histories, test, spend, ev.value_horizon_months)[0]
    if "monthly_fee" in test.columns:
        return pd.to_numeric(test["monthly_fee"], errors="coerce").to_numpy(dtype=float) * ev.value_horizon_months
    return None


def evaluate_frame(y: np.ndarray, p: np.ndarray, p_raw: np.ndarray, test: pd.DataFrame,
                   baselines: dict[str, np.ndarray], ev, kind: str = "subscription",
                   histories: pd.DataFrame | None = None) -> tuple[dict, dict[str, pd.DataFrame]]:
    """All test metrics and the plot tables, from labels and probabilities."""
    metrics = M.classification_metrics(y, p)
    raw = M.classification_metrics(y, p_raw)
    metrics.update({"brier_uncalibrated": raw["brier"], "log_loss_uncalibrated": raw["log_loss"],
                    "roc_auc_uncalibrated": raw["roc_auc"],
                    "recall_top_10pct": M.recall_top_fraction(y, p, 0.1)})
    for k in ev.precision_at_k:
        metrics[f"precision_at_{k}"] = M.precision_at_k(y, p, k)
    for attr in ev.segments:
        if attr not in test.columns:
            log.warning("segment attribute %r is not a column of the test rows; skipped", attr)
            continue
        for value, auc in M.segment_auc(y, p, test[attr].to_numpy()).items():
            metrics[_key("roc_auc", attr, value)] = auc
    for name, score in baselines.items():
        b = M.classification_metrics(y, score)
        for key in ("roc_auc", "pr_auc", "top_decile_lift"):
            metrics[f"baseline_{name}_{key}"] = b[key]
    metrics.update(best_baseline(metrics, baselines))
    plots = {
        "roc.csv": pd.DataFrame(M.roc_points(y, p)),
        "pr.csv": pd.DataFrame(M.pr_points(y, p)),
        "gains.csv": pd.DataFrame(M.gains(y, p)).round(6),
    }
    cal = pd.DataFrame(M.reliability(y, p)).rename(columns={"mean_predicted": "mean_predicted_calibrated",
                                                            "observed_rate": "observed_rate_calibrated"})
    unc = pd.DataFrame(M.reliability(y, p_raw))[["mean_predicted", "observed_rate"]].rename(
        columns={"mean_predicted": "mean_predicted_uncalibrated", "observed_rate": "observed_rate_uncalibrated"})
    plots["calibration.csv"] = pd.concat([cal, unc], axis=1)
    value = customer_value(test, ev, kind, histories)
    if value is not None:
        curve = M.profit_curve(y, p, value, ev.contact_cost, ev.offer_acceptance_rate)
        best, share = M.max_profit(curve)
        metrics.update({"profit_max": best, "profit_max_share_contacted": share,
                        "profit_max_per_customer": best / max(len(y), 1)})
        plots["profit.csv"] = pd.DataFrame(curve)
    else:
        log.warning("no evaluate.customer_value and no fee or spend in the data: profit curve skipped")
        plots["profit.csv"] = pd.DataFrame({"share": [], "profit": [], "expected_profit": [],
                                            "profit_per_customer": []})
    return metrics, plots
