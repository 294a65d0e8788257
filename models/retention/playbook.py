"""The playbook: from a customer's driver family and segment to one recommended action.

A playbook is typed data (:class:`Playbook`)::

    families:        driver family -> action code
    default:         action code when no driver stands out
    segment_rules:   rules that override the family action, first match wins;
                     each has an action, an action_reason message key and
                     conditions on segment columns, or on the customer's
                     ``driver_family`` and ``reason_code_1``
                     (op one of >=, >, <=, <, ==, !=, in, top_share)
    actions:         optional {CODE: {en: text, ja: text}} for custom actions

A customer outside ``campaign.contact`` gets ``NO_CONTACT`` ("No contact this cycle"), unless a segment rule
with a condition on ``risk_tier_code`` matches them (:func:`recommend_actions`, ``contacted``).

The defaults live in one place, ``models/retention/playbooks/<kind>.yaml``;
``params.yaml``'s ``playbook:`` section overrides them. Action texts of the
built-in codes are in ``models/retention/locales/<language>/*.yaml``.
"""

from __future__ import annotations

import copy
import functools
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from features.catalog import FAMILIES
from models.retention import i18n

LOGGER = logging.getLogger(__name__)

PLAYBOOKS_DIR = Path(__file__).resolve().parent / "playbooks"
# The action of a customer the campaign does not contact (a tier outside ``campaign.contact``, or below its top share).
NO_CONTACT = "NO_CONTACT"
# The columns by which a segment rule names risk tiers; only such a rule gives an uncontacted customer an action.
TIER_COLUMNS = ("risk_tier_code", "risk_tier")
NUMERIC_OPS = (">=", ">", "<=", "<")
Op = Literal[">=", ">", "<=", "<", "==", "!=", "in", "top_share"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """One condition of a segment rule: ``column op value``."""

    column: str = Field(min_length=1)
    op: Op
    value: float | bool | str | tuple[float | bool | str, ...]

    @model_validator(mode="after")
    def _value_fits_op(self) -> Condition:
        v = self.value
        if self.op in NUMERIC_OPS and (isinstance(v, (bool, str, tuple))):
            raise ValueError(f"op {self.op!r} on column {self.column!r} compares numbers; value {v!r} is not a number")
        if self.op == "top_share" and (isinstance(v, (bool, str, tuple)) or not 0 < float(v) <= 1):
            raise ValueError(f"op 'top_share' on column {self.column!r} needs a share in (0, 1], got {v!r}")
        if self.op == "in" and not (isinstance(v, tuple) and v):
            raise ValueError(f"op 'in' on column {self.column!r} needs a non-empty list of values, got {v!r}")
        if self.op in ("==", "!=") and isinstance(v, tuple):
            raise ValueError(f"op {self.op!r} on column {self.column!r} needs one value, got a list (use op 'in')")
        return self


class SegmentRule(_Strict):
    """A rule that overrides the family action for the customers meeting all its conditions."""

    name: str = Field(min_length=1)
    action: str = Field(min_length=1)
    # a message key (e.g. action_reasons.loyal_high_value); None: "Segment rule: <name>"
    action_reason: str | None = None
    conditions: tuple[Condition, ...]

    @field_validator("conditions")
    @classmethod
    def _some_conditions(cls, v: tuple[Condition, ...]) -> tuple[Condition, ...]:
        if not v:
            raise ValueError("a segment rule needs at least one condition")
        return v


class Playbook(_Strict):
    """A complete playbook; every action code it uses has a text in every language."""

    families: dict[str, str]
    default: str = Field("ACCOUNT_REVIEW", min_length=1)
    segment_rules: tuple[SegmentRule, ...] = ()
    actions: dict[str, dict[str, str]] = {}

    @field_validator("families")
    @classmethod
    def _known_families(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - set(FAMILIES))
        if unknown:
            raise ValueError(f"{unknown} are not driver families; expected some of {list(FAMILIES)}")
        return v

    @field_validator("actions")
    @classmethod
    def _known_languages(cls, v: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for code, texts in v.items():
            unknown = sorted(set(texts) - set(i18n.LANGUAGES))
            if unknown or not texts:
                raise ValueError(f"action {code!r} needs texts keyed by language ({', '.join(i18n.LANGUAGES)}), "
                                 f"got {sorted(texts)}")
        return v

    @model_validator(mode="after")
    def _every_action_has_text(self) -> Playbook:
        known = set(i18n.lookup("actions", "en")) | set(self.actions)
        used = {*self.families.values(), self.default, *(r.action for r in self.segment_rules)}
        missing = sorted(used - known)
        if missing:
            raise ValueError(f"action code(s) {missing} have no text; use a built-in action "
                             f"({', '.join(sorted(i18n.lookup('actions', 'en')))}) or add its text under "
                             "playbook.actions as {CODE: {en: ..., ja: ...}}")
        for rule in self.segment_rules:
            if rule.action_reason is not None and not isinstance(i18n.lookup(rule.action_reason, "en", default=0), str):
                raise ValueError(f"segment rule {rule.name!r}: action_reason {rule.action_reason!r} is not a message "
                                 "key of the locale files (e.g. action_reasons.loyal_high_value)")
        return self

    def columns(self) -> set[str]:
        """Every column the segment rules read."""
        return {c.column for r in self.segment_rules for c in r.conditions}


def names_tiers(rule: SegmentRule) -> bool:
    """Whether the rule has a condition on the risk tier: only such a rule acts on customers outside the campaign."""
    return any(c.column in TIER_COLUMNS for c in rule.conditions)


def _default_data(kind: str) -> dict[str, Any]:
    """The default playbook of ``kind`` as read from its file, a copy of its own for each caller."""
    return copy.deepcopy(_parsed_default(kind))


@functools.lru_cache(maxsize=None)
def _parsed_default(kind: str) -> dict[str, Any]:
    path = PLAYBOOKS_DIR / f"{kind}.yaml"
    if not path.is_file():
        kinds = sorted(p.stem for p in PLAYBOOKS_DIR.glob("*.yaml"))
        raise ValueError(f"no default playbook for business kind {kind!r}; known: {', '.join(kinds)}")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def default_playbook(kind: str = "subscription") -> Playbook:
    """The default playbook of a kind of business (``models/retention/playbooks/<kind>.yaml``)."""
    return Playbook.model_validate(_default_data(kind))


def with_overrides(base: Playbook, overrides: Mapping[str, Any]) -> Playbook:
    """``base`` with the keys of a ``playbook:`` params section applied.

    ``families`` and ``actions`` are merged key by key; ``default`` and
    ``segment_rules`` replace the base's when given.
    """
    data = base.model_dump()
    for key, value in overrides.items():
        if value is None:
            continue
        data[key] = {**data[key], **value} if key in ("families", "actions") else value
    return Playbook.model_validate(data)


def _action_text(code: str, playbook: Playbook, language: str) -> str:
    custom = playbook.actions.get(code)
    if custom:
        return str(custom.get(language) or custom.get("en") or next(iter(custom.values())))
    return str(i18n.lookup(f"actions.{code}", language))


def top_share_threshold(values: pd.Series | np.ndarray, share: float) -> float:
    """The value a ``top_share`` condition compares with: the k-th largest known value, k = ceil(share x known).

    Rank 1 is the highest value and ties share the best rank, so equal customers get equal treatment:
    ``rank <= k`` is ``value >= the k-th largest``. +inf when k is 0 (nobody).
    """
    x = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype=float)
    k = math.ceil(share * len(x))
    return float(np.sort(x)[::-1][k - 1]) if k > 0 else math.inf


def fixed_top_shares(playbook: Playbook, thresholds: Mapping[tuple[str, float], float]) -> Playbook:
    """The playbook with each ``top_share`` condition replaced by ``>=`` the threshold it has in the whole base
    (``thresholds[(column, share)]``, from :func:`top_share_threshold`): a part of the base then gets the actions
    it gets among everybody."""
    def fixed(c: Condition) -> Condition:
        if c.op != "top_share":
            return c
        return Condition(column=c.column, op=">=", value=float(thresholds[(c.column, float(c.value))]))
    rules = tuple(r.model_copy(update={"conditions": tuple(fixed(c) for c in r.conditions)})
                  for r in playbook.segment_rules)
    return playbook.model_copy(update={"segment_rules": rules})


def top_share_conditions(playbook: Playbook) -> list[tuple[str, float]]:
    """The ``(column, share)`` of every ``top_share`` condition, in rule order."""
    return list(dict.fromkeys((c.column, float(c.value)) for r in playbook.segment_rules for c in r.conditions
                              if c.op == "top_share"))


def _condition_mask(segments: pd.DataFrame, cond: Condition) -> np.ndarray:
    col = segments[cond.column]
    if cond.op == "in":
        return col.isin(list(cond.value)).to_numpy()
    if cond.op in ("==", "!="):
        eq = (col == cond.value).fillna(False).to_numpy(dtype=bool)
        return eq if cond.op == "==" else ~eq
    x = pd.to_numeric(col, errors="coerce")
    if cond.op == "top_share":
        return x.ge(top_share_threshold(x, float(cond.value))).fillna(False).to_numpy(dtype=bool)
    compare = {">=": x.ge, ">": x.gt, "<=": x.le, "<": x.lt}[cond.op]
    return compare(float(cond.value)).fillna(False).to_numpy(dtype=bool)


def recommend_actions(
    driver_family: pd.Series,
    segments: pd.DataFrame,
    playbook: Playbook | Mapping[str, Any] | None = None,
    language: str = "en",
    profile: str | None = None,
    contacted: pd.Series | np.ndarray | None = None,
) -> pd.DataFrame:
    """Recommend one action per customer from the top driver family and segment rules.

    A customer the campaign does not contact (``contacted`` False: a tier outside ``campaign.contact``) gets
    ``NO_CONTACT``, "No contact this cycle", not a family action nobody will carry out; only a segment rule that
    names risk tiers (a condition on ``risk_tier_code``) gives such a customer an action.

    Args:
        driver_family: family of each customer's first reason ("" when none).
        segments: customer segment columns (e.g. ``tenure_days``, ``monthly_fee``,
            ``plan``), same index as ``driver_family``. ``top_share`` conditions
            are computed within this frame. A rule on a column the frame lacks is
            skipped with a warning (the score stage refuses such rules from params first).
        playbook: the playbook (a mapping is validated as one); None: the subscription default.
        language: ``"en"`` or ``"ja"``.
        profile: the business profile, whose words name the families ("buying" for usage in retail).
        contacted: per customer, whether the campaign contacts them; None: everybody.

    Returns:
        A frame with the index of ``driver_family`` and columns
        ``recommended_action``, ``action_code`` and ``action_reason``.
    """
    i18n.check_language(language)
    if playbook is None:
        playbook = default_playbook()
    elif not isinstance(playbook, Playbook):
        playbook = Playbook.model_validate(dict(playbook))
    if not driver_family.index.equals(segments.index):
        raise ValueError("driver_family and segments must have the same index (one row per customer, same order)")
    fam = driver_family.fillna("").astype(str)
    codes = fam.map(playbook.families).fillna(playbook.default).to_numpy(dtype=object, copy=True)
    fam_labels = {f: i18n.t(f"families.{f}", language, profile=profile) for f in FAMILIES}
    reasons = np.where(fam.isin(list(FAMILIES)).to_numpy(), _family_reasons(fam, fam_labels, language),
                       i18n.t("action_reasons.none", language)).astype(object)
    decided = np.zeros(len(fam), dtype=bool)
    reach = np.ones(len(fam), dtype=bool) if contacted is None else np.asarray(contacted, dtype=bool)
    if not reach.all():
        codes[~reach] = NO_CONTACT
        reasons[~reach] = i18n.t("action_reasons.no_contact", language)
    for rule in playbook.segment_rules:
        absent = sorted({c.column for c in rule.conditions} - set(segments.columns))
        if absent:
            LOGGER.warning("segment rule %r skipped: the scored customers have no column %s", rule.name,
                           ", ".join(map(repr, absent)))
            continue
        hit = np.logical_and.reduce([_condition_mask(segments, c) for c in rule.conditions]) & ~decided
        if not names_tiers(rule):
            hit &= reach
        if hit.any():
            codes[hit] = rule.action
            reasons[hit] = (i18n.t(rule.action_reason, language) if rule.action_reason
                            else i18n.t("action_reasons.segment_rule", language, name=rule.name))
        decided |= hit
    texts = {c: _action_text(c, playbook, language) for c in pd.unique(codes)}
    return pd.DataFrame(
        {
            "recommended_action": pd.Series(codes, dtype=object).map(texts).to_numpy(dtype=object),
            "action_code": codes,
            "action_reason": reasons,
        },
        index=driver_family.index,
    )


def _family_reasons(fam: pd.Series, labels: dict[str, str], language: str) -> np.ndarray:
    texts = {f: i18n.t("action_reasons.family", language, family=labels.get(f, f)) for f in pd.unique(fam)}
    return fam.map(texts).to_numpy(dtype=object)
