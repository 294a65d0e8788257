"""The scored list's layout: its columns in order, its rank, and the columns the playbook's segment rules read.

Pure functions on DataFrames, shared by the score stage (``pipeline/stages/score.py``) and its Spark counterpart
(``pipeline/spark/rank.py``), so that both write the same list.
"""

from __future__ import annotations

import pandas as pd

from models.retention.playbook import Playbook

SEGMENTS = ("plan", "region", "contract", "tenure_days")
COLUMNS = ("rank", "customer_id", "churn_probability", "risk_tier", "value_at_risk", "reason_1", "reason_2",
           "reason_3", "reason_codes", "driver_family", "recommended_action", "action_reason", "scored_at",
           "model_version", "value_basis", "customer_value", "expected_uplift", "expected_saving",
           "targeting_basis")


def segment_columns(scored: pd.DataFrame, playbook: Playbook, source: str | None, basis: str) -> pd.DataFrame:
    """The columns segment rules read: segments, revenue, the rules' own columns, driver family, first reason."""
    revenue_column = source if basis == "fee" else None
    wanted = (*SEGMENTS, revenue_column or "", "customer_value", *sorted(playbook.columns()), "driver_family",
              "reason_code_1")
    segments = scored[[c for c in dict.fromkeys(wanted) if c in scored.columns]]
    if revenue_column in segments.columns and revenue_column != "monthly_fee":
        segments = segments.assign(monthly_fee=segments[revenue_column])  # the default rules read monthly_fee
    return segments


def ranked(scored: pd.DataFrame, rank_by: str, extra: list[str]) -> pd.DataFrame:
    """The scored list in rank order with its public columns first, then codes and segment columns."""
    scored = scored.sort_values([rank_by, "customer_id"], ascending=[False, True], kind="stable", na_position="last")
    scored.insert(0, "rank", range(1, len(scored) + 1))
    reason_cols = sorted((c for c in scored.columns if c.startswith("reason_") and c[7:].isdigit()),
                         key=lambda c: int(c[7:]))
    columns = [c for c in COLUMNS if c in scored.columns or c in reason_cols]
    columns += [c for c in reason_cols if c not in columns]
    columns += ["action_code", "risk_tier_code", *[c for c in extra if c not in columns]]
    if "reason_reference" in scored.columns:  # who the reasons compare the customer with (explain.reference_segment)
        columns.append("reason_reference")
    if "segment" in scored.columns and "segment" not in columns:   # the campaign segment (models.retention.segment_key)
        columns.append("segment")
    return scored[columns].reset_index(drop=True)
