"""The campaign a scored list starts: its holdout, the list's campaign columns and the assignments record.

Used by the score stage (``pipeline/stages/score.py``); the draw itself is
``models/retention/campaigns/assign.py``. The assignments go to
``data/campaigns/<campaign id>/assignments.parquet``: a record of the campaign
that later runs keep (the score stage rewrites only its own campaign's file),
which the team may hand to the measure stage as its ``contacts`` table.
"""

from __future__ import annotations

import logging
from pathlib import Path

import mlflow
import pandas as pd

from models.retention import i18n
from models.retention.campaigns.assign import NO_CONTACT, assign_groups, assignments
from pipeline.core import config
from pipeline.core.io import write_parquet

log = logging.getLogger(__name__)

HOLDOUT_ACTION = "HOLDOUT"


def campaign_id(cp: config.CampaignParams, score_date: str) -> str:
    """``campaign.id``, or the scoring date when it is null."""
    return cp.id if cp.id is not None else score_date


def with_campaign(scored: pd.DataFrame, cp: config.CampaignParams, score_date: str,
                  language: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scored list with ``campaign_id`` and ``campaign_group``, and the campaign's assignments.

    A holdout customer keeps its score and reasons, but its action is ``HOLDOUT`` ("do not contact"): nobody can
    call it from the list. The assignments keep the action its stratum is on. With ``campaign.contact`` a top
    share, the customers below it read ``NO_CONTACT`` (with tiers, the recipe already gave them that action).
    """
    cid = campaign_id(cp, score_date)
    scored = scored.join(assign_groups(scored, cid, cp.control_share, cp.contact))
    if isinstance(cp.contact, (int, float)):   # below the top share: nobody contacts them this cycle
        below = scored["campaign_group"] == ""
        scored.loc[below, "action_code"] = NO_CONTACT
        scored.loc[below, "recommended_action"] = i18n.t(f"actions.{NO_CONTACT}", language)
        scored.loc[below, "action_reason"] = i18n.t("action_reasons.no_contact", language)
    record = assignments(scored, score_date)
    held = scored["campaign_group"] == "holdout"
    scored.loc[held, "action_code"] = HOLDOUT_ACTION
    scored.loc[held, "recommended_action"] = i18n.t("scored.campaign.holdout_action", language, campaign=cid)
    scored.loc[held, "action_reason"] = i18n.t("scored.campaign.holdout_reason", language)
    return scored, record


def record_path(campaigns_dir: Path, cid: str) -> Path:
    return campaigns_dir / cid / "assignments.parquet"


def write_record(record: pd.DataFrame, campaigns_dir: Path, cid: str) -> Path:
    """Write the campaign's assignments (atomically: never half a file)."""
    path = record_path(campaigns_dir, cid)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_parquet(record, path)
    counts = record["group"].value_counts()
    log.info("campaign %s: %d to contact, %d held out (%s)", cid, counts.get("contact", 0),
             counts.get("holdout", 0), path)
    return path


def log_record(path: Path, record: pd.DataFrame, cid: str) -> None:
    """The assignments as an artifact of the active MLflow run, with the group sizes."""
    mlflow.log_artifact(str(path), artifact_path=f"campaigns/{cid}")
    counts = record["group"].value_counts()
    mlflow.log_metrics({"campaign_n_contact": int(counts.get("contact", 0)),
                        "campaign_n_holdout": int(counts.get("holdout", 0))})
    mlflow.set_tag("campaign_id", cid)
