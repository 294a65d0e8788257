"""The synthetic campaigns as tables: the team's ``contacts`` export and the truth behind it.

``contacts`` (raw, the data contract's optional table): one row per targeted
customer, ``contacted_at`` empty for a holdout or a customer not reached.
``campaign_effects`` (ground truth): the same rows with the truth, recorded so
an uplift model can be trained on it later: treatment (``group``, ``reached``),
outcome (``churned`` in the horizon, the same as the label at that cutoff) and
the cutoff whose features describe the customer. ``campaigns`` (ground truth):
per campaign, the true average effects, after the last chunk.
``effects_at_score`` (ground truth): per customer active at the scoring date
and per action code, the probability of churn in the horizon without and with
the action, and the difference (``at_score.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from features.catalog import FAMILIES
from features.synthetic.subscription import at_score
from features.synthetic.subscription.campaigns import ACTIONS, CHANNELS, TIERS

CAMPAIGN_SCHEMAS: dict[str, pa.Schema] = {
    "contacts": pa.schema([
        ("customer_id", pa.string()), ("campaign_id", pa.string()), ("group", pa.string()),
        ("contacted_at", pa.timestamp("us")), ("action_code", pa.string()), ("channel", pa.string()),
        ("assigned_at", pa.date32()), ("risk_tier", pa.string()), ("driver_family", pa.string()),
    ]),
    "campaign_effects": pa.schema([
        ("campaign_id", pa.string()), ("cutoff", pa.date32()), ("customer_id", pa.string()), ("group", pa.string()),
        ("reached", pa.bool_()), ("action_code", pa.string()), ("believed_driver", pa.string()),
        ("true_driver", pa.string()), ("sleeping_dog", pa.bool_()), ("risk_tier", pa.string()),
        ("p_untreated", pa.float64()), ("p_treated", pa.float64()), ("true_effect", pa.float64()),
        ("itt_effect", pa.float64()), ("churned", pa.bool_()),
    ]),
    "effects_at_score": pa.schema([
        ("customer_id", pa.string()), ("action_code", pa.string()), ("scored_at", pa.date32()),
        ("p_untreated", pa.float64()), ("p_treated", pa.float64()), ("true_effect", pa.float64()),
        ("true_driver", pa.string()), ("fits_driver", pa.bool_()), ("sleeping_dog", pa.bool_()),
        ("decided", pa.bool_()), ("dormant", pa.bool_()),
    ]),
    "campaigns": pa.schema([
        ("campaign_id", pa.string()), ("cutoff", pa.date32()), ("n_assigned", pa.int64()), ("n_contact", pa.int64()),
        ("n_holdout", pa.int64()), ("true_average_effect", pa.float64()), ("true_effect_on_reached", pa.float64()),
    ]),
}
RAW_CAMPAIGN_TABLES: tuple[str, ...] = ("contacts",)


def _take(values, codes: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object)[codes.astype(np.int64)], type=pa.string())


def chunk_campaign_tables(rec: dict[str, np.ndarray], ids: pa.Array, start_days: int,
                          start_us: int) -> Iterator[tuple[str, pa.Table]]:
    """``contacts`` and ``campaign_effects`` rows of one chunk."""
    if not rec["cust"].size:
        return
    dates = pa.array((rec["cutoff"] + start_days).astype(np.int32), type=pa.int32()).cast(pa.date32())
    campaign_id = dates.cast(pa.string())
    customer_id = ids.take(pa.array(rec["cust"]))
    group = np.where(rec["holdout"], "holdout", "contact")
    contacted = ~rec["holdout"] & rec["reached"]
    action = _take(ACTIONS, rec["believed"])
    tier = _take(TIERS, rec["tier"])
    believed = _take(FAMILIES, rec["believed"])
    yield "contacts", pa.table({
        "customer_id": customer_id, "campaign_id": campaign_id, "group": pa.array(group, type=pa.string()),
        "contacted_at": pa.array(rec["contact_sec"] * 1_000_000 + start_us, type=pa.timestamp("us"),
                                 mask=~contacted),
        "action_code": action, "channel": _take(CHANNELS, rec["believed"]), "assigned_at": dates,
        "risk_tier": tier, "driver_family": believed,
    }, schema=CAMPAIGN_SCHEMAS["contacts"])
    effect = rec["p_treated"] - rec["p_untreated"]
    yield "campaign_effects", pa.table({
        "campaign_id": campaign_id, "cutoff": dates, "customer_id": customer_id,
        "group": pa.array(group, type=pa.string()), "reached": pa.array(rec["reached"]), "action_code": action,
        "believed_driver": believed, "true_driver": _take(FAMILIES, rec["true_driver"]),
        "sleeping_dog": pa.array(rec["sleeping_dog"]), "risk_tier": tier,
        "p_untreated": pa.array(rec["p_untreated"]), "p_treated": pa.array(rec["p_treated"]),
        "true_effect": pa.array(effect), "itt_effect": pa.array(np.where(rec["reached"], effect, 0.0)),
        "churned": pa.array(rec["churned"]),
    }, schema=CAMPAIGN_SCHEMAS["campaign_effects"])


def chunk_effects_at_score(rows: dict[str, np.ndarray], ids: pa.Array, scored_day: int,
                           start_days: int) -> Iterator[tuple[str, pa.Table]]:
    """``effects_at_score`` rows of one chunk (customer by customer, the actions in ``at_score.ACTIONS`` order)."""
    if not rows["cust"].size:
        return
    n = rows["cust"].size
    scored_at = pa.array(np.full(n, scored_day + start_days, dtype=np.int32), type=pa.int32()).cast(pa.date32())
    yield "effects_at_score", pa.table({
        "customer_id": ids.take(pa.array(rows["cust"])), "action_code": _take(at_score.ACTIONS, rows["action"]),
        "scored_at": scored_at, "p_untreated": pa.array(rows["p_untreated"]),
        "p_treated": pa.array(rows["p_treated"]), "true_effect": pa.array(rows["p_treated"] - rows["p_untreated"]),
        "true_driver": _take(FAMILIES, rows["true_driver"]),
        "fits_driver": pa.array(at_score.ACTION_FAMILIES[rows["action"].astype(np.int64)] == rows["true_driver"]),
        "sleeping_dog": pa.array(rows["sleeping_dog"]), "decided": pa.array(rows["decided"]),
        "dormant": pa.array(rows["dormant"]),
    }, schema=CAMPAIGN_SCHEMAS["effects_at_score"])


class CampaignTotals:
    """Per campaign sums over the chunks, for the ``campaigns`` truth table after the last chunk."""

    def __init__(self) -> None:
        self.sums: dict[int, np.ndarray] = {}

    def add(self, rec: dict[str, np.ndarray]) -> None:
        effect = rec["p_treated"] - rec["p_untreated"]
        reached_contact = ~rec["holdout"] & rec["reached"]
        for cd in np.unique(rec["cutoff"]):
            m = rec["cutoff"] == cd
            row = np.array([m.sum(), (m & ~rec["holdout"]).sum(), (m & rec["holdout"]).sum(),
                            np.where(rec["reached"][m], effect[m], 0.0).sum(), effect[m & reached_contact].sum(),
                            (m & reached_contact).sum()], dtype=np.float64)
            self.sums[int(cd)] = self.sums.get(int(cd), 0.0) + row

    def table(self, start_days: int) -> pa.Table:
        days = sorted(self.sums)
        s = np.array([self.sums[d] for d in days]).reshape(len(days), 6)
        dates = pa.array(np.array(days, dtype=np.int32) + start_days, type=pa.int32()).cast(pa.date32())
        return pa.table({
            "campaign_id": dates.cast(pa.string()), "cutoff": dates, "n_assigned": s[:, 0].astype(np.int64),
            "n_contact": s[:, 1].astype(np.int64), "n_holdout": s[:, 2].astype(np.int64),
            "true_average_effect": s[:, 3] / np.maximum(s[:, 0], 1),
            "true_effect_on_reached": s[:, 4] / np.maximum(s[:, 5], 1),
        }, schema=CAMPAIGN_SCHEMAS["campaigns"])
