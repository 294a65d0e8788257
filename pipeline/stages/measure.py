"""Stage measure: did calling them work? Each campaign's contacted group against its holdout.

Reads the validated ``contacts`` table (the team's CRM export, or a campaign's
``data/campaigns/<id>/assignments.parquet`` as it is), the labels (churn within
``label.horizon_days`` of each cutoff) and, for the value of a kept customer
when neither the contacts nor ``evaluate.customer_value`` give it, the fee at
the campaign's date; writes ``data/campaigns/results.csv`` (every figure per
campaign, analysis and segment: ``models/retention/campaigns/measure.py``),
``data/metrics/campaign_metrics.json`` (the latest campaign, for ``dvc
metrics``) and logs both to MLflow.

A campaign is measured once its horizon has passed: its date (``assigned_at``,
else the campaign id read as a date) must be a labelled cutoff. Until then it is
listed as waiting. A campaign with neither a date nor a date as its id is
unknown: that is an error naming the rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import mlflow
import pandas as pd

from features.contract import ContractError
from models.retention.campaigns.measure import RESULT_COLUMNS, headline, measure_campaigns, rounded
from pipeline.core import config, tracking
from pipeline.core.io import atomic_path, read_json, remove_outputs, write_json

log = logging.getLogger(__name__)


def campaign_dates(contacts: pd.DataFrame, path: Path) -> pd.Series:
    """Each campaign's date: its ``assigned_at``, else its id read as an ISO date.

    Raises:
        ContractError: a campaign with no date and an id that is not one (unknown campaign), or with
            several ``assigned_at`` dates.
    """
    dates = {}
    unknown = []
    for cid, rows in contacts.groupby("campaign_id", sort=True):
        given = rows["assigned_at"].dropna().unique() if "assigned_at" in rows else []
        if len(given) > 1:
            raise ContractError(f"{path}: column 'assigned_at': campaign {cid!r} has {len(given)} different dates "
                                f"({', '.join(sorted(str(d) for d in given)[:5])}); a campaign has one date")
        if len(given) == 1:
            dates[cid] = pd.Timestamp(given[0]).date()
            continue
        try:
            dates[cid] = dt.date.fromisoformat(str(cid))
        except ValueError:
            unknown.append((cid, len(rows)))
    if unknown:
        n = sum(k for _, k in unknown)
        raise ContractError(
            f"{path}: column 'campaign_id': {n:,} of {len(contacts):,} rows belong to unknown campaigns "
            f"({', '.join(repr(c) for c, _ in unknown[:5])}): neither an assigned_at date nor an id that is a date "
            "(YYYY-MM-DD). Use the campaign id the score stage assigned, or add the assigned_at column of its "
            "data/campaigns/<id>/assignments.parquet")
    return pd.Series(dates, name="campaign_date")


def _values(rows: pd.DataFrame, features: Path, ep: config.EvaluateParams) -> pd.Series:
    """A kept customer's value: contacts.customer_value, else evaluate.customer_value, else fee x horizon months."""
    value = rows["customer_value"] if "customer_value" in rows else pd.Series(float("nan"), index=rows.index)
    if ep.customer_value is not None:
        return value.fillna(ep.customer_value)
    import pyarrow.parquet as pq

    if value.isna().any() and "monthly_fee" in pq.read_schema(features).names:
        fees = pd.read_parquet(features, columns=["cutoff", "customer_id", "monthly_fee"],
                               filters=[("cutoff", "in", sorted(rows["campaign_date"].unique()))])
        fees = rows[["customer_id", "campaign_date"]].merge(
            fees.rename(columns={"cutoff": "campaign_date"}), how="left", on=["customer_id", "campaign_date"])
        value = value.fillna(pd.Series(fees["monthly_fee"].to_numpy() * ep.value_horizon_months, index=rows.index))
    return value


def outcomes(contacts: pd.DataFrame, dates: pd.Series, labels: Path) -> tuple[pd.DataFrame, list[str], int]:
    """The assigned customers of every measurable campaign with ``churned``; the waiting campaigns; rows left out
    because the customer was no longer a customer at the campaign's date (not labelled there)."""
    rows = contacts.assign(campaign_date=contacts["campaign_id"].map(dates))
    cutoffs = set(pd.read_parquet(labels, columns=["cutoff"])["cutoff"].unique())
    ready = rows["campaign_date"].isin(cutoffs)
    waiting = sorted(rows.loc[~ready, "campaign_id"].unique())
    rows = rows[ready]
    lab = pd.read_parquet(labels, columns=["cutoff", "customer_id", "label"],
                          filters=[("cutoff", "in", sorted(rows["campaign_date"].unique()))] if len(rows) else None)
    lab = lab.rename(columns={"cutoff": "campaign_date", "label": "churned"})
    rows = rows.merge(lab, how="left", on=["campaign_date", "customer_id"], validate="many_to_one")
    not_labelled = int(rows["churned"].isna().sum())
    return rows[rows["churned"].notna()].reset_index(drop=True), waiting, not_labelled


def contacted(rows: pd.DataFrame) -> pd.Series:
    """True/False where the campaign recorded ``contacted_at`` for its contacted group, else missing."""
    recorded = rows.groupby("campaign_id")["contacted_at"].transform(lambda s: s.notna().any())
    out = pd.Series(pd.NA, index=rows.index, dtype="boolean")
    on = recorded & (rows["group"] == "contact")
    out[on] = rows.loc[on, "contacted_at"].notna()
    return out


def contacted_holdouts(contacts: pd.DataFrame, path: Path) -> int:
    """Holdout rows with a ``contacted_at``: the holdout was contacted after all. Intention-to-treat still compares
    the groups as assigned (so the measured effect shrinks towards zero); the count is logged and reported."""
    n = int(((contacts["group"] == "holdout") & contacts["contacted_at"].notna()).sum())
    if n:
        log.warning("%s: %d holdout customers have a contacted_at: the holdout was contacted, so the measured "
                    "effect understates what contacting does (intention-to-treat keeps them in the holdout)", path, n)
    return n


def metrics(results: pd.DataFrame, waiting: list[str], not_labelled: int, holdouts_contacted: int = 0) -> dict:
    """The latest campaign's intention-to-treat figures, for ``dvc metrics``."""
    out: dict = {"campaigns_measured": int(results["campaign_id"].nunique()), "campaigns_waiting": len(waiting),
                 "rows_not_labelled": not_labelled}
    if holdouts_contacted:
        out["holdouts_contacted"] = holdouts_contacted
    last = headline(results)
    if last is not None:
        keys = ("n_contact", "n_holdout", "churn_rate_contact", "churn_rate_holdout", "difference",
                "difference_lower", "difference_upper", "saved", "saved_lower", "saved_upper", "retained_value",
                "cost", "roi", "customers_needed")
        out["last_campaign"] = {"campaign_id": str(last["campaign_id"]), "campaign_date": str(last["campaign_date"]),
                                "conclusion": str(last["conclusion"]),
                                **{k: (None if pd.isna(last[k]) else round(float(last[k]), 6)) for k in keys}}
    return out


def main(params_path: Path = Path("params.yaml"), validated_dir: Path = Path("data/interim/validated"),
         labels_path: Path = Path("data/labels/labels.parquet"),
         features_path: Path = Path("data/features/features.parquet"), model_dir: Path = Path("data/models"),
         results_path: Path = Path("data/campaigns/results.csv"),
         metrics_path: Path = Path("data/metrics/campaign_metrics.json")) -> pd.DataFrame:
    """Run the measure stage from params."""
    params = config.Params.load(params_path)
    ep = params.evaluate
    params.label  # noqa: B018  (validated at the start: the labels' horizon is the campaign's)
    mp = params.mlflow
    remove_outputs(results_path, metrics_path)
    contacts_path = validated_dir / "contacts.parquet"
    contacts = pd.read_parquet(contacts_path)
    results, waiting, not_labelled = pd.DataFrame(columns=list(RESULT_COLUMNS)), [], 0
    holdouts_contacted = contacted_holdouts(contacts, contacts_path)
    if len(contacts):
        rows, waiting, not_labelled = outcomes(contacts, campaign_dates(contacts, contacts_path), labels_path)
        if not_labelled:
            log.warning("%d assigned customers were no longer customers at their campaign's date (not labelled "
                        "there) and are left out of the measurement", not_labelled)
        for cid in waiting:
            log.warning("campaign %s is waiting: its date is not a labelled cutoff yet (its horizon has not passed, "
                        "or the date is not one of the cutoffs)", cid)
        rows = rows.assign(contacted=contacted(rows), value=_values(rows, features_path, ep))
        results = measure_campaigns(rows, ep.contact_cost)
        results["campaign_date"] = results["campaign_date"].astype(str)
    with atomic_path(results_path) as tmp:
        results.apply(rounded).to_csv(tmp, index=False)
    summary = metrics(results, waiting, not_labelled, holdouts_contacted)
    write_json(summary, metrics_path)
    tracking.setup(mp)
    with mlflow.start_run(run_id=read_json(model_dir / "mlflow_run.json")["run_id"]):
        mlflow.log_artifact(str(results_path), artifact_path="campaigns")
        last = summary.get("last_campaign", {})
        mlflow.log_metrics({f"campaign_{k}": v for k, v in last.items() if isinstance(v, float | int)
                            and not isinstance(v, bool)})
        mlflow.log_metric("campaigns_measured", summary["campaigns_measured"])
    log.info("measured %d campaign(s); %d waiting", summary["campaigns_measured"], len(waiting))
    return results
