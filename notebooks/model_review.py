# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Model review
#
# Reads the last runs from the MLflow store (read only) and compares them side by side:
# test metrics against the two baselines, calibration, campaign profit, the curves each run
# logged under `plots/`, the quality gate's decision, and the SHAP summary of the latest run.
#
# Run it from the repository root after `dvc repro` (or point `MLFLOW_TRACKING_URI` elsewhere).

# %%
import os

os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from mlflow.tracking import MlflowClient

from pipeline.core import config, tracking
from pipeline.core.repo import repo_root

ROOT = repo_root()
params = config.Params.load(ROOT / "params.yaml")
uri = tracking.tracking_uri(params.mlflow, ROOT)
client = MlflowClient(tracking_uri=uri)
experiment = client.get_experiment_by_name(params.mlflow.experiment)
N_RUNS = int(os.environ.get("MODEL_REVIEW_RUNS", "5"))
print("store:", uri)

# %% [markdown]
# ## The last evaluated runs

# %%
runs = client.search_runs([experiment.experiment_id], filter_string="metrics.test_roc_auc > 0",
                          order_by=["attributes.start_time DESC"], max_results=N_RUNS)
assert runs, "no evaluated run in the store: run `dvc repro` first"
KEYS = ["test_roc_auc", "test_baseline_logistic_roc_auc", "test_baseline_health_score_roc_auc", "test_pr_auc",
        "test_brier_uncalibrated", "test_brier", "test_top_decile_lift", "test_recall_top_10pct",
        "test_profit_max", "test_profit_max_share_contacted", "test_model_to_oracle_auc_ratio"]
table = pd.DataFrame([
    {"run": r.info.run_id[:8], "name": r.info.run_name, "dvc_experiment": r.data.tags.get("dvc_experiment", ""),
     "gate": r.data.tags.get("gate_decision", ""), "version": r.data.tags.get("registered_version", ""),
     **{k.removeprefix("test_"): r.data.metrics.get(k) for k in KEYS}}
    for r in runs
]).set_index("run")
table

# %% [markdown]
# ## Curves side by side
# Each run logged its curve data under `plots/` (the same files DVC plots from `data/plots/`).

# %%
def curve(run_id: str, name: str) -> pd.DataFrame | None:
    try:
        local = client.download_artifacts(run_id, f"plots/{name}")
    except Exception:
        return None
    return pd.read_csv(local)


fig, axes = plt.subplots(1, 4, figsize=(18, 4))
for r in runs:
    label = f"{r.info.run_id[:8]} (AUC {r.data.metrics.get('test_roc_auc', float('nan')):.3f})"
    for ax, (name, x, y) in zip(axes, [("roc.csv", "fpr", "tpr"), ("pr.csv", "recall", "precision"),
                                       ("gains.csv", "share", "gain"), ("profit.csv", "share", "profit")]):
        df = curve(r.info.run_id, name)
        if df is not None and not df.empty:
            ax.plot(df[x], df[y], label=label)
            ax.set(xlabel=x, ylabel=y, title=name.removesuffix(".csv"))
axes[0].plot([0, 1], [0, 1], "k:", lw=0.8)
axes[0].legend(fontsize=7)
fig.tight_layout()

# %% [markdown]
# ## Calibration of the latest run (test deciles)

# %%
cal = curve(runs[0].info.run_id, "calibration.csv")
if cal is not None:
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(cal["mean_predicted_uncalibrated"], cal["observed_rate_uncalibrated"], "o-", label="uncalibrated")
    ax.plot(cal["mean_predicted_calibrated"], cal["observed_rate_calibrated"], "o-", label="calibrated")
    top = cal[["mean_predicted_calibrated", "observed_rate_calibrated"]].to_numpy().max()
    ax.plot([0, top], [0, top], "k:", lw=0.8)
    ax.set(xlabel="mean predicted", ylabel="observed churn rate")
    ax.legend()

# %% [markdown]
# ## Registry: which version is champion

# %%
name = params.evaluate.model_name
# search results leave aliases out; read each recent version back for them
versions = sorted(client.search_model_versions(f"name = '{name}'"), key=lambda v: -int(v.version))[:10]
versions = [client.get_model_version(name, v.version) for v in versions]
pd.DataFrame([{"version": int(v.version), "aliases": ",".join(v.aliases), "decision": v.tags.get("gate_decision"),
               "reason": v.tags.get("gate_reason"), "test_roc_auc": v.tags.get("test_roc_auc"), "run": v.run_id[:8]}
              for v in versions]).sort_values("version", ascending=False).head(10)

# %% [markdown]
# ## SHAP summary of the latest run

# %%
shap_png = None
try:
    shap_png = client.download_artifacts(runs[0].info.run_id, "plots/shap_beeswarm.png")
except Exception:
    pass
if shap_png:
    img = plt.imread(shap_png)
    fig, ax = plt.subplots(figsize=(8, 8))
    ax.imshow(img)
    ax.axis("off")
shap_values = ROOT / "data/explain/shap_values.parquet"
if shap_values.exists():
    sv = pd.read_parquet(shap_values).drop(columns="customer_id")
    display_top = sv.abs().mean().sort_values(ascending=False).head(15).rename("mean |SHAP| (log-odds)")
    print(display_top.to_string())
