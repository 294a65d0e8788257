"""Renderers: for one feature and some customers, the template variant of each and the values for its placeholders.

A renderer takes ``(ctx, feature, regex groups)`` and returns the variant per
row (``"missing"``, ``"zero"``, ``"decline"``, ...: keys of the feature's
template in ``models/retention/locales/``) and the placeholder values, each a
scalar text or an object array with one entry per row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from models.retention import i18n
from models.retention.labels import feature_label, name_forms, value_names

Fields = dict[str, Any]  # placeholder -> scalar text or object array (one per row)


@dataclasses.dataclass
class RenderContext:
    """The rows being rendered and lazily converted columns of the whole frame."""

    features: pd.DataFrame
    rows: np.ndarray
    language: str
    currency: str | None
    cache: dict[str, np.ndarray]
    display_names: dict | None = None   # business.display_names

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


Renderer = Callable[[RenderContext, str, dict[str, str]], tuple[np.ndarray, Fields]]


def _count_variants(x: np.ndarray) -> np.ndarray:
    r = np.round(x)
    return np.select([np.isnan(x), r == 0, r == 1], ["missing", "zero", "one"], "other").astype(object)


def _event_fields(ctx: RenderContext, event: str) -> Fields:
    forms = name_forms(ctx.language, "events", "event_fallback", event, ctx.display_names)
    return {"event" + k: v for k, v in forms.items()}


# ---------------------------------------------------------------------------
# Renderers: (ctx, feature, regex groups) -> (variant per row, placeholder values)


def count(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    fields: Fields = {"n": ctx.n(x), "w": g.get("w", "")}
    if "event" in g:
        fields.update(_event_fields(ctx, g["event"]))
    return _count_variants(x), fields


def value(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    variants = np.select([np.isnan(x), x == 0], ["missing", "zero"], "other").astype(object)
    return variants, {"n": ctx.n(x, 0), "w": g.get("w", ""), **_event_fields(ctx, g["event"])}


def tickets(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    variants = _count_variants(x)
    fields: Fields = {"n": ctx.n(x), "w": g["w"]}
    opened = ctx.num("tickets_open_count")
    if opened is not None:
        has_open = (opened > 0) & np.isin(variants, ["one", "other"])
        variants[has_open] = variants[has_open] + "_open"
        fields["open"] = ctx.n(opened)
    if "category" in g:
        forms = name_forms(ctx.language, "ticket_categories", "ticket_category_fallback", g["category"],
                           ctx.display_names)
        fields.update({"category" + k: v for k, v in forms.items()})
    return variants, fields


def trend(ctx: RenderContext, feature: str, g: dict[str, str], kind: str) -> tuple[np.ndarray, Fields]:
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


def slope(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    shown = np.round(np.abs(x), 1)
    variants = np.select([np.isnan(x), shown == 0, x < 0], ["missing", "flat", "down"], "up").astype(object)
    return variants, {"n": ctx.n(np.abs(x), 1), "w": g["w"]}


def share(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    variants = np.where(np.isnan(x), "missing", "other").astype(object)
    return variants, {"pct": ctx.pct(x), "w": g.get("w", "")}


def score(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    variants = np.where(np.isnan(x), "missing", "other").astype(object)
    return variants, {"score": ctx.n(x, 1), "n": ctx.n(x, 0), "w": g.get("w", "")}


def since(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    """Time since a day in the past in days, months or years ("joined 11 months ago", never "354 days")."""
    x = ctx.num(feature)
    variants, months, years = i18n.elapsed(x)
    return variants, {"n": ctx.n(np.floor(x)), "months": ctx.n(months), "years": ctx.n(years)}


def ago(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    """How long since something last happened: in days up to two months, then in whole months, then in years.

    "No activity for 59 days", then "no activity for over 2 months", then "no activity for over a year": never
    "400 days", and never "1 month" for 59 days.
    """
    x = ctx.num(feature)
    variants, months, years = i18n.elapsed(x, months_from=2)
    fields: Fields = {"n": ctx.n(np.floor(x)), "months": ctx.n(months), "years": ctx.n(years)}
    if "event" in g:
        fields.update(_event_fields(ctx, g["event"]))
    return variants, fields


def renewal(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    r = np.round(x)
    variants = np.select(
        [np.isnan(x), r < 0, r == 0, r == 1], ["missing", "passed", "today", "one"], "soon"
    ).astype(object)
    return variants, {"n": ctx.n(np.abs(x))}


def price(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    # price_change_pct_* is a ratio, as featurize writes it (0.12 means +12%).
    x = ctx.num(feature)
    shown = np.round(np.abs(x), 2)
    variants = np.select([np.isnan(x), shown == 0, x > 0], ["missing", "flat", "rise"], "fall").astype(object)
    return variants, {"pct": ctx.pct(np.abs(x)), "w": g["w"]}


def money(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    x = ctx.num(feature)
    variants = np.where(np.isnan(x), "missing", "other").astype(object)
    if ctx.currency:
        symbol = i18n.format_money(0, ctx.language, ctx.currency).replace("0", "").strip()
        amount = symbol + ctx.n(x, 2)
    else:
        amount = ctx.n(x, 2)
    return variants, {"amount": amount}


def overdue(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    """Days since the last activity against the usual gap, both recovered from sibling columns when present."""
    x = ctx.num(feature)
    gap, since = ctx.num("gap_mean_days"), ctx.num("days_since_last_event")
    if gap is None or since is None:
        gap = since = np.full(x.shape, np.nan)
    known = ~np.isnan(gap) & ~np.isnan(since)
    variants = np.select([np.isnan(x), ~known & (x > 1), ~known, x > 1],
                         ["missing", "overdue_ratio_only", "on_time_ratio_only", "overdue"], "on_time").astype(object)
    return variants, {"ratio": ctx.n(x, 1), "gap": ctx.n(gap), "n": ctx.n(since)}


def attribute(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    missing = pd.isna(ctx.raw(feature))
    variants = np.where(missing, "missing", "other").astype(object)
    return variants, {"label": feature_label(feature, ctx.language, ctx.display_names),
                      "value": _display_values(ctx, feature)}


def trend_change(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    return trend(ctx, feature, g, "change")


def trend_diff(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    return trend(ctx, feature, g, "diff")


def usage_change(ctx: RenderContext, feature: str, g: dict[str, str]) -> tuple[np.ndarray, Fields]:
    return trend(ctx, feature, {**g, "event": "total"}, "usage")


def _display_values(ctx: RenderContext, feature: str) -> np.ndarray:
    """Customer values of any column as display text (named by params or the locale, numbers locale-formatted)."""
    col = ctx.features[feature]
    raw = ctx.raw(feature)
    shown = None
    if pd.api.types.is_bool_dtype(col):
        raw = np.where(pd.isna(raw), "", np.where(raw.astype(bool), "true", "false")).astype(object)
    elif pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
        x = ctx.num(feature)
        finite = x[np.isfinite(x)]
        integral = bool(np.all(np.equal(np.mod(finite, 1), 0))) if finite.size else True
        raw, shown = x.astype(object), ctx.n(x, 0 if integral else 2)
    else:
        raw = pd.Series(raw, dtype=object).astype(str).to_numpy(dtype=object)
    return value_names(feature, raw, ctx.language, ctx.display_names, shown)


# The renderers by the name a rule of rule_table.py gives.
RENDERERS: dict[str, Renderer] = {
    "ago": ago, "attribute": attribute, "count": count, "money": money, "overdue": overdue, "price": price,
    "renewal": renewal, "score": score, "share": share, "since": since, "slope": slope, "tickets": tickets,
    "trend_change": trend_change, "trend_diff": trend_diff, "usage_change": usage_change, "value": value,
}
