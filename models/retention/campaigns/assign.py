"""The control group of a campaign: stratified by risk tier and action, drawn by a hash.

A customer's draw is ``sha256(campaign id, customer id)`` read as a number in
[0, 1): the same campaign gives the same groups on every rerun, on any machine,
whatever the order of the rows, and a new campaign id draws new groups. Within
each stratum (risk tier x recommended action) the customers with the lowest
draws are held out; the stratum's holdout size is ``control_share x n`` rounded
up or down by the stratum's own draw, so small strata are held out in the right
proportion on average instead of never.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

GROUPS: tuple[str, ...] = ("contact", "holdout")
STRATA: tuple[str, ...] = ("risk_tier_code", "action_code")
# The playbook's "no contact this cycle" (models.retention.playbook.NO_CONTACT): never in a campaign.
NO_CONTACT = "NO_CONTACT"


def hash_uniform(keys: Sequence[str], campaign_id: str) -> np.ndarray:
    """A number in [0, 1) per key, from ``sha256("<campaign id>\\x1f<key>")`` (first 8 bytes)."""
    out = np.empty(len(keys), dtype=np.float64)
    for i, key in enumerate(keys):
        digest = hashlib.sha256(f"{campaign_id}\x1f{key}".encode()).digest()
        out[i] = int.from_bytes(digest[:8], "big") / 2.0**64
    return out


def targeted(scored: pd.DataFrame, contact: Sequence[str] | float) -> pd.Series:
    """Who the campaign is about: the risk tiers listed in ``contact``, or the top ``contact`` share by rank;
    never a customer whose action is ``NO_CONTACT`` (a customer with nothing to do is in no campaign).

    Args:
        scored: the scored list with ``rank`` and ``risk_tier_code``.
        contact: tier codes (``["high", "medium"]``) or a share of the ranked list in (0, 1].

    Returns:
        A boolean Series, same index.
    """
    has_action = "action_code" in scored.columns
    if isinstance(contact, (int, float)):
        chosen = scored["rank"] <= math.ceil(float(contact) * len(scored))
    else:
        chosen = scored["risk_tier_code"].isin(list(contact))
    return chosen & (scored["action_code"] != NO_CONTACT) if has_action else chosen


def holdout_size(stratum: tuple, n: int, campaign_id: str, control_share: float) -> int:
    """How many of a stratum's ``n`` targeted customers are held out: ``control_share x n`` rounded up or down by
    the stratum's own draw (``stratum``: its ``STRATA`` values)."""
    return math.floor(control_share * n + hash_uniform(["\x1e".join(map(str, stratum))], campaign_id)[0])


def assign_groups(scored: pd.DataFrame, campaign_id: str, control_share: float,
                  contact: Sequence[str] | float) -> pd.DataFrame:
    """``campaign_id`` and ``campaign_group`` (contact | holdout) of the targeted customers.

    Args:
        scored: the scored list: ``customer_id``, ``rank``, ``risk_tier_code``, ``action_code``.
        campaign_id: the campaign's id.
        control_share: share of every stratum held out, in [0, 1).
        contact: which customers the campaign targets (:func:`targeted`).

    Returns:
        Two columns on the scored list's index; customers outside the campaign get empty strings.
    """
    if not 0 <= control_share < 1:
        raise ValueError(f"control_share must be in [0, 1), got {control_share}")
    ids = scored["customer_id"].astype(str).tolist()
    u = pd.Series(hash_uniform(ids, campaign_id), index=scored.index)
    group = pd.Series("", index=scored.index, dtype=object)
    is_target = targeted(scored, contact)
    group[is_target] = "contact"
    for key, members in scored[is_target].groupby(list(STRATA), sort=True, dropna=False).groups.items():
        draws = u.loc[members].sort_values(kind="stable")
        n_hold = holdout_size(key if isinstance(key, tuple) else (key,), len(draws), campaign_id, control_share)
        group[draws.index[:n_hold]] = "holdout"
    return pd.DataFrame({"campaign_id": np.where(group != "", campaign_id, ""), "campaign_group": group},
                        index=scored.index)


ASSIGNMENT_COLUMNS: tuple[str, ...] = ("customer_id", "campaign_id", "group", "assigned_at", "rank",
                                       "churn_probability", "risk_tier", "action_code", "driver_family",
                                       "customer_value")


def assignments(scored: pd.DataFrame, assigned_at: str) -> pd.DataFrame:
    """The campaign's assignments file: one row per targeted customer, in the ``contacts`` table's shape.

    ``action_code`` is the action the customer's stratum is on (a holdout's is what it would have got), so the
    file can be given to the measure stage as it is (intention-to-treat).
    """
    rows = scored[scored["campaign_group"] != ""]
    out = pd.DataFrame({
        "customer_id": rows["customer_id"].astype(str),
        "campaign_id": rows["campaign_id"],
        "group": rows["campaign_group"],
        "assigned_at": assigned_at,
        "rank": rows["rank"],
        "churn_probability": rows["churn_probability"],
        "risk_tier": rows["risk_tier_code"],
        "action_code": rows["action_code"],
        "driver_family": rows["driver_family"],
        "customer_value": rows["customer_value"] if "customer_value" in rows else np.nan,
    })
    return out.reset_index(drop=True)
