"""Stage score: the ranked list of customers at risk at the scoring date.

Reads the features at the scoring date, the model and the reasons from the
explain stage; writes ``data/scored/at_risk_customers.csv`` and ``.parquet``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from pipeline.io import atomic_path, read_json, remove_outputs, write_parquet

log = logging.getLogger(__name__)


def main(params_path: Path = Path("params.yaml"), explain_dir: Path = Path("data/explain"),
         out_dir: Path = Path("data/scored")) -> pd.DataFrame:
    """Run the score stage."""
    csv_path, parquet_path = out_dir / "at_risk_customers.csv", out_dir / "at_risk_customers.parquet"
    remove_outputs(csv_path, parquet_path)
    scored = pd.read_parquet(explain_dir / "scoring_population.parquet")
    scored = scored.sort_values(["churn_probability", "customer_id"], ascending=[False, True], kind="stable")
    scored.insert(0, "rank", range(1, len(scored) + 1))
    reason_cols = [c for c in scored.columns if c.startswith("reason_") and c[7:].isdigit()]
    out = scored[["rank", "customer_id", "churn_probability", *reason_cols, "reason_codes", "driver_family", "scored_at"]]
    write_parquet(out, parquet_path)
    with atomic_path(csv_path) as tmp:
        out.to_csv(tmp, index=False, encoding="utf-8-sig", float_format="%.6f")
    log.info("scored %d customers at %s", len(out), out["scored_at"].iloc[0] if len(out) else "-")
    return out
