"""The uplift model's training rows: each measured campaign's assigned customers, as they were on its date.

One row per (campaign, assigned customer) with the customer's features at the campaign's date (the cutoff equal
to it: point-in-time, nothing later), the group as assigned (``treated``: 1 contact, 0 holdout; intention-to-treat,
as the measure stage compares them), the outcome (``churned`` within the label horizon after that date) and the
design's propensity: the share of the customer's stratum (campaign x risk tier x action, the strata the holdout is
drawn in, ``models/retention/campaigns/assign.py``) assigned to contact. It is known, so it is counted, not
estimated. A stratum with no holdout (or no contact) says nothing about the effect and is left out, counted.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

STRATA: tuple[str, ...] = ("risk_tier", "action_code")
KEYS: tuple[str, ...] = ("campaign_id", "campaign_date", "customer_id")


@dataclasses.dataclass(frozen=True)
class Dropped:
    """Assigned customers left out, by reason (each is logged and reported by the caller)."""

    no_features: int = 0      # not a customer at the campaign's date (no feature row at that cutoff)
    not_labelled: int = 0     # no outcome yet at that cutoff
    one_group_strata: int = 0  # in a stratum with no holdout or no contact


def campaign_dates(contacts: pd.DataFrame) -> pd.Series:
    """Each row's campaign date: its campaign's ``assigned_at``, else the campaign id read as an ISO date (as the
    measure stage dates campaigns). A campaign with neither is an error naming it."""
    given = (contacts.groupby("campaign_id")["assigned_at"].first() if "assigned_at" in contacts
             else pd.Series(dtype=object))
    dates = {}
    for cid in contacts["campaign_id"].unique():
        date = given.get(cid)
        if date is None or pd.isna(date):
            date = pd.to_datetime(str(cid), format="%Y-%m-%d", errors="coerce")
        if pd.isna(date):
            n = int((contacts["campaign_id"] == cid).sum())
            raise ValueError(f"column 'campaign_id': campaign {cid!r} ({n} rows) has no assigned_at date and its id "
                             "is not a date (YYYY-MM-DD)")
        dates[cid] = pd.Timestamp(date)
    return contacts["campaign_id"].map(dates).rename("campaign_date")


def propensity(contacts: pd.DataFrame) -> pd.Series:
    """Each assigned customer's probability of being in the contact group: its stratum's contact share."""
    strata = ["campaign_id", *[c for c in STRATA if c in contacts.columns and contacts[c].notna().any()]]
    keys = contacts[strata].astype(str)
    is_contact = (contacts["group"] == "contact").astype(float)
    return is_contact.groupby([keys[c] for c in strata]).transform("mean").rename("propensity")


def training_rows(contacts: pd.DataFrame, features: pd.DataFrame, labels: pd.DataFrame,
                  feature_names: list[str], risk: pd.DataFrame | None = None) -> tuple[pd.DataFrame, Dropped]:
    """The training rows of the campaigns in ``contacts`` whose date is a cutoff of ``features`` and ``labels``.

    Args:
        contacts: the assigned customers: ``campaign_id``, ``campaign_date`` (a date), ``customer_id``, ``group``
            (contact | holdout), and where known ``risk_tier``, ``action_code``, ``customer_value``,
            ``churn_probability`` (the score the campaign was drawn on).
        features: ``cutoff``, ``customer_id`` and ``feature_names`` (only rows at the campaigns' dates are used).
        labels: ``cutoff``, ``customer_id``, ``label`` (churned within the horizon after the cutoff).
        feature_names: the model's features.
        risk: ``campaign_id``, ``customer_id``, ``churn_probability`` when ``contacts`` has no churn probability
            (for the risk ranking the model is compared with); None: the column is left missing.

    Returns:
        The rows (``KEYS``, ``treated``, ``churned``, ``propensity``, ``churn_probability``, ``customer_value``
        and the features) sorted by campaign date, campaign and customer; and what was left out.
    """
    base = contacts.assign(campaign_date=pd.to_datetime(contacts["campaign_date"]),
                           customer_id=contacts["customer_id"].astype(str))
    base = base.assign(propensity=propensity(base).to_numpy(), treated=(base["group"] == "contact").astype(np.int8))
    one_group = (base["propensity"] <= 0) | (base["propensity"] >= 1)
    base = base[~one_group]
    if "churn_probability" not in base and risk is not None:
        base = base.merge(risk.assign(customer_id=risk["customer_id"].astype(str)), how="left",
                          on=["campaign_id", "customer_id"], validate="one_to_one")
    for col in ("churn_probability", "customer_value"):
        if col not in base:
            base[col] = np.nan
    # only what the rows need from the contacts: a contacts column may share a feature's name (channel)
    base = base[[*KEYS, "treated", "propensity", "churn_probability", "customer_value"]]
    feats = features.loc[:, ["cutoff", "customer_id", *feature_names]].assign(
        cutoff=pd.to_datetime(features["cutoff"]), customer_id=features["customer_id"].astype(str))
    feats = feats.rename(columns={"cutoff": "campaign_date"})
    out = base.merge(feats, how="inner", on=["campaign_date", "customer_id"], validate="many_to_one")
    lab = labels.loc[:, ["cutoff", "customer_id", "label"]].rename(
        columns={"cutoff": "campaign_date", "label": "churned"})
    lab = lab.assign(campaign_date=pd.to_datetime(lab["campaign_date"]), customer_id=lab["customer_id"].astype(str))
    labelled = out.merge(lab, how="inner", on=["campaign_date", "customer_id"], validate="many_to_one")
    dropped = Dropped(no_features=len(base) - len(out), not_labelled=len(out) - len(labelled),
                      one_group_strata=int(one_group.sum()))
    cols = [*KEYS, "treated", "churned", "propensity", "churn_probability", "customer_value", *feature_names]
    labelled = labelled[cols].assign(churned=labelled["churned"].astype(np.int8))
    return labelled.sort_values(list(KEYS), kind="stable").reset_index(drop=True), dropped
