"""PNG versions of the evaluation plots for MLflow, and the SHAP beeswarm (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def render_plots(plots: dict[str, pd.DataFrame], folder: Path, baselines_roc: dict[str, pd.DataFrame]) -> None:
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


def shap_beeswarm(model, test: pd.DataFrame, folder: Path, seed: int, n: int = 2000) -> None:
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
