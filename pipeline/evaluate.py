"""Stage evaluate: out-of-time quality on the latest fully labelled cutoff, baselines, plots and the registry gate.

Reads the model (calibrated, via ``models.predict``) and the labelled
features; on synthetic data also the generator's oracle probabilities
(``data/ground_truth/oracle.parquet``), for the oracle AUC only. Writes
``data/evaluation/test_predictions.parquet`` (customer_id, cutoff, label,
churn_probability), ``data/metrics/metrics.json``, the plot data under
``data/plots/`` and ``data/models/registry.json`` (the registered version and
the gate's decision). Logs metrics, plots and the decision into the training
run. On single-snapshot data the test rows are the out-of-fold predictions.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tempfile
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

from models import metrics as M
from models.baselines import fit_logistic, health_score, health_signals_used, predict_logistic
from models.predict import load_model
from pipeline import config, registry, tracking
from pipeline.io import atomic_path, read_json, remove_outputs, write_json, write_parquet
from pipeline.train import load_training_frame

log = logging.getLogger(__name__)

PLOT_FILES = ("roc.csv", "pr.csv", "calibration.csv", "gains.csv", "profit.csv", "feature_importance.csv")


def _key(*parts: object) -> str:
    """A metric name safe for MLflow and DVC."""
    return "_".join(re.sub(r"[^0-9A-Za-z]+", "_", str(p)).strip("_") or "missing" for p in parts)


def baseline_scores(frame: pd.DataFrame, test: pd.DataFrame, meta: dict, oof_folds: np.ndarray | None,
                    seed: int) -> dict[str, np.ndarray]:
    """Baseline probabilities on the test rows: the rule-based health score and the logistic regression.

    The logistic model is fitted on the training cutoffs only (out of time), or,
    on single-snapshot data, out of fold on the same folds as the model.
    """
    features, categorical = meta["features"], meta["categorical"]
    out = {"health_score": health_score(test)}
    if oof_folds is None:
        train = frame[frame["cutoff"].astype(str).isin(meta["split"]["train"])]
        pipe = fit_logistic(train, train["label"].to_numpy(), features, categorical, seed)
        out["logistic"] = predict_logistic(pipe, test)
    else:
        p = np.zeros(len(test))
        for k in np.unique(oof_folds):
            held = oof_folds == k
            pipe = fit_logistic(test[~held], test["label"].to_numpy()[~held], features, categorical, seed)
            p[held] = predict_logistic(pipe, test[held])
        out["logistic"] = p
    return out


def customer_value(test: pd.DataFrame, ev) -> np.ndarray | None:
    """Value of keeping each customer: params, or ``monthly_fee`` x horizon months; None when neither exists."""
    if ev.customer_value is not None:
        return np.full(len(test), float(ev.customer_value))
    if "monthly_fee" in test.columns:
        return pd.to_numeric(test["monthly_fee"], errors="coerce").to_numpy(dtype=float) * ev.value_horizon_months
    return None


def oracle_auc(preds: pd.DataFrame, oracle_path: Path) -> float | None:
    """ROC-AUC of the generator's true churn probability on the same test rows (synthetic data only)."""
    if not oracle_path.exists():
        return None
    oracle = pd.read_parquet(oracle_path, columns=["customer_id", "cutoff", "oracle_probability"])
    merged = preds.merge(oracle, on=["customer_id", "cutoff"], how="left")
    if merged["oracle_probability"].isna().any():
        log.warning("oracle probabilities missing for %d of %d test rows; oracle AUC skipped",
                    int(merged["oracle_probability"].isna().sum()), len(merged))
        return None
    return float(M.classification_metrics(merged["label"].to_numpy(), merged["oracle_probability"].to_numpy())["roc_auc"])


def evaluate_frame(y: np.ndarray, p: np.ndarray, p_raw: np.ndarray, test: pd.DataFrame,
                   baselines: dict[str, np.ndarray], ev) -> tuple[dict, dict[str, pd.DataFrame]]:
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
    value = customer_value(test, ev)
    if value is not None:
        curve = M.profit_curve(y, p, value, ev.contact_cost, ev.offer_acceptance_rate)
        best, share = M.max_profit(curve)
        metrics.update({"profit_max": best, "profit_max_share_contacted": share,
                        "profit_max_per_customer": best / max(len(y), 1)})
        plots["profit.csv"] = pd.DataFrame(curve)
    else:
        log.warning("no evaluate.customer_value and no monthly_fee column: profit curve skipped")
        plots["profit.csv"] = pd.DataFrame({"share": [], "profit": [], "expected_profit": [], "profit_per_customer": []})
    return metrics, plots


def _render(plots: dict[str, pd.DataFrame], folder: Path, baselines_roc: dict[str, pd.DataFrame]) -> None:
    """PNG versions of the plot tables for MLflow (matplotlib, headless)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    specs = {
        "roc.csv": ("fpr", ["tpr"], "ROC (test)"),
        "pr.csv": ("recall", ["precision"], "Precision-recall (test)"),
        "gains.csv": ("share", ["gain"], "Cumulative gains"),
        "profit.csv": ("share", ["profit", "expected_profit"], "Campaign profit by share contacted"),
    }
    for name, (x, ys, title) in specs.items():
        df = plots[name]
        if df.empty:
            continue
        fig, ax = plt.subplots(figsize=(5, 4))
        for y in ys:
            ax.plot(df[x], df[y], label=y if name != "roc.csv" else "LightGBM")
        if name == "roc.csv":
            for b, bdf in baselines_roc.items():
                ax.plot(bdf["fpr"], bdf["tpr"], label=b, alpha=0.7)
            ax.plot([0, 1], [0, 1], "k:", lw=0.8)
        ax.set(xlabel=x, title=title)
        ax.legend()
        fig.tight_layout()
        fig.savefig(folder / name.replace(".csv", ".png"), dpi=90)
        plt.close(fig)
    cal = plots["calibration.csv"]
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(cal["mean_predicted_uncalibrated"], cal["observed_rate_uncalibrated"], "o-", label="uncalibrated")
    ax.plot(cal["mean_predicted_calibrated"], cal["observed_rate_calibrated"], "o-", label="calibrated")
    top = float(max(cal[["mean_predicted_calibrated", "observed_rate_calibrated"]].max().max(), 1e-3))
    ax.plot([0, top], [0, top], "k:", lw=0.8)
    ax.set(xlabel="mean predicted", ylabel="observed churn rate", title="Reliability (test, deciles)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "calibration.png", dpi=90)
    plt.close(fig)
    imp = plots["feature_importance.csv"].head(20).iloc[::-1]
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.barh(imp["feature"], imp["gain"])
    ax.set(title="Feature importance (gain, top 20)")
    fig.tight_layout()
    fig.savefig(folder / "feature_importance.png", dpi=90)
    plt.close(fig)


def _shap_beeswarm(model, test: pd.DataFrame, folder: Path, seed: int, n: int = 2000) -> None:
    """SHAP beeswarm of the model's raw score on a sample of test rows (DVC image plot and MLflow artifact)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import shap

    sample = test.sample(n=min(n, len(test)), random_state=seed)
    X = model.matrix(sample)
    contrib, _ = model.contributions(sample)
    shown = X.copy()
    for col in model.meta["categorical"]:
        shown[col] = shown[col].cat.codes.astype(float).where(shown[col].notna())
    # shap jitters and shuffles the dots with numpy's global generator: seed it for this plot only,
    # so equal inputs give an equal PNG.
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        shap.summary_plot(contrib, shown, show=False, max_display=20)
    finally:
        np.random.set_state(state)
    plt.gcf().savefig(folder / "shap_beeswarm.png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close("all")


def main(params_path: Path = Path("params.yaml"), features_dir: Path = Path("data/features"),
         labels_path: Path = Path("data/labels/labels.parquet"), model_dir: Path = Path("data/models"),
         predictions_path: Path = Path("data/evaluation/test_predictions.parquet"),
         metrics_path: Path = Path("data/metrics/metrics.json"),
         plots_dir: Path = Path("data/plots"), registry_path: Path = Path("data/models/registry.json"),
         ground_truth_dir: Path = Path("data/ground_truth")) -> dict:
    """Run the evaluate stage from params."""
    params = config.load_params(params_path)
    mp = config.section(params, "mlflow", params_path)
    ev = config.section(params, "evaluate", params_path)
    data = config.section(params, "data", params_path)
    seed = config.section(params, "train", params_path).seed
    plot_paths = [plots_dir / f for f in PLOT_FILES]
    remove_outputs(predictions_path, metrics_path, registry_path, *plot_paths, plots_dir / "shap_beeswarm.png")
    model = load_model(model_dir)
    meta = model.meta
    run_info = read_json(model_dir / "mlflow_run.json")
    run_id = run_info["run_id"]
    frame = load_training_frame(features_dir / "features.parquet", labels_path)
    test_cutoff = dt.date.fromisoformat(meta["split"]["test"])
    if meta.get("mode") == "cv":
        oof = pd.read_parquet(model_dir / "validation_predictions.parquet")
        test = frame.merge(oof[["customer_id", "cutoff", "fold", "uncalibrated_probability", "churn_probability"]],
                           on=["customer_id", "cutoff"], how="inner", validate="one_to_one")
        p, p_raw, folds = (test["churn_probability"].to_numpy(), test["uncalibrated_probability"].to_numpy(),
                           test["fold"].to_numpy())
    else:
        test = frame[frame["cutoff"] == test_cutoff].reset_index(drop=True)
        p, p_raw, folds = model.predict_proba(test), model.uncalibrated_proba(test), None
    y = test["label"].to_numpy()
    preds = pd.DataFrame({"customer_id": test["customer_id"].to_numpy(), "cutoff": test["cutoff"].to_numpy(),
                          "label": y, "churn_probability": p})
    baselines = baseline_scores(frame, test, meta, folds, seed)
    metrics, plots = evaluate_frame(y, p, p_raw, test, baselines, ev)
    if meta.get("mode") == "cv":
        metrics.update(meta.get("cv", {}))
    importance = pd.DataFrame({"feature": model.booster.feature_name(),
                               "gain": model.booster.feature_importance("gain"),
                               "split": model.booster.feature_importance("split")})
    plots["feature_importance.csv"] = importance.sort_values(["gain", "feature"], ascending=[False, True]).round(4)
    if data.source == "synthetic":
        oracle = oracle_auc(preds, ground_truth_dir / "oracle.parquet")
        if oracle is not None:
            metrics["oracle_roc_auc"] = oracle
            metrics["model_to_oracle_auc_ratio"] = metrics["roc_auc"] / oracle
    write_parquet(preds, predictions_path)
    for name, df in plots.items():
        with atomic_path(plots_dir / name) as tmp:
            df.to_csv(tmp, index=False)

    tracking.setup(mp)
    client = MlflowClient()
    data_hash = client.get_run(run_id).data.tags.get("data_hash")
    with mlflow.start_run(run_id=run_id):
        mlflow.log_metrics({f"test_{k}": v for k, v in metrics.items() if isinstance(v, (int, float))})
        mlflow.log_params({"test_cutoff": str(test_cutoff),
                           "baseline.health_signals": ",".join(health_signals_used(test)) or "none"})
        # Tags, not params: evaluate may rerun into the same run with other settings, and params cannot change.
        mlflow.set_tags({f"evaluate.{k}": str(v) for k, v in ev.model_dump().items()})
        with tempfile.TemporaryDirectory() as tmp:
            tmp_dir = Path(tmp)
            for name in plots:
                (tmp_dir / name).write_bytes((plots_dir / name).read_bytes())
            baselines_roc = {f"baseline {n}": pd.DataFrame(M.roc_points(y, s)) for n, s in baselines.items()}
            try:
                _render(plots, tmp_dir, baselines_roc)
            except Exception as exc:  # a plot must never fail the stage; the CSVs are the record
                log.warning("plot rendering failed: %s", exc)
            # The beeswarm is a DVC image plot as well, so it must exist: a failure here is a real error.
            _shap_beeswarm(model, test, tmp_dir, seed)
            with atomic_path(plots_dir / "shap_beeswarm.png") as png:
                png.write_bytes((tmp_dir / "shap_beeswarm.png").read_bytes())
            mlflow.log_artifacts(str(tmp_dir), artifact_path="plots")
        baseline_aucs = {n: metrics[f"baseline_{n}_roc_auc"] for n in baselines}
        gate = registry.register_and_gate(run_info.get("model_uri", f"runs:/{run_id}/model"), run_id, ev.model_name,
                                          metrics["roc_auc"], baseline_aucs, ev.gate_margin, data_hash, client)
    write_json(gate, registry_path)
    write_json({**metrics, "test_cutoff": str(test_cutoff), "mlflow_run_id": run_id}, metrics_path)
    log.info("test %s: ROC-AUC %.4f (health score %.4f, logistic %.4f), top-decile lift %.2f, Brier %.5f -> %.5f",
             test_cutoff, metrics["roc_auc"], baseline_aucs.get("health_score", float("nan")),
             baseline_aucs.get("logistic", float("nan")), metrics["top_decile_lift"], metrics["brier_uncalibrated"],
             metrics["brier"])
    log.info("gate: %s v%s -> %s: %s", gate["model_name"], gate["version"], gate["alias"], gate["reason"])
    return metrics
