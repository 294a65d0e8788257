"""Stage uplift: who a contact saves, learnt from the measured campaigns' random holdouts.

Reads the validated ``contacts`` table (a campaign's assigned customers, contact or holdout), the labels (churn
within ``label.horizon_days`` of each cutoff), the features at each campaign's date and the churn model (its
model matrix, and its churn probability at the campaign's date: the risk ranking the uplift model must beat).
A campaign is used once its date is a labelled cutoff (its horizon has passed), as the measure stage measures it.
Fits the cross-fitted T- and DR-learners (``models/uplift/``), chooses between them and risk ranking by Qini
(out of fold on one campaign, out of time on several), and writes ``data/models/uplift_model.json`` (the chosen
model, or none, and the ``targeting_basis`` sentence the score stage puts on the list),
``data/metrics/uplift_metrics.json`` (dvc metrics) and ``data/plots/uplift_curves.csv`` (Qini and profit
curves per ranking), all logged to MLflow. With no campaign measured yet it writes the cold start: no model, and
the list is ranked by churn risk x value.
"""

from __future__ import annotations

import logging
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from models.predict import load_model
from models.uplift.learners import UpliftConfig
from models.uplift.metrics import profit_curve, qini_curve
from models.uplift.rows import campaign_dates, training_rows
from models.uplift.select import Selection, choose, cold_start
from pipeline.core import config, tracking
from pipeline.core.errors import DataError
from pipeline.core.io import atomic_path, read_json, remove_outputs, write_json

log = logging.getLogger(__name__)


def measured_rows(contacts: pd.DataFrame, contacts_path: Path, features_path: Path, labels_path: Path,
                  churn) -> tuple[pd.DataFrame, dict]:
    """The training rows of the campaigns whose date is a labelled cutoff, with the churn model's probability."""
    try:
        contacts = contacts.assign(campaign_date=campaign_dates(contacts).to_numpy())
    except ValueError as err:
        raise DataError(f"{contacts_path}: {err}") from None
    labelled = set(pd.to_datetime(pd.read_parquet(labels_path, columns=["cutoff"])["cutoff"].unique()))
    ready = contacts["campaign_date"].isin(labelled)
    waiting = sorted(contacts.loc[~ready, "campaign_id"].astype(str).unique())
    dates = sorted({d.date() for d in contacts.loc[ready, "campaign_date"]})
    counts = {"campaigns_waiting": len(waiting)}
    if not dates:
        return pd.DataFrame(), counts
    features = churn.meta["features"]
    feats = pd.read_parquet(features_path, columns=["cutoff", "customer_id", *features],
                            filters=[("cutoff", "in", dates)])
    labels = pd.read_parquet(labels_path, columns=["cutoff", "customer_id", "label"], filters=[("cutoff", "in", dates)])
    rows, dropped = training_rows(contacts[ready], feats, labels, features)
    for reason, n in vars(dropped).items():
        if n:
            log.warning("uplift: %d assigned customers left out (%s)", n, reason.replace("_", " "))
    rows["churn_probability"] = churn.predict_proba(rows) if len(rows) else []
    counts.update({f"rows_{k}": v for k, v in vars(dropped).items()})
    return rows, counts


def curves(rows: pd.DataFrame, predictions: dict[str, np.ndarray], contact_cost: float) -> pd.DataFrame:
    """Qini and profit curves per ranking (held-out predictions) on the rows judged on (101 depths each)."""
    parts = []
    t, y = rows["treated"].to_numpy(), rows["churned"].to_numpy()
    value = rows["customer_value"].fillna(0.0).to_numpy()
    for name, score in predictions.items():
        q = qini_curve(score, t, y)
        prof = profit_curve(score, t, y, value, contact_cost)
        parts.append(prof.assign(ranking=name, qini=q[prof["n_contacted"].to_numpy()]))
    return pd.concat(parts, ignore_index=True)[["ranking", "n_contacted", "qini", "saved_value", "cost", "profit"]]


def main(params_path: Path = Path("params.yaml"), validated_dir: Path = Path("data/interim/validated"),
         labels_path: Path = Path("data/labels/labels.parquet"),
         features_path: Path = Path("data/features/features.parquet"), model_dir: Path = Path("data/models"),
         uplift_path: Path = Path("data/models/uplift_model.json"),
         metrics_path: Path = Path("data/metrics/uplift_metrics.json"),
         curves_path: Path = Path("data/plots/uplift_curves.csv")) -> Selection:
    """Run the uplift stage from params."""
    params = config.Params.load(params_path)
    tp, ep = params.train, params.evaluate
    remove_outputs(uplift_path, metrics_path, curves_path)
    contacts_path = validated_dir / "contacts.parquet"
    contacts = pd.read_parquet(contacts_path)
    churn = load_model(model_dir)
    rows, counts = (measured_rows(contacts, contacts_path, features_path, labels_path, churn) if len(contacts)
                    else (pd.DataFrame(), {"campaigns_waiting": 0}))
    sel, model, table = cold_start(), None, pd.DataFrame(columns=["ranking", "n_contacted", "qini", "saved_value",
                                                                  "cost", "profit"])
    if len(rows):
        X = churn.matrix(rows)
        sel, model = choose(rows, X, UpliftConfig(seed=tp.seed, num_threads=tp.num_threads))
        table = curves(rows[sel.judged], sel.scores, ep.contact_cost)
    summary = {**sel.summary(), "training_rows": len(rows), "campaigns_used": int(rows["campaign_id"].nunique())
               if len(rows) else 0, **counts}
    write_json({"selection": summary, "model": model.to_dict() if model is not None else None}, uplift_path)
    write_json(summary, metrics_path)
    with atomic_path(curves_path) as tmp:
        table.round(6).to_csv(tmp, index=False)
    _log(params.mlflow, model_dir, sel, summary, curves_path, uplift_path)
    log.info("uplift: %s", sel.targeting_basis)
    return sel


def _log(mp: config.MlflowParams, model_dir: Path, sel: Selection, summary: dict, curves_path: Path,
         uplift_path: Path) -> None:
    tracking.setup(mp)
    with mlflow.start_run(run_id=read_json(model_dir / "mlflow_run.json")["run_id"]):
        mlflow.set_tag("targeting_basis", sel.targeting_basis)
        mlflow.log_metric("uplift_training_rows", summary["training_rows"])
        for name, (q, lo, hi) in sel.qini.items():
            mlflow.log_metrics({f"uplift_qini_{name}": q, f"uplift_qini_{name}_lower": lo,
                                f"uplift_qini_{name}_upper": hi})
        mlflow.log_artifact(str(curves_path), artifact_path="uplift")
        mlflow.log_artifact(str(uplift_path), artifact_path="uplift")

