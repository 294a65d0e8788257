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
import tempfile
from pathlib import Path

import mlflow
import pandas as pd
import pyarrow.parquet as pq
from mlflow.tracking import MlflowClient

from models.clv.history import BTYD_COLUMNS
from models.evaluation import metrics as M
from models.evaluation.baselines import health_signals_used
from models.evaluation.suite import baseline_scores, evaluate_frame
from models.predict import load_model
from pipeline.core import config, plots, registry, tracking
from pipeline.core.io import atomic_path, read_json, remove_outputs, write_json, write_parquet
from pipeline.core.labelled import load_training_frame

log = logging.getLogger(__name__)

PLOT_FILES = ("roc.csv", "pr.csv", "calibration.csv", "gains.csv", "profit.csv", "feature_importance.csv")


def oracle_auc(preds: pd.DataFrame, oracle_path: Path, column: str = "oracle_probability") -> float | None:
    """ROC-AUC of the generator's true churn probability on the same test rows (synthetic data only).

    ``column``: ``oracle_probability`` (the subscription world's continuation oracle, the probability its labels
    follow) or ``oracle_probability_frozen`` (the first horizon week's hazard held fixed, the earlier figure);
    None if the file or the column is missing.
    """
    if not oracle_path.exists() or column not in pq.read_schema(oracle_path).names:
        return None
    oracle = pd.read_parquet(oracle_path, columns=["customer_id", "cutoff", column])
    merged = preds.merge(oracle, on=["customer_id", "cutoff"], how="left")
    if merged[column].isna().any():
        log.warning("oracle probabilities missing for %d of %d test rows; oracle AUC skipped",
                    int(merged[column].isna().sum()), len(merged))
        return None
    metrics = M.classification_metrics(merged["label"].to_numpy(), merged[column].to_numpy())
    return float(metrics["roc_auc"])


def btyd_histories(features_path: Path, meta: dict) -> pd.DataFrame | None:
    """Every customer's whole-history features at the last training cutoff (BG/NBD's calibration data), or None."""
    train = meta.get("split", {}).get("train") or []
    if meta.get("mode") == "cv" or not train:
        return None
    columns = pq.read_schema(features_path).names
    if not set(BTYD_COLUMNS) <= set(columns):
        return None
    last = dt.date.fromisoformat(max(train))
    return pd.read_parquet(features_path, columns=list(BTYD_COLUMNS), filters=[("cutoff", "==", last)])


def value_histories(features_path: Path, test_cutoff: dt.date) -> pd.DataFrame | None:
    """Everyone's whole-history features at the test cutoff: the non-contract value model's calibration data."""
    columns = pq.read_schema(features_path).names
    wanted = [c for c in columns if c in (*BTYD_COLUMNS, "active_days_all") or c.endswith("_value_sum_all")]
    if not set(BTYD_COLUMNS) <= set(wanted):
        return None
    return pd.read_parquet(features_path, columns=wanted, filters=[("cutoff", "==", test_cutoff)])


def test_rows(frame: pd.DataFrame, model, model_dir: Path, test_cutoff: dt.date):
    """The test rows and their calibrated and raw probabilities (and CV folds on single-snapshot data).

    Out of time, the test cutoff is scored by the trained model; on single-snapshot
    data the test rows are the out-of-fold predictions train wrote.
    """
    if model.meta.get("mode") == "cv":
        oof = pd.read_parquet(model_dir / "validation_predictions.parquet")
        test = frame.merge(oof[["customer_id", "cutoff", "fold", "uncalibrated_probability", "churn_probability"]],
                           on=["customer_id", "cutoff"], how="inner", validate="one_to_one")
        return (test, test["churn_probability"].to_numpy(), test["uncalibrated_probability"].to_numpy(),
                test["fold"].to_numpy())
    test = frame[frame["cutoff"] == test_cutoff].reset_index(drop=True)
    return test, model.predict_proba(test), model.uncalibrated_proba(test), None


def run_description(metrics: dict, baselines: dict[str, float], gate: dict, test_cutoff: str) -> str:
    """The run's one-paragraph description for reviewers: test ROC-AUC against the baselines, and the gate."""
    against = ", ".join(f"{name.replace('_', ' ')} {auc:.3f}" for name, auc in sorted(baselines.items()))
    return (f"Test ROC-AUC {metrics['roc_auc']:.3f} on {test_cutoff} ({metrics['n_test']:,} customers) against the "
            f"baselines: {against}. Top-decile lift {metrics['top_decile_lift']:.2f}. "
            f"Gate: {gate['decision']} ({gate['model_name']} v{gate['version']} is {gate['alias']}): {gate['reason']}.")


def _log_and_gate(client: MlflowClient, run_info: dict, metrics: dict, tables: dict, baselines: dict, fitted: dict,
                  model, test: pd.DataFrame, ev, seed: int, plots_dir: Path, test_cutoff: dt.date) -> dict:
    """Metrics, the test dataset and the plots into the training run; then register the version and gate it."""
    run_id, meta, y = run_info["run_id"], model.meta, test["label"].to_numpy()
    data_hash = client.get_run(run_id).data.tags.get("data_hash")
    with mlflow.start_run(run_id=run_id):
        mlflow.log_metrics({f"test_{k}": v for k, v in metrics.items() if isinstance(v, (int, float))})
        # Fitted, so results rather than settings: metrics, which a rerun of this stage may log again.
        mlflow.log_metrics({f"baseline_{name}_param_{k}": v for name, ps in fitted.items() for k, v in ps.items()})
        # evaluate.* settings are params of the run already: train logs them (dvc.yaml makes train depend on them).
        mlflow.log_params({"test_cutoff": str(test_cutoff),
                           "baseline.health_signals": ",".join(health_signals_used(test)) or "none"})
        tracking.log_test_dataset(client.get_run(run_id), test[["customer_id", "cutoff", *meta["features"], "label"]],
                                  str(test_cutoff))
        with tempfile.TemporaryDirectory() as tmp:
            tmp_dir = Path(tmp)
            for name in tables:
                (tmp_dir / name).write_bytes((plots_dir / name).read_bytes())
            baselines_roc = {f"baseline {n}": pd.DataFrame(M.roc_points(y, s)) for n, s in baselines.items()}
            try:
                plots.render_plots(tables, tmp_dir, baselines_roc)
            except Exception as exc:  # a plot must never fail the stage; the CSVs are the record
                log.warning("plot rendering failed: %s", exc)
            # The beeswarm is a DVC image plot as well, so it must exist: a failure here is a real error.
            plots.shap_beeswarm(model, test, tmp_dir, seed)
            with atomic_path(plots_dir / "shap_beeswarm.png") as png:
                png.write_bytes((tmp_dir / "shap_beeswarm.png").read_bytes())
            mlflow.log_artifacts(str(tmp_dir), artifact_path="plots")
        baseline_aucs = {n: metrics[f"baseline_{n}_roc_auc"] for n in baselines}
        gate = registry.register_and_gate(run_info.get("model_uri", f"runs:/{run_id}/model"), run_id, ev.model_name,
                                          metrics["roc_auc"], baseline_aucs, ev.gate_margin, data_hash, client)
        gate["scoring"] = registry.scoring_choice(gate, meta, client)
        mlflow.set_tag("scoring_version", gate["scoring"]["version"])
    return gate


def main(params_path: Path = Path("params.yaml"), features_dir: Path = Path("data/features"),
         labels_path: Path = Path("data/labels/labels.parquet"), model_dir: Path = Path("data/models"),
         predictions_path: Path = Path("data/evaluation/test_predictions.parquet"),
         metrics_path: Path = Path("data/metrics/metrics.json"),
         plots_dir: Path = Path("data/plots"), registry_path: Path = Path("data/models/registry.json"),
         ground_truth_dir: Path = Path("data/ground_truth")) -> dict:
    """Run the evaluate stage from params."""
    params = config.Params.load(params_path)
    mp = params.mlflow
    ev = params.evaluate
    data = params.data
    seed = params.train.seed
    plot_paths = [plots_dir / f for f in PLOT_FILES]
    remove_outputs(predictions_path, metrics_path, registry_path, *plot_paths, plots_dir / "shap_beeswarm.png")
    model = load_model(model_dir)
    meta = model.meta
    run_info = read_json(model_dir / "mlflow_run.json")
    run_id = run_info["run_id"]
    frame = load_training_frame(features_dir / "features.parquet", labels_path)
    test_cutoff = dt.date.fromisoformat(meta["split"]["test"])
    test, p, p_raw, folds = test_rows(frame, model, model_dir, test_cutoff)
    y = test["label"].to_numpy()
    preds = pd.DataFrame({"customer_id": test["customer_id"].to_numpy(), "cutoff": test["cutoff"].to_numpy(),
                          "label": y, "churn_probability": p})
    baselines, fitted = baseline_scores(frame, test, meta, folds, seed,
                                        btyd_histories(features_dir / "features.parquet", meta))
    kind = params.business_kind
    histories = (value_histories(features_dir / "features.parquet", test_cutoff)
                 if kind == "non_contract" and meta.get("mode") != "cv" else None)
    metrics, tables = evaluate_frame(y, p, p_raw, test, baselines, ev, kind, histories)
    if meta.get("mode") == "cv":
        metrics.update(meta.get("cv", {}))
    importance = pd.DataFrame({"feature": model.booster.feature_name(),
                               "gain": model.booster.feature_importance("gain"),
                               "split": model.booster.feature_importance("split")})
    tables["feature_importance.csv"] = importance.sort_values(["gain", "feature"], ascending=[False, True]).round(4)
    if data.source == "synthetic":
        oracle = oracle_auc(preds, ground_truth_dir / "oracle.parquet")
        if oracle is not None:
            metrics["oracle_roc_auc"] = oracle
            metrics["model_to_oracle_auc_ratio"] = metrics["roc_auc"] / oracle
        frozen = oracle_auc(preds, ground_truth_dir / "oracle.parquet", "oracle_probability_frozen")
        if frozen is not None:   # the earlier oracle, kept for continuity
            metrics["oracle_frozen_roc_auc"] = frozen
            metrics["model_to_oracle_frozen_auc_ratio"] = metrics["roc_auc"] / frozen
    write_parquet(preds, predictions_path)
    for name, df in tables.items():
        with atomic_path(plots_dir / name) as tmp:
            df.to_csv(tmp, index=False)

    tracking.setup(mp)
    client = MlflowClient()
    gate = _log_and_gate(client, run_info, metrics, tables, baselines, fitted, model, test, ev, seed, plots_dir,
                         test_cutoff)
    baseline_aucs = {n: metrics[f"baseline_{n}_roc_auc"] for n in baselines}
    tracking.describe_run(run_id, run_description(metrics, baseline_aucs, gate, str(test_cutoff)))
    write_json(gate, registry_path)
    write_json({**metrics, "test_cutoff": str(test_cutoff), "mlflow_run_id": run_id,
                **({"baseline_parameters": fitted} if fitted else {})}, metrics_path)
    log.info("test %s: ROC-AUC %.4f (baselines: %s), top-decile lift %.2f, Brier %.5f -> %.5f", test_cutoff,
             metrics["roc_auc"], ", ".join(f"{n} {a:.4f}" for n, a in sorted(baseline_aucs.items())),
             metrics["top_decile_lift"], metrics["brier_uncalibrated"], metrics["brier"])
    log.info("gate: %s v%s -> %s: %s", gate["model_name"], gate["version"], gate["alias"], gate["reason"])
    return metrics
