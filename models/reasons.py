"""Plain-language reasons: turn SHAP contributions into sentences about the customer.

For each customer the features that push the churn risk up the most (positive
SHAP contribution in log-odds) become reasons. Each feature is matched, by its
name, against one rule per feature pattern of :mod:`features.catalog`; the rule
says which template to use (wording in ``models/locales/<language>.yaml``),
which stable reason code to give, and which of the customer's own values to put
in the sentence ("Logins fell 64% in the last 30 days compared with the 30
before (25 → 9)").

Everything is vectorised over customers: the Python loops run over rules,
features and template variants, never over customers.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import string
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from features.catalog import family_of
from models import i18n

LOGGER = logging.getLogger(__name__)

# Room for duplicate codes (e.g. a 30-day and a 90-day login decline) when picking the top k.
_EXTRA_CANDIDATES = 3

Fields = dict[str, Any]  # placeholder -> scalar text or object array (one per row)
Renderer = Callable[["_Ctx", str, dict[str, str]], tuple[np.ndarray, Fields]]


@dataclasses.dataclass(frozen=True)
class ReasonRule:
    """How one feature pattern becomes a sentence.

    Attributes:
        pattern: regex matched against the whole feature name (named groups
            ``w``, ``event``, ``category`` are passed to the renderer).
        template: key under ``reasons:`` in the locale files.
        codes: variant -> reason code; ``"*"`` is the default. Codes may use
            ``{FAMILY}``, ``{EVENT}``, ``{CATEGORY}``, ``{FEATURE}``.
        render: function giving each row's variant and the placeholder values.
    """

    pattern: re.Pattern[str]
    template: str
    codes: dict[str, str]
    render: Renderer


@dataclasses.dataclass
class _Ctx:
    """The rows being rendered and lazily converted columns of the whole frame."""

    features: pd.DataFrame
    rows: np.ndarray
    language: str
    currency: str | None
    cache: dict[str, np.ndarray]

    def num(self, column: str) -> np.ndarray | None:
        """Float values of ``column`` for the rows, or None if the frame has no such column."""
        if column not in self.features.columns:
            return None
        if column not in self.cache:
            col = self.features[column]
            if isinstance(col.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(col):
                col = pd.to_numeric(col.astype(object), errors="coerce")
            self.cache[column] = col.to_numpy(dtype=float, na_value=np.nan)
        return self.cache[column][self.rows]

    def raw(self, column: str) -> np.ndarray:
        """Values of ``column`` for the rows, as an object array."""
        return self.features[column].iloc[self.rows].astype(object).to_numpy()

    def n(self, values: np.ndarray, decimals: int = 0) -> np.ndarray:
        return i18n.format_numbers(values, self.language, decimals)

    def pct(self, values: np.ndarray, decimals: int = 0) -> np.ndarray:
        return i18n.format_percents(values, self.language, decimals)


# ---------------------------------------------------------------------------
# Variant helpers


def _count_variants(x: np.ndarray) -> np.ndarray:
    r = np.round(x)
    return np.select([np.isnan(x), r == 0, r == 1], ["missing", "zero", "one"], "other").astype(object)


def _names(language: str, section: str, fallback: str, name: str) -> dict[str, str]:
    """Return ``{"x", "x_one", "x_other"}`` forms of an event or ticket-category name."""
    entry = i18n.lookup(f"{section}.{name}", language, default="")
    if not entry:
        pretty = name.replace("_", " ")
        fb = i18n.lookup(fallback, language)
        entry = {k: v.format(name=pretty) for k, v in fb.items()} if isinstance(fb, dict) else fb.format(name=pretty)
    if isinstance(entry, str):
        entry = {"one": entry, "other": entry}
    return {"": entry["other"], "_one": entry["one"], "_other": entry["other"]}


def _event_fields(ctx: _Ctx, event: str) -> Fields:
    forms = _names(ctx.language, "events", "event_fallback", event)
    return {"event" + k: v for k, v in forms.items()}


# ---------------------------------------------------------------------------
# Renderers: (ctx, feature, regex groups) -> (variant per row, placeholder values)


def _r_count(ctx: _Ctx, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    fields: Fields = {"n": ctx.n(x), "w": g.get("w", "")}
    if "event" in g:
        fields.update(_event_fields(ctx, g["event"]))
    return _count_variants(x), fields


def _r_value(ctx: _Ctx, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    variants = np.select([np.isnan(x), x == 0], ["missing", "zero"], "other").astype(object)
    return variants, {"n": ctx.n(x, 0), "w": g["w"], **_event_fields(ctx, g["event"])}


def _r_tickets(ctx: _Ctx, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    variants = _count_variants(x)
    fields: Fields = {"n": ctx.n(x), "w": g["w"]}
    opened = ctx.num("tickets_open_count")
    if opened is not None:
        has_open = (opened > 0) & np.isin(variants, ["one", "other"])
        variants[has_open] = variants[has_open] + "_open"
        fields["open"] = ctx.n(opened)
    if "category" in g:
        forms = _names(ctx.language, "ticket_categories", "ticket_category_fallback", g["category"])
        fields.update({"category" + k: v for k, v in forms.items()})
    return variants, fields


def _trend(ctx: _Ctx, feature: str, g: dict[str, str], kind: str) -> tuple[np.ndarray, Fields]:
    """Usage change between two windows, recovering both counts from sibling columns."""
    event, w = g["event"], g["w"]
    x = ctx.num(feature)
    stem = f"events_{event}" if event != "total" or kind != "usage" else "events_total"
    cur = ctx.num(f"{stem}_count_{w}d")
    diff = x if kind == "diff" else ctx.num(f"{stem}_diff_{w}d_vs_prev_{w}d")
    change = x if kind in ("change", "usage") else ctx.num(f"{stem}_change_{w}d_vs_prev_{w}d")
    nan = np.full(x.shape, np.nan)
    if cur is not None and diff is not None:
        prev = cur - diff
    elif cur is not None and change is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            prev = np.where(change > -1, cur / (1.0 + change), nan)
    else:
        prev = nan
    if cur is None:
        cur = nan
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(prev > 0, (cur - prev) / prev, change if change is not None else nan)
    delta = diff if diff is not None else cur - prev
    counts = ~np.isnan(cur) & ~np.isnan(prev)
    has_pct = ~np.isnan(pct) & np.isfinite(pct)
    flat = has_pct & (np.abs(pct) < 0.005)
    down = (has_pct & (pct < 0)) | (~has_pct & (delta < 0))
    stopped = down & (((cur == 0) & counts) | (~counts & has_pct & (pct <= -1)))
    variants = np.select(
        [
            np.isnan(x),
            stopped & counts,
            stopped,
            flat & counts,
            down & counts & has_pct,
            down & has_pct,
            down,
            ~down & counts & has_pct & ~flat,
            ~down & has_pct & ~flat,
            ~down & ~np.isnan(delta) & (delta != 0),
        ],
        ["missing", "stopped", "stopped_noprev", "flat", "decline", "decline_pct", "decline_abs",
         "rise", "rise_pct", "rise_abs"],
        "flat",
    ).astype(object)
    variants[(variants == "flat") & ~counts] = "missing"
    fields: Fields = {
        "w": w,
        "pct": ctx.pct(np.abs(pct)),
        "prev": ctx.n(prev),
        "cur": ctx.n(cur),
        "n": ctx.n(np.abs(delta)),
        **_event_fields(ctx, event),
    }
    return variants, fields


def _r_slope(ctx: _Ctx, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    shown = np.round(np.abs(x), 1)
    variants = np.select([np.isnan(x), shown == 0, x < 0], ["missing", "flat", "down"], "up").astype(object)
    return variants, {"n": ctx.n(np.abs(x), 1), "w": g["w"]}


def _r_share(ctx: _Ctx, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    variants = np.where(np.isnan(x), "missing", "other").astype(object)
    return variants, {"pct": ctx.pct(x), "w": g["w"]}


def _r_score(ctx: _Ctx, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    variants = np.where(np.isnan(x), "missing", "other").astype(object)
    return variants, {"score": ctx.n(x, 1), "n": ctx.n(x, 0), "w": g.get("w", "")}


def _r_tenure(ctx: _Ctx, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    variants = np.select([np.isnan(x), x < 365], ["missing", "short"], "long").astype(object)
    return variants, {"n": ctx.n(x), "years": ctx.n(x / 365.25, 1)}


def _r_renewal(ctx: _Ctx, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    r = np.round(x)
    variants = np.select(
        [np.isnan(x), r < 0, r == 0, r == 1], ["missing", "passed", "today", "one"], "soon"
    ).astype(object)
    return variants, {"n": ctx.n(np.abs(x))}


def _r_price(ctx: _Ctx, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    # price_change_pct_* is a ratio, as featurize writes it (0.12 means +12%).
    x = ctx.num(feature)
    shown = np.round(np.abs(x), 2)
    variants = np.select([np.isnan(x), shown == 0, x > 0], ["missing", "flat", "rise"], "fall").astype(object)
    return variants, {"pct": ctx.pct(np.abs(x)), "w": g["w"]}


def _r_money(ctx: _Ctx, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    variants = np.where(np.isnan(x), "missing", "other").astype(object)
    if ctx.currency:
        symbol = i18n.format_money(0, ctx.language, ctx.currency).replace("0", "").strip()
        amount = symbol + ctx.n(x, 2)
    else:
        amount = ctx.n(x, 2)
    return variants, {"amount": amount}


def _display_values(ctx: _Ctx, feature: str) -> np.ndarray:
    """Customer values of any column as display text (numbers locale-formatted, known words translated)."""
    col = ctx.features[feature]
    if pd.api.types.is_bool_dtype(col):
        raw = ctx.raw(feature)
        text = np.where(pd.isna(raw), "", np.where(raw.astype(bool), "true", "false")).astype(object)
    elif pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
        x = ctx.num(feature)
        finite = x[np.isfinite(x)]
        integral = bool(np.all(np.equal(np.mod(finite, 1), 0))) if finite.size else True
        return ctx.n(x, 0 if integral else 2)
    else:
        text = pd.Series(ctx.raw(feature), dtype=object).astype(str).to_numpy(dtype=object)
    words = _attribute_values(ctx.language)
    lowered = pd.Series(text, dtype=object).str.lower()
    translated = lowered.map(words)
    return np.where(translated.isna(), text, translated).astype(object)


@functools.lru_cache(maxsize=None)
def _attribute_values(language: str) -> dict[str, str]:
    entry = i18n.lookup("attribute_values", language, default={})
    return {str(k).lower(): str(v) for k, v in entry.items()}


def _r_attribute(ctx: _Ctx, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    missing = pd.isna(ctx.raw(feature))
    variants = np.where(missing, "missing", "other").astype(object)
    return variants, {"label": feature_label(feature, ctx.language), "value": _display_values(ctx, feature)}


def _r_usage_change(ctx: _Ctx, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    return _trend(ctx, feature, {**g, "event": "total"}, "usage")


def _rule(pattern: str, template: str, codes: dict[str, str] | str, render: Renderer) -> ReasonRule:
    codes = {"*": codes} if isinstance(codes, str) else codes
    return ReasonRule(re.compile(pattern), template, codes, render)


_DECLINE_CODES = {
    "*": "{FAMILY}_TREND_{EVENT}",
    **{v: "{FAMILY}_DECLINE_{EVENT}" for v in ("decline", "decline_pct", "decline_abs", "stopped", "stopped_noprev")},
}
_W = r"(?P<w>\d+)d"

# One rule per feature pattern of features/catalog.py; the first match wins.
# Reviewed together with models/locales/*.yaml (the wording of each template).
RULES: tuple[ReasonRule, ...] = (
    # billing
    _rule(rf"^(?:events_)?payment_failed_count_{_W}$", "payment_failed", "BILLING_PAYMENT_FAILED", _r_count),
    _rule(rf"^price_change_pct_{_W}$", "price_change",
          {"*": "BILLING_PRICE_CHANGE", "rise": "BILLING_PRICE_RISE"}, _r_price),
    _rule(r"^monthly_fee$", "monthly_fee", "BILLING_FEE", _r_money),
    # a signup event in the window says how new the customer is, not how much they use the product
    _rule(rf"^events_signup_count_{_W}$", "signup_recent", "TENURE_RECENT_SIGNUP", _r_count),
    # plan changes (tenure) and price changes (billing) counted from the event log
    _rule(rf"^events_(?P<event>plan_change|price_change)_count_{_W}$", "event_changes",
          "{FAMILY}_RECENT_{EVENT}", _r_count),
    # usage (also events of other families, e.g. NPS responses)
    _rule(rf"^events_total_count_{_W}$", "total_count", "{FAMILY}_LOW_TOTAL", _r_count),
    _rule(rf"^events_(?P<event>.+?)_count_{_W}$", "event_count", "{FAMILY}_LOW_{EVENT}", _r_count),
    _rule(rf"^events_(?P<event>.+?)_value_sum_{_W}$", "event_value", "{FAMILY}_LOW_{EVENT}_VALUE", _r_value),
    _rule(rf"^events_(?P<event>.+?)_change_{_W}_vs_prev_(?P=w)d$", "event_trend", _DECLINE_CODES,
          lambda c, f, g: _trend(c, f, g, "change")),
    _rule(rf"^events_(?P<event>.+?)_diff_{_W}_vs_prev_(?P=w)d$", "event_trend", _DECLINE_CODES,
          lambda c, f, g: _trend(c, f, g, "diff")),
    _rule(rf"^usage_change_{_W}_vs_prev_(?P=w)d$", "event_trend",
          {"*": "USAGE_TREND_TOTAL", **{k: "USAGE_DECLINE_TOTAL" for k in _DECLINE_CODES if k != "*"}},
          _r_usage_change),
    _rule(rf"^usage_weekly_slope_{_W}$", "usage_slope", {"*": "USAGE_SLOPE", "down": "USAGE_SLOPE_DOWN"}, _r_slope),
    # engagement
    _rule(rf"^active_days_{_W}$", "active_days", "ENGAGEMENT_FEW_ACTIVE_DAYS", _r_count),
    _rule(rf"^distinct_event_types_{_W}$", "distinct_types", "ENGAGEMENT_NARROW_USE", _r_count),
    _rule(r"^days_since_last_event$", "inactive_days", "ENGAGEMENT_INACTIVE", _r_count),
    _rule(rf"^longest_gap_days_{_W}$", "longest_gap", "ENGAGEMENT_LONG_GAP", _r_count),
    _rule(rf"^weeks_active_share_{_W}$", "weeks_active", "ENGAGEMENT_FEW_ACTIVE_WEEKS", _r_share),
    _rule(r"^nps_last_score$", "nps_score", {"*": "ENGAGEMENT_LOW_NPS", "missing": "ENGAGEMENT_NO_NPS"}, _r_score),
    _rule(r"^days_since_last_nps$", "nps_age", {"*": "ENGAGEMENT_NPS_STALE", "missing": "ENGAGEMENT_NO_NPS"},
          _r_count),
    # tenure
    _rule(r"^tenure_days$", "tenure", {"*": "TENURE_SHORT", "long": "TENURE_LONG", "missing": "TENURE_UNKNOWN"},
          _r_tenure),
    _rule(r"^days_to_renewal$", "renewal", {"*": "TENURE_RENEWAL_SOON", "passed": "TENURE_RENEWAL_PASSED",
                                            "missing": "TENURE_NO_RENEWAL"}, _r_renewal),
    _rule(r"^plan_changes_count$", "plan_changes", "TENURE_PLAN_CHANGES", _r_count),
    # complaints
    _rule(rf"^tickets_count_{_W}$", "tickets", "COMPLAINTS_RECENT", _r_tickets),
    _rule(r"^tickets_open_count$", "tickets_open", "COMPLAINTS_OPEN", _r_count),
    _rule(rf"^tickets_slow_resolution_count_{_W}$", "tickets_slow", "COMPLAINTS_SLOW_RESOLUTION", _r_count),
    _rule(rf"^tickets_(?P<category>.+?)_count_{_W}$", "tickets_category", "COMPLAINTS_RECENT_{CATEGORY}",
          _r_tickets),
    _rule(r"^days_since_last_ticket$", "last_ticket", "COMPLAINTS_LAST_TICKET", _r_count),
    _rule(rf"^satisfaction_mean_{_W}$", "satisfaction_mean", "COMPLAINTS_LOW_SATISFACTION", _r_score),
    _rule(rf"^satisfaction_min_{_W}$", "satisfaction_min", "COMPLAINTS_LOW_SATISFACTION", _r_score),
    _rule(rf"^complaints_repeat_count_{_W}$", "complaints_repeat", "COMPLAINTS_REPEAT", _r_count),
)

_ATTRIBUTE_RULE = ReasonRule(re.compile(".*"), "attribute", {"*": "ATTRIBUTES_{FEATURE}"}, _r_attribute)
_GENERIC_RULE = ReasonRule(re.compile(".*"), "generic", {"*": "{FAMILY}_{FEATURE}"}, _r_attribute)


def rule_for(feature: str) -> tuple[ReasonRule, dict[str, str]]:
    """Return the rule that explains ``feature`` and its regex groups.

    Args:
        feature: a feature column name.

    Returns:
        ``(rule, groups)``; static attributes get the attribute rule and any
        other unmatched feature the generic rule (prettified name and value).
    """
    for rule in RULES:
        m = rule.pattern.match(feature)
        if m:
            return rule, {k: v for k, v in m.groupdict().items() if v is not None}
    return (_ATTRIBUTE_RULE if family_of(feature) == "attributes" else _GENERIC_RULE), {}


def _code_token(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def feature_label(feature: str, language: str) -> str:
    """Return a readable label for a column name ("Events x count (last 30 days)").

    Args:
        feature: a feature or attribute column name.
        language: ``"en"`` or ``"ja"``.

    Returns:
        The attribute's translated label if the locale has one, else the name prettified.
    """
    known = i18n.lookup(f"attributes.{feature}", language, default="")
    if known:
        return str(known)
    words = i18n.lookup("prettify", language)
    window = ""
    m = re.search(r"_(\d+)d(?:_vs_prev_\d+d)?$", feature)
    stem = feature
    if m:
        window = words["window"].format(w=m.group(1))
        vs = " " + words["vs_prev"] if "_vs_prev_" in m.group(0) else ""
        stem = feature[: m.start()] + vs.replace(" ", "_")
    text = " ".join(p for p in stem.split("_") if p)
    if language == "en":
        text = text[:1].upper() + text[1:]
        return f"{text} {window}".strip()
    return f"{text}{window}"


@functools.lru_cache(maxsize=None)
def _template(language: str, key: str) -> dict[str, str]:
    entry = i18n.lookup(f"reasons.{key}", language)
    if not isinstance(entry, dict) or "missing" not in entry:
        raise ValueError(f"reason template {key!r} ({language}) must be a mapping with at least a 'missing' variant")
    return {str(k): str(v) for k, v in entry.items()}


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
) -> tuple[np.ndarray, np.ndarray]:
    """Write the reason sentence and code of one feature for some customers.

    Args:
        features: the feature frame (all customers; sibling columns are read too).
        feature: the column to explain.
        rows: positional indices of the customers to render.
        language: ``"en"`` or ``"ja"``.
        currency: ISO code used for money amounts (plain numbers if None).

    Returns:
        ``(sentences, codes)``: two object arrays aligned with ``rows``.
    """
    i18n.check_language(language)
    rule, groups = rule_for(feature)
    ctx = _Ctx(features, np.asarray(rows, dtype=np.intp), language, currency, {} if _cache is None else _cache)
    variants, fields = rule.render(ctx, feature, groups)
    family = family_of(feature)
    tokens = {
        "FAMILY": family.upper(),
        "EVENT": _code_token(groups.get("event", "")),
        "CATEGORY": _code_token(groups.get("category", "")),
        "FEATURE": _code_token(feature),
    }
    template = _template(language, rule.template)
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


def top_reasons(
    features: pd.DataFrame,
    contributions: np.ndarray,
    feature_names: list[str],
    language: str = "en",
    top_k: int = 3,
    currency: str | None = None,
) -> pd.DataFrame:
    """Return each customer's top reasons for being at risk, as sentences and codes.

    Only features with a positive contribution (pushing risk up) become reasons;
    when two candidate features give the same code (a 30-day and a 90-day login
    decline) only the stronger is kept.

    Args:
        features: feature values, one row per customer (must contain ``feature_names``).
        contributions: ``(n_customers, n_features)`` SHAP contributions aligned with
            ``features`` rows and ``feature_names``.
        feature_names: the column of each contribution.
        language: ``"en"`` or ``"ja"``.
        top_k: number of reasons per customer.
        currency: ISO code for money amounts in sentences (plain numbers if None).

    Returns:
        A frame with the index of ``features`` and columns ``reason_1..k``,
        ``reason_code_1..k``, ``reason_family_1..k`` (empty strings when fewer
        than k features push risk up), ``reason_codes`` ("|"-joined) and
        ``driver_family`` (family of reason 1, empty if none).
    """
    i18n.check_language(language)
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    contrib = np.asarray(contributions, dtype=float)
    n, p = len(features), len(feature_names)
    if contrib.ndim != 2 or contrib.shape != (n, p):
        hint = " (drop the last column of pred_contrib: it is the base value)" if contrib.shape[-1] == p + 1 else ""
        raise ValueError(
            f"contributions have shape {contrib.shape}, but features has {n} rows and "
            f"{p} feature names were given: expected ({n}, {p}){hint}"
        )
    missing_cols = [f for f in feature_names if f not in features.columns]
    if missing_cols:
        raise ValueError(
            f"{len(missing_cols)} feature names are not columns of features, e.g. {missing_cols[:5]}"
        )

    m = min(p, top_k + _EXTRA_CANDIDATES)
    sent = np.full((n, m), "", dtype=object)
    codes = np.full((n, m), "", dtype=object)
    fams = np.full((n, m), "", dtype=object)
    valid = np.zeros((n, m), dtype=bool)
    if n and p:
        score = np.where(np.isnan(contrib), -np.inf, contrib)
        part = np.argpartition(-score, m - 1, axis=1)[:, :m] if m < p else np.tile(np.arange(p), (n, 1))
        part_scores = np.take_along_axis(score, part, axis=1)
        order = np.lexsort((part, -part_scores), axis=1)
        cand = np.take_along_axis(part, order, axis=1)
        valid = np.take_along_axis(part_scores, order, axis=1) > 0

        flat_pos = np.flatnonzero(valid)
        flat_feat = cand.ravel()[flat_pos]
        by_feat = np.argsort(flat_feat, kind="stable")
        flat_pos, flat_feat = flat_pos[by_feat], flat_feat[by_feat]
        starts = np.flatnonzero(np.r_[True, flat_feat[1:] != flat_feat[:-1]]) if flat_feat.size else []
        ends = np.r_[starts[1:], flat_feat.size] if flat_feat.size else []
        cache: dict[str, np.ndarray] = {}
        s_flat, c_flat, f_flat = sent.ravel(), codes.ravel(), fams.ravel()
        for a, b in zip(starts, ends):
            feature = feature_names[flat_feat[a]]
            pos = flat_pos[a:b]
            s, c = render_feature(features, feature, pos // m, language, currency, cache)
            s_flat[pos], c_flat[pos], f_flat[pos] = s, c, family_of(feature)
        sent, codes, fams = s_flat.reshape(n, m), c_flat.reshape(n, m), f_flat.reshape(n, m)

        for r in range(1, m):
            dup = np.zeros(n, dtype=bool)
            for s in range(r):
                dup |= valid[:, s] & (codes[:, s] == codes[:, r])
            valid[:, r] &= ~dup
        keep = np.argsort(~valid, axis=1, kind="stable")
        sent, codes, fams, valid = (np.take_along_axis(a, keep, axis=1) for a in (sent, codes, fams, valid))

    k_avail = min(top_k, m)
    out: dict[str, Any] = {}
    cols_s, cols_c, cols_f = {}, {}, {}
    for r in range(top_k):
        ok = valid[:, r] if r < k_avail else np.zeros(n, dtype=bool)
        pick = (lambda a: np.where(ok, a[:, r], "")) if r < k_avail else (lambda a: np.full(n, "", dtype=object))
        cols_s[f"reason_{r + 1}"] = pick(sent)
        cols_c[f"reason_code_{r + 1}"] = pick(codes)
        cols_f[f"reason_family_{r + 1}"] = pick(fams)
    out.update(cols_s)
    out.update(cols_c)
    out.update(cols_f)
    frame = pd.DataFrame(out, index=features.index).astype(object)
    code_cols = list(cols_c)
    joined = frame[code_cols[0]].astype(str)
    for col in code_cols[1:]:
        nxt = frame[col].astype(str)
        joined = joined.where(nxt == "", joined + "|" + nxt)
    frame["reason_codes"] = joined
    frame["driver_family"] = frame["reason_family_1"]
    return frame
