"""The scoring recipe: how the explained population becomes the ranked list, in one place for both engines.

The score stage (``pipeline/stages/score.py``) runs it on one frame; ``churn spark-score``
(``pipeline/spark/rank.py``) runs the same steps on a Spark DataFrame, partition by partition. The steps:

1. :meth:`Recipe.check`: a segment rule from params on a column the data lacks, or a revenue column or spend
   type the data lacks, is a params error now, never an empty column;
2. :meth:`Recipe.extra_columns`: the segment, revenue and rule columns joined from the features;
3. :meth:`Recipe.value_source` and :meth:`Recipe.with_value`: where the value comes from (a fee, a
   non-contract business's expected spend, or unknown) and ``value_at_risk``;
4. :meth:`Recipe.rank_by`: ``score.rank_by``, or churn probability when the value is unknown;
5. :meth:`Recipe.thresholds`: what depends on the whole base (the ``top_share`` tiers' probabilities and the
   ``top_share`` rules' values), from a :class:`Base`, so that any part of the base gets the tiers and
   actions it gets among everybody;
6. :meth:`Recipe.with_actions`: risk tiers, the recommended action, the model version and the campaign
   ``segment`` (driver and action, ``models.retention.segment_key.campaign_segment``), row by row.
7. :meth:`Recipe.with_uplift`: ``expected_uplift``, ``expected_saving`` and ``targeting_basis`` from the uplift
   stage's model (``data/models/uplift_model.json``); the score stage only, for now (not yet on Spark).

The list's order, rank and campaign groups follow (``models.retention.scored_list.ranked`` and
``pipeline/scoring/campaign.py``; on Spark, their distributed forms in ``pipeline/spark/rank.py``).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd

from models.clv.spend import DAYS_PER_MONTH, expected_spend, spend_event_type, spend_of
from models.retention import i18n
from models.retention.labels import check_display_names, name_forms
from models.retention.playbook import (
    Playbook,
    default_playbook,
    fixed_top_shares,
    recommend_actions,
    top_share_conditions,
    with_overrides,
)
from models.retention.scored_list import SEGMENTS, segment_columns
from models.retention.segment_key import campaign_segment
from models.retention.tiers import share_counts, tier_labels, tier_thresholds, tiers_at
from models.retention.value import value_at_risk
from models.uplift.decide import decision_columns
from models.uplift.learners import UpliftModel
from pipeline.core.config import CampaignParams, Params, ScoreParams
from pipeline.core.errors import ParamsError

log = logging.getLogger(__name__)

# Whole-history features the non-contract value model reads.
VALUE_INPUTS = ("repeat_active_days", "activity_span_days", "days_since_first_activity", "active_days_all")
# The columns :meth:`Recipe.with_actions` adds, in order.
ACTION_COLUMNS = ("risk_tier_code", "risk_tier", "recommended_action", "action_code", "action_reason",
                  "model_version", "segment")


class Base(Protocol):
    """The whole scored base, as the recipe's base-wide step reads it (a frame here, a Spark DataFrame there)."""

    columns: Iterable[str]

    def count(self, column: str | None = None) -> int:
        """How many customers, or how many with a known number in ``column``."""

    def kth_largest(self, column: str, k: int) -> float:
        """The k-th largest known number of ``column`` (+inf for k = 0: nobody reaches it)."""


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """What the whole base decides: the tiers' probability thresholds and the playbook with its ``top_share``
    rules fixed at the base's values (:func:`models.retention.playbook.fixed_top_shares`)."""

    high: float
    medium: float
    playbook: Playbook


@dataclasses.dataclass(frozen=True)
class Recipe:
    """The params the scored list is made from, resolved once (see the module's steps)."""

    score: ScoreParams
    campaign: CampaignParams
    language: str
    horizon_days: int
    kind: str
    playbook: Playbook
    rules_from_params: bool
    display_names: Mapping[str, Any]
    contact_cost: float = 0.0

    @classmethod
    def from_params(cls, params: Params) -> Recipe:
        """The recipe of these params: the business kind's playbook with the params' overrides, checked."""
        kind = params.business_kind
        playbook = params.checked("playbook", lambda p: with_overrides(default_playbook(kind),
                                                                        p.model_dump(exclude_none=True)))
        names = params.checked("business.display_names", check_display_names)
        return cls(params.score, params.campaign, params.report.language, params.label.horizon_days, kind, playbook,
                   params.playbook.segment_rules is not None, names, params.evaluate.contact_cost)

    def check(self, available: Iterable[str], fmeta: dict) -> None:
        """Refuse what params name and the data lacks (:class:`ParamsError` naming the key)."""
        check_rule_columns(self.playbook, self.rules_from_params, [*available, "risk_tier_code"])
        check_revenue_params(self.score, fmeta)

    def extra_columns(self, feature_columns: Iterable[str], population_columns: Iterable[str]) -> list[str]:
        """The feature columns the list carries beside the population's: segments, revenue, the rules' columns."""
        features, population = set(feature_columns), set(population_columns)
        wanted = dict.fromkeys((*SEGMENTS, self.score.revenue_column, *sorted(self.playbook.columns())))
        return [c for c in wanted if c in features and c not in population]

    def value_source(self, fmeta: dict, rows: pd.DataFrame) -> tuple[str, str | None]:
        """Where the value comes from (:func:`revenue_source`); ``rows`` may be one summary row of the base."""
        return revenue_source(self.score, self.kind, fmeta, rows)

    def with_value(self, scored: pd.DataFrame, rows: pd.DataFrame, basis: str, source: str | None,
                   spend: dict | None = None) -> pd.DataFrame:
        """``value_at_risk`` and ``value_basis`` (and ``customer_value``): :func:`with_value`."""
        return with_value(scored, rows, basis, source, self.score, self.horizon_days, self.language,
                          dict(self.display_names), spend)

    def rank_by(self, basis: str, uplift: bool = False) -> str:
        """``score.rank_by``, or churn probability when the list is to be ranked by a value the data lacks;
        ``expected_saving`` without an uplift model that beat risk ranking (``uplift`` False) is risk x value."""
        if self.score.rank_by == "expected_saving" and not uplift:
            log.warning("score.rank_by is expected_saving but no uplift model beat risk ranking (or none was "
                        "fitted): ranked by value_at_risk (churn risk x value)")
            return "value_at_risk" if basis != "unknown" else "churn_probability"
        if self.score.rank_by == "expected_saving" and basis == "unknown":
            log.warning("score.rank_by is expected_saving but the data has no revenue: ranked by churn_probability")
            return "churn_probability"
        if self.score.rank_by == "value_at_risk" and basis == "unknown":
            log.warning("score.rank_by is value_at_risk but the data has no revenue (no fee column, no spend): "
                        "ranked by churn_probability")
            return "churn_probability"
        return self.score.rank_by

    def thresholds(self, base: Base, basis: str, source: str | None) -> Thresholds:
        """The base-wide thresholds: ``top_share`` tiers take the k-th largest probabilities of the base
        (:func:`models.retention.tiers.share_counts`), a ``top_share`` rule the k-th largest of its column
        (k = ceil(share x known), as :func:`models.retention.playbook.top_share_threshold`)."""
        tiers = self.score.tiers
        if tiers.method == "top_share":
            k_high, k_medium = share_counts(base.count(), tiers.high, tiers.medium)
            high, medium = base.kth_largest("churn_probability", k_high), base.kth_largest("churn_probability",
                                                                                           k_medium)
        else:
            high, medium = tier_thresholds("threshold", tiers.high, tiers.medium)
        columns, shares = set(base.columns), {}
        for column, share in top_share_conditions(self.playbook):
            read = source if column == "monthly_fee" and basis == "fee" and source in columns else column
            shares[(column, share)] = (base.kth_largest(read, math.ceil(share * base.count(read)))
                                       if read in columns else math.inf)   # the rule is skipped (no column)
        return Thresholds(high, medium, fixed_top_shares(self.playbook, shares))

    def contacted(self, part: pd.DataFrame) -> np.ndarray | None:
        """Whether the campaign contacts each customer, when the tiers say it: a tier of ``campaign.contact``.
        None for a top share of the ranked list: the rank is known only once the list is ranked, and the
        campaign step (``pipeline/scoring/campaign.py``) gives the customers below the share ``NO_CONTACT``."""
        if isinstance(self.campaign.contact, (int, float)):
            return None
        return part["risk_tier_code"].isin(list(self.campaign.contact)).to_numpy(dtype=bool)

    def with_actions(self, part: pd.DataFrame, at: Thresholds, basis: str, source: str | None,
                     model_version: str) -> pd.DataFrame:
        """Risk tier, recommended action, model version and campaign segment of each customer of ``part`` (any
        part of the base)."""
        tiers = tiers_at(part["churn_probability"].astype(float), at.high, at.medium)
        part["risk_tier_code"] = tiers.to_numpy()
        part["risk_tier"] = tier_labels(tiers, self.language).to_numpy()
        actions = recommend_actions(part["driver_family"].fillna(""),
                                    segment_columns(part, at.playbook, source, basis), at.playbook, self.language,
                                    self.kind, self.contacted(part))
        part = pd.concat([part, actions], axis=1)
        part["model_version"] = model_version
        part["segment"] = campaign_segment(part["driver_family"], part["action_code"])
        return part


    def with_uplift(self, scored: pd.DataFrame, uplift: Mapping[str, Any], X: pd.DataFrame | None,
                    basis: str, source: str | None, rank_by: str) -> pd.DataFrame:
        """``expected_uplift``, ``expected_saving`` and ``targeting_basis`` of each customer of ``scored``.

        Args:
            scored: the valued list (``value_at_risk``, and ``customer_value`` or the revenue column).
            uplift: the uplift stage's ``uplift_model.json`` (``selection`` and ``model``, null when none won).
            X: the uplift model's matrix of the same customers (the churn model's matrix); None without a model.
            basis, source: where the value comes from (:meth:`value_source`).
            rank_by: the column the list is ranked by (:meth:`rank_by`), named in the basis when it is not the
                expected saving.
        """
        spec = uplift.get("model")
        effect = UpliftModel.from_dict(spec).predict(X) if spec is not None and X is not None else None
        text = uplift["selection"]["targeting_basis"]
        if rank_by != "expected_saving" and effect is not None:
            text = f"ranked by {rank_by} (score.rank_by); {text}"
        return scored.join(decision_columns(effect, customer_value(scored, basis, source, self.horizon_days),
                                            self.contact_cost, text))


def customer_value(scored: pd.DataFrame, basis: str, source: str | None, horizon_days: int) -> pd.Series:
    """What keeping the customer over the horizon is worth: the fee x the horizon in months, or the value model's
    ``customer_value``; missing when the value is unknown (``value_at_risk`` is its churn-weighted form)."""
    if basis == "fee":
        return pd.to_numeric(scored[source], errors="coerce") * (horizon_days / DAYS_PER_MONTH)
    if "customer_value" in scored:
        return pd.to_numeric(scored["customer_value"], errors="coerce")
    return pd.Series(np.nan, index=scored.index)


class FrameBase:
    """:class:`Base` over one pandas frame: the score stage's whole scored population."""

    def __init__(self, scored: pd.DataFrame, basis: str, source: str | None, playbook: Playbook) -> None:
        missing = int(scored["churn_probability"].isna().sum())
        if missing:
            raise ValueError(f"{missing} probabilities are missing; every customer needs a score")
        self.frame = segment_columns(scored, playbook, source, basis).assign(
            churn_probability=scored["churn_probability"].astype(float))
        self.columns = list(self.frame.columns)

    def _known(self, column: str) -> np.ndarray:
        return pd.to_numeric(self.frame[column], errors="coerce").dropna().to_numpy(dtype=float)

    def count(self, column: str | None = None) -> int:
        return len(self.frame) if column is None else len(self._known(column))

    def kth_largest(self, column: str, k: int) -> float:
        return float(np.sort(self._known(column))[::-1][k - 1]) if k > 0 else math.inf


def check_rule_columns(playbook: Playbook, rules_from_params: bool, available: list[str]) -> None:
    """A segment rule from params on a column the scored customers lack is a params error, not a skipped rule."""
    if not rules_from_params:
        return  # the default rules: one on a column the data lacks is skipped with a warning
    for rule in playbook.segment_rules:
        absent = sorted({c.column for c in rule.conditions} - set(available))
        if absent:
            raise ParamsError(
                f"playbook.segment_rules '{rule.name}': column(s) {', '.join(absent)} are not columns "
                f"of the scored customers; available: {', '.join(sorted(available))}")


def check_revenue_params(sp: ScoreParams, fmeta: dict) -> None:
    """A revenue column or spend type named in params that the data lacks is an error now, never an empty column."""
    features = fmeta["features"]
    if sp.revenue_column != "auto" and sp.revenue_column not in features:
        numeric = [f for f in features if f not in set(fmeta["categorical"])]
        raise ParamsError(
            f"score.revenue_column '{sp.revenue_column}' is not a column of the data; numeric columns "
            f"it has: {', '.join(numeric)} (or set auto)")
    if sp.spend_event_type != "auto" and spend_event_type(features, sp.spend_event_type) is None:
        have = [f[len("events_"):-len("_value_sum_all")] for f in features if f.endswith("_value_sum_all")]
        raise ParamsError(
            f"score.spend_event_type '{sp.spend_event_type}' has no value sums in the data; event "
            f"types with values: {', '.join(have) or 'none'} (or set auto)")


def revenue_source(sp: ScoreParams, kind: str, fmeta: dict, rows: pd.DataFrame) -> tuple[str, str | None]:
    """Where the value comes from: ``("fee", column)``, ``("expected_spend", spend type)`` or ``("unknown", None)``.

    ``score.revenue_column: auto`` takes the fee column when the data has one (``monthly_fee``, fed by the
    customers' fee column or by plan and price events) for a subscription, and the expected spend for a
    non-contract business (a fee column only if it has no spend); a named column is used as monthly revenue.
    """
    if sp.revenue_column != "auto":
        return "fee", sp.revenue_column
    has_fee = "monthly_fee" in rows.columns and bool(pd.to_numeric(rows["monthly_fee"], errors="coerce").notna().any())
    fee_is_paid = has_fee and (kind == "subscription" or fmeta.get("fee_attribute"))
    if kind == "non_contract":
        totals = {c[len("events_"):-len("_value_sum_all")]: float(pd.to_numeric(rows[c], errors="coerce").sum())
                  for c in rows.columns if c.startswith("events_") and c.endswith("_value_sum_all")}
        spend = spend_event_type(list(rows.columns), sp.spend_event_type, totals)
        if spend is not None and all(c in rows.columns for c in VALUE_INPUTS):
            return "expected_spend", spend
    if fee_is_paid:
        return "fee", "monthly_fee"
    return "unknown", None


def with_value(scored: pd.DataFrame, rows: pd.DataFrame, basis: str, source: str | None, sp: ScoreParams,
               horizon_days: int, language: str, display_names: dict | None = None,
               spend: dict | None = None) -> pd.DataFrame:
    """``value_at_risk`` and ``value_basis`` (how it was measured, or that it is unknown); ``customer_value`` when
    the value model priced each customer (BG/NBD fitted on ``rows``, or ``spend``: a ``value.spend_model``
    fitted on the whole base, when ``rows`` are only a part of it)."""
    p = scored["churn_probability"]
    if basis == "fee":
        revenue = pd.to_numeric(scored[source], errors="coerce")
        scored["value_at_risk"] = value_at_risk(p, revenue, horizon_days)
        text = i18n.t("scored.value_basis.fee", language, column=source,
                      months=i18n.format_number(horizon_days / DAYS_PER_MONTH, language, 1))
    elif basis == "expected_spend":
        customers = rows.set_index("customer_id").reindex(scored["customer_id"]).reset_index()
        if spend is None:
            values, model = expected_spend(rows, customers, source, sp.value_horizon_months)
            log.info("value model: expected %s spend over %g months, BG/NBD %s", source, sp.value_horizon_months,
                     {k: round(v, 4) for k, v in model["bgnbd"].items()})
        else:
            values = spend_of(spend, customers, source, sp.value_horizon_months)
        scored["customer_value"] = values
        scored["value_at_risk"] = p * values
        text = i18n.t("scored.value_basis.expected_spend", language,
                      event=name_forms(language, "events", "event_fallback", source, display_names)["_one"],
                      months=i18n.format_number(sp.value_horizon_months, language, 0))
    else:
        log.warning("no revenue information (no fee column, no purchase amounts): value_at_risk is unknown and the "
                    "list is ranked by churn probability")
        scored["value_at_risk"] = float("nan")
        text = i18n.t("scored.value_basis.unknown", language)
    scored["value_basis"] = text
    return scored
