"""Benchmark (skeleton): does ranking by expected saving save more than ranking by churn risk? Issue 26's floors.

Reads, for each world (one seed of the synthetic subscription world with ``generate.campaigns.enabled: true``,
reproduced with ``dvc repro``; pass the repositories' folders):

* ``data/scored/at_risk_customers.parquet``: ``customer_id``, ``churn_probability``, ``expected_uplift``,
  ``expected_saving``, ``customer_value``/``value_at_risk``, ``campaign_group``, ``targeting_basis``;
* ``data/ground_truth/effects_at_score.parquet`` (the world helper's file, issue 26 item 5): ``customer_id``,
  ``action_code``, ``p_untreated``, ``p_treated``, ``true_effect``; the true fall in churn if contacted is taken as
  ``p_untreated - p_treated`` for the action the list recommends (for a customer the list does not act on, a
  holdout or ``NO_CONTACT``, the playbook's action for the customer's driver family).

Per world: K = the campaign's contact count; the true customers and value saved by contacting the top K by
``expected_saving``, by ``churn_probability`` and by the oracle (true effect); the Spearman correlation of
``expected_uplift`` with the true fall; the share of true sleeping dogs (a contact raises churn) not in the top K;
whether ``targeting_basis`` fell back to risk. Printed per world and as the mean with a 95% t-interval over worlds.
Floors: saved >= 1.3x risk's and >= 70% of the oracle's; Spearman >= 0.4; >= 60% of sleeping dogs not contacted.

Not done yet: building the worlds over seeds inside this script (today: pass reproduced repositories), the
constant-effect world, and the "harm: do not contact" share (no such action yet).

Run: ``python -m bench.uplift REPO [REPO ...]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from models.retention.playbook import default_playbook


def _contact_action(scored: pd.DataFrame, known: set[str]) -> pd.Series:
    """The action a contact would bring: the list's own, else the playbook's for the driver family."""
    families = default_playbook("subscription").families
    fallback = scored["driver_family"].map(families).fillna(default_playbook("subscription").default)
    return scored["action_code"].where(scored["action_code"].isin(known), fallback)


def world_figures(scored: pd.DataFrame, effects: pd.DataFrame) -> dict[str, float]:
    """The floors' figures for one world (see the module docstring)."""
    truth = effects.assign(fall=effects["p_untreated"] - effects["p_treated"])[["customer_id", "action_code", "fall"]]
    df = scored.assign(truth_action=_contact_action(scored, set(truth["action_code"])))
    df = df.merge(truth.rename(columns={"action_code": "truth_action"}), on=["customer_id", "truth_action"],
                  how="inner", validate="one_to_one")
    value = df["customer_value"] if "customer_value" in df and df["customer_value"].notna().any() else \
        df["value_at_risk"] / df["churn_probability"].clip(lower=1e-9)
    k = int((scored["campaign_group"] == "contact").sum()) if "campaign_group" in scored else len(df) // 10

    def saved(column: str) -> tuple[float, float]:
        top = df.sort_values([column, "customer_id"], ascending=[False, True], kind="stable").head(k)
        return float(top["fall"].sum()), float((top["fall"] * value.loc[top.index]).sum())

    by_saving, by_risk, oracle = saved("expected_saving"), saved("churn_probability"), saved("fall")
    top_saving = set(df.sort_values("expected_saving", ascending=False, kind="stable").head(k)["customer_id"])
    dogs = df[df["fall"] < 0]
    return {
        "k": k,
        "saved_ratio_vs_risk": by_saving[0] / by_risk[0] if by_risk[0] else float("nan"),
        "value_ratio_vs_risk": by_saving[1] / by_risk[1] if by_risk[1] else float("nan"),
        "saved_share_of_oracle": by_saving[0] / oracle[0] if oracle[0] else float("nan"),
        "spearman": float(stats.spearmanr(df["expected_uplift"], df["fall"]).statistic),
        "sleeping_dogs_not_contacted": float((~dogs["customer_id"].isin(top_saving)).mean()) if len(dogs) else 1.0,
        "fell_back_to_risk": float(scored["targeting_basis"].iloc[0].startswith("churn risk")),
    }


def summary(rows: list[dict[str, float]]) -> pd.DataFrame:
    """Mean and 95% t-interval of each figure over the worlds."""
    table = pd.DataFrame(rows)
    n = len(table)
    half = stats.t.ppf(0.975, n - 1) * table.std(ddof=1) / np.sqrt(n) if n > 1 else table.mean() * np.nan
    return pd.DataFrame({"mean": table.mean(), "lower": table.mean() - half, "upper": table.mean() + half})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("repos", nargs="+", type=Path)
    args = ap.parse_args()
    rows = []
    for repo in args.repos:
        figures = world_figures(pd.read_parquet(repo / "data/scored/at_risk_customers.parquet"),
                                pd.read_parquet(repo / "data/ground_truth/effects_at_score.parquet"))
        print(repo, {k: round(v, 3) for k, v in figures.items()})
        rows.append(figures)
    print(summary(rows).round(3).to_string())


if __name__ == "__main__":
    main()
