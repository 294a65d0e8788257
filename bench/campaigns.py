"""Benchmark: does the measure stage's 95% interval cover a synthetic campaign's true effect?

Simulates small subscription worlds with the synthetic retention team
(``generate.campaigns``, ``features/synthetic/subscription/campaigns.py``), one seed each,
and measures the last campaigns whose horizon ends inside the data with the
measure stage's own function (``models/retention/campaigns/measure.py``:
contacted minus holdout, Newcombe's interval) on the generator's contacts and
outcomes (the outcome is the label at that cutoff). It prints, per campaign, the
measured difference and interval against the true average effect
(``campaigns.parquet``), and the share of intervals that cover it.

Run: ``python -m bench.campaigns [--seeds 20] [--customers 3000] [--campaigns 2]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from pathlib import Path

import pandas as pd

from features.cutoffs import schedule
from features.synthetic.subscription import CampaignConfig, SyntheticConfig
from models.retention.campaigns.measure import measure_campaigns
from pipeline.stages.generate import write_world

START, END, HORIZON = dt.date(2023, 1, 1), dt.date(2024, 12, 31), 30


def simulate(seed: int, n_customers: int, campaigns: int, team: CampaignConfig = CampaignConfig()) -> pd.DataFrame:
    """Measured ITT difference and the truth of the last ``campaigns`` campaigns of one seeded world."""
    cutoffs = schedule(dt.date(2023, 6, 30), END, "month_end", 30)
    with tempfile.TemporaryDirectory(prefix="bench-campaigns-") as tmp:
        raw, truth = Path(tmp) / "raw", Path(tmp) / "gt"
        write_world(raw, truth, SyntheticConfig(n_customers=n_customers, start_date=START, end_date=END, seed=seed,
                                                campaigns=team), cutoffs, HORIZON)
        effects = pd.read_parquet(truth / "campaign_effects.parquet")
        true = pd.read_parquet(truth / "campaigns.parquet")
    last = sorted(effects["campaign_id"].unique())[-campaigns:]
    rows = effects[effects["campaign_id"].isin(last)]
    rows = rows.assign(campaign_date=rows["campaign_id"], churned=rows["churned"].astype(int),
                       contacted=pd.array([pd.NA] * len(rows), dtype="boolean"), value=float("nan"))
    res = measure_campaigns(rows[["campaign_id", "campaign_date", "group", "churned", "contacted", "value"]], 1.0)
    res = res[(res["analysis"] == "itt") & (res["segment"] == "overall")]
    out = res.merge(true[["campaign_id", "true_average_effect"]], on="campaign_id")
    out["covered"] = (out["difference_lower"] <= out["true_average_effect"]) & (
        out["true_average_effect"] <= out["difference_upper"])
    return out.assign(seed=seed)[["seed", "campaign_id", "n_contact", "n_holdout", "difference", "difference_lower",
                                  "difference_upper", "true_average_effect", "covered"]]


def coverage(seeds: int, n_customers: int, campaigns: int, first_seed: int = 1) -> tuple[float, pd.DataFrame]:
    """The share of intervals that cover the true effect over ``seeds`` worlds, and every campaign's row."""
    table = pd.concat([simulate(s, n_customers, campaigns) for s in range(first_seed, first_seed + seeds)],
                      ignore_index=True)
    return float(table["covered"].mean()), table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--customers", type=int, default=3000)
    ap.add_argument("--campaigns", type=int, default=2, help="last campaigns measured per world")
    args = ap.parse_args()
    share, table = coverage(args.seeds, args.customers, args.campaigns)
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(table.round(4).to_string(index=False))
    print(json.dumps({"campaigns": len(table), "coverage": round(share, 4),
                      "mean_true_effect": round(float(table["true_average_effect"].mean()), 5),
                      "mean_measured": round(float(table["difference"].mean()), 5)}))


if __name__ == "__main__":
    main()
