"""The synthetic world's true effects at the scoring date: by risk decile, sleeping dogs, and how far from risk.

    python -m bench.world_effects --customers 20000 --seed 42 [--effects uniform]

Generates a subscription world with the retention team (``generate.campaigns``)
and reads ``effects_at_score.parquet``: for each customer active at the
scoring date, the row of the action that fits its true driver. Prints the true
effect's mean and quartiles by decile of the true probability
(``p_untreated``), the share of sleeping dogs and of customers who have
already decided per decile, and the Spearman correlation of the effect with
the probability, over everyone and over the riskiest 20% (the contactable
list a risk ranking would give), and the customers (expected churners prevented) saved by contacting that
riskiest 20% against contacting the same number ranked by the true effect (the oracle).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr

from features.cutoffs import schedule
from features.synthetic.subscription import CampaignConfig, SyntheticConfig
from pipeline.stages.generate import write_world


def truth(customers: int, seed: int, design: str = "heterogeneous") -> pd.DataFrame:
    """``effects_at_score`` of a default-calendar world with campaigns (every action row)."""
    cutoffs = schedule(dt.date(2023, 6, 30), dt.date(2024, 12, 31), "month_end", 30)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_world(root / "raw", root / "gt", SyntheticConfig(n_customers=customers, seed=seed,
                                                               campaigns=CampaignConfig(effects=design)), cutoffs, 30)
        return pd.read_parquet(root / "gt/effects_at_score.parquet")


def by_decile(fit: pd.DataFrame) -> pd.DataFrame:
    """Per decile of the true probability: customers, mean probability, the effect's mean and quartiles, dogs."""
    dec = (fit["p_untreated"].rank(method="first", pct=True) * 10).clip(upper=9.999).astype(int) + 1
    g = fit.assign(decile=dec).groupby("decile")
    return pd.DataFrame({
        "customers": g.size(), "p_untreated": g["p_untreated"].mean(), "effect_mean": g["true_effect"].mean(),
        "effect_q25": g["true_effect"].quantile(0.25), "effect_median": g["true_effect"].median(),
        "effect_q75": g["true_effect"].quantile(0.75), "sleeping_dogs": g["sleeping_dog"].mean(),
        "decided": g["decided"].mean(), "harmed": g["true_effect"].apply(lambda s: (s > 0).mean()),
    })


def summary(fit: pd.DataFrame) -> dict:
    """Shares and rank correlations of the fitting action's effect with the true probability."""
    top = fit[fit["p_untreated"].rank(pct=True, method="first") > 0.8]
    best = fit.nsmallest(len(top), "true_effect")
    return {"saved_by_risk_top20": round(float(-top["true_effect"].sum()), 2),
            "saved_by_oracle_top20": round(float(-best["true_effect"].sum()), 2),
            "oracle_top20_outside_risk_top20": round(float((~best.index.isin(top.index)).mean()), 4),
            "customers": len(fit), "sleeping_dog_share": round(float(fit["sleeping_dog"].mean()), 4),
            "sleeping_dog_share_top20": round(float(top["sleeping_dog"].mean()), 4),
            "decided_share": round(float(fit["decided"].mean()), 4),
            "spearman_effect_vs_p_all": round(float(spearmanr(fit["true_effect"], fit["p_untreated"])[0]), 3),
            "spearman_effect_vs_p_top20": round(float(spearmanr(top["true_effect"], top["p_untreated"])[0]), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--effects", default="heterogeneous", choices=("heterogeneous", "uniform"))
    args = ap.parse_args()
    t = truth(args.customers, args.seed, args.effects)
    fit = t[t["fits_driver"]].drop_duplicates("customer_id")   # renewal call and onboarding help both fit tenure
    with pd.option_context("display.width", 200, "display.float_format", "{:.4f}".format):
        print(by_decile(fit).to_string())
    print(json.dumps({"rows": len(t), **summary(fit)}))


if __name__ == "__main__":
    main()
