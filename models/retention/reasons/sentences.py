"""One feature's reason for some customers: the rule's template filled with their values, and the reason code."""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from features.catalog import family_of
from models.retention import i18n
from models.retention.reasons.render import RENDERERS, Fields, RenderContext
from models.retention.reasons.rules import rule_for


def _code_token(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


@functools.lru_cache(maxsize=None)
def _template(language: str, key: str, profile: str | None = None) -> Mapping[str, str]:
    """The variants of reason template ``key`` (``reasons.<key>`` in the locale), read-only: the result is cached."""
    entry = i18n.lookup(f"reasons.{key}", language, profile=profile)
    if not isinstance(entry, dict) or "missing" not in entry:
        raise ValueError(f"reason template {key!r} ({language}) must be a mapping with at least a 'missing' variant")
    return MappingProxyType({str(k): str(v) for k, v in entry.items()})


def _fill(text: str, fields: Fields, mask: np.ndarray, language: str, where: str) -> np.ndarray:
    """Fill ``text`` for the rows in ``mask``: scalars first, then per-row arrays, vectorised."""
    for name, value in fields.items():
        if isinstance(value, str):
            text = text.replace("{" + name + "}", value)
    if language == "en" and text:
        text = text[0].upper() + text[1:]
    size = int(mask.sum())
    out = np.full(size, "", dtype=object)
    for literal, name, _, _ in string.Formatter().parse(text):
        if literal:
            out = out + literal
        if name is not None:
            if name not in fields:
                raise KeyError(f"{where}: placeholder {{{name}}} has no value; available: {sorted(fields)}")
            value = fields[name]
            out = out + (value if isinstance(value, str) else np.asarray(value, dtype=object)[mask])
    return out


def render_feature(
    features: pd.DataFrame,
    feature: str,
    rows: np.ndarray,
    language: str = "en",
    currency: str | None = None,
    _cache: dict[str, np.ndarray] | None = None,
    profile: str | None = None,
    display_names: dict | None = None,
    family: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Write the reason sentence and code of one feature for some customers.

    Args:
        features: the feature frame (all customers; sibling columns are read too).
        feature: the column to explain.
        rows: positional indices of the customers to render.
        language: ``"en"`` or ``"ja"``.
        currency: ISO code used for money amounts (plain numbers if None).
        profile: the business profile (``business.kind``): a non-contract business has its own words.
        display_names: ``business.display_names``, names of event types, ticket categories, columns and their values.
        family: the feature's family for this kind of business (None: ``family_of`` by name).

    Returns:
        ``(sentences, codes)``: two object arrays aligned with ``rows``.
    """
    i18n.check_language(language)
    rule, groups = rule_for(feature)
    ctx = RenderContext(features, np.asarray(rows, dtype=np.intp), language, currency,
                        {} if _cache is None else _cache, display_names)
    variants, fields = RENDERERS[rule.renderer](ctx, feature, groups)
    family = family or family_of(feature)
    tokens = {
        "FAMILY": family.upper(),
        "EVENT": _code_token(groups.get("event", "")),
        "CATEGORY": _code_token(groups.get("category", "")),
        "FEATURE": _code_token(feature),
    }
    template = _template(language, rule.template, profile)
    sentences = np.full(len(ctx.rows), "", dtype=object)
    codes = np.full(len(ctx.rows), "", dtype=object)
    for variant in pd.unique(variants):
        mask = variants == variant
        key = variant if variant in template else ("other" if variant != "missing" else "missing")
        if key not in template:
            key = "missing"
        where = f"reasons.{rule.template}.{key} ({language}) for {feature}"
        sentences[mask] = _fill(template[key], fields, mask, language, where)
        code = rule.codes.get(variant, rule.codes["*"])
        codes[mask] = code.format(**tokens)
    return sentences, codes
