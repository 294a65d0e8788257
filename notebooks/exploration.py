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
# # Exploration: churn over time and what churners look like
#
# This notebook only **reads** the pipeline's outputs (run `dvc repro` first, from the repository root):
#
# - `data/labels/label_summary.csv`: eligible customers, churners, churn and retention rate per cutoff;
# - `data/features/features.parquet` and `data/labels/labels.parquet`: one row per customer and cutoff;
# - `data/features/feature_dictionary.csv`: what each feature means.
#
# It writes nothing. Anything worth repeating belongs in `features/` or `models/`.

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

ROOT = Path.cwd()
while not (ROOT / "dvc.yaml").exists() and ROOT != ROOT.parent:
    ROOT = ROOT.parent  # run from notebooks/ or from the repository root
DATA = ROOT / "data"
for path in (DATA / "labels/label_summary.csv", DATA / "labels/labels.parquet",
             DATA / "features/features.parquet", DATA / "features/feature_dictionary.csv"):
    assert path.exists(), f"{path} is missing: run `dvc repro` first"

# %% [markdown]
# ## Churn and retention rate over time
#
# One point per labelled cutoff: the share of customers eligible at the cutoff who churned within the horizon.

# %%
summary = pd.read_csv(DATA / "labels/label_summary.csv", parse_dates=["cutoff"])
fig, ax = plt.subplots(1, 2, figsize=(11, 3.5))
ax[0].plot(summary["cutoff"], summary["churn_rate"], marker="o")
ax[0].set_title("Churn rate per cutoff")
ax[0].set_ylabel("share of eligible customers")
ax[1].plot(summary["cutoff"], summary["retention_rate"], marker="o", color="tab:green")
ax[1].set_title("Retention rate per cutoff")
for a in ax:
    a.tick_params(axis="x", rotation=45)
fig.tight_layout()
summary.assign(cutoff=summary["cutoff"].dt.date)

# %% [markdown]
# ## Features of churners vs stayers
#
# Features at each labelled cutoff joined with the label at that cutoff (the same inner join the train
# stage makes). The table ranks features by how far apart the two groups are (difference of means in
# pooled standard deviations); the plots show the distributions of the most separating ones.

# %%
labels = pd.read_parquet(DATA / "labels/labels.parquet")
features = pd.read_parquet(DATA / "features/features.parquet")
for frame in (labels, features):
    frame["cutoff"] = pd.to_datetime(frame["cutoff"])
rows = features.merge(labels, on=["customer_id", "cutoff"], how="inner")
dictionary = pd.read_csv(DATA / "features/feature_dictionary.csv")
numeric = [f for f in dictionary["feature"] if f in rows and pd.api.types.is_numeric_dtype(rows[f])]
churn, stay = rows[rows["label"] == 1], rows[rows["label"] == 0]
print(f"{len(rows):,} labelled rows: {len(churn):,} churners, {len(stay):,} stayers")

pooled = np.sqrt((churn[numeric].var() + stay[numeric].var()) / 2).replace(0, np.nan)
separation = ((churn[numeric].mean() - stay[numeric].mean()) / pooled).dropna()
compare = pd.DataFrame({
    "churners_median": churn[numeric].median(),
    "stayers_median": stay[numeric].median(),
    "churners_mean": churn[numeric].mean(),
    "stayers_mean": stay[numeric].mean(),
    "separation_sd": separation,
}).loc[separation.abs().sort_values(ascending=False).index]
compare.head(15).round(3)

# %%
top = list(compare.index[:6])
fig, axes = plt.subplots(2, 3, figsize=(12, 6))
for a, name in zip(axes.ravel(), top):
    both = rows[name].dropna()
    lo, hi = both.quantile([0.01, 0.99])
    bins = np.linspace(lo, hi, 30) if hi > lo else 10
    a.hist(stay[name].dropna().clip(lo, hi), bins=bins, density=True, alpha=0.5, label="stayers")
    a.hist(churn[name].dropna().clip(lo, hi), bins=bins, density=True, alpha=0.5, label="churners")
    a.set_title(name, fontsize=9)
axes.ravel()[0].legend()
fig.tight_layout()

# %% [markdown]
# ### Categorical attributes: churn rate per level

# %%
categorical = [f for f in dictionary["feature"] if f in rows and not pd.api.types.is_numeric_dtype(rows[f])]
for name in categorical:
    rate = rows.groupby(name, dropna=False)["label"].agg(["mean", "size"]).rename(
        columns={"mean": "churn_rate", "size": "rows"})
    print(rate.round(4).to_string(), end="\n\n")

# %% [markdown]
# ## The feature dictionary
#
# Every feature the model sees, its driver family, meaning, window and unit.

# %%
print(dictionary.groupby("family").size().rename("features").to_string())
pd.set_option("display.max_colwidth", 120)
dictionary
