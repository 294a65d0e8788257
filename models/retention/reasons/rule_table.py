"""The reason rules as data: one per feature pattern of ``features/catalog.py``, the first match wins.

A rule says which template words the reason (``models/retention/locales/<language>/*.yaml``,
under ``reasons:``), which stable reason code it gets, and which renderer of ``render.py``, by name,
puts the customer's own values in the sentence. Reviewed together with the locale files.

This module imports none of the reason code: the labels, the rules and the sentences all read it.
"""

from __future__ import annotations

import dataclasses
import re


@dataclasses.dataclass(frozen=True)
class ReasonRule:
    """How one feature pattern becomes a sentence.

    Attributes:
        pattern: regex matched against the whole feature name (named groups
            ``w``, ``event``, ``category`` are passed to the renderer).
        template: key under ``reasons:`` in the locale files.
        codes: variant -> reason code; ``"*"`` is the default. Codes may use
            ``{FAMILY}``, ``{EVENT}``, ``{CATEGORY}``, ``{FEATURE}``.
        renderer: name of the function of ``render.RENDERERS`` giving each row's variant and the placeholder values.
    """

    pattern: re.Pattern[str]
    template: str
    codes: dict[str, str]
    renderer: str


def _rule(pattern: str, template: str, codes: dict[str, str] | str, renderer: str) -> ReasonRule:
    codes = {"*": codes} if isinstance(codes, str) else codes
    return ReasonRule(re.compile(pattern), template, codes, renderer)


_DECLINE_CODES = {
    "*": "{FAMILY}_TREND_{EVENT}",
    **{v: "{FAMILY}_DECLINE_{EVENT}" for v in ("decline", "decline_pct", "decline_abs", "stopped", "stopped_noprev")},
}
_W = r"(?P<w>\d+)d"
# No gap between active days yet (one active day at most): the gap features and "no return" say the same thing,
# with the same code, so a customer reads it once.
_SINGLE_DAY = "ENGAGEMENT_SINGLE_ACTIVE_DAY"

# One rule per feature pattern of features/catalog.py; the first match wins.
# Reviewed together with models/retention/locales/*/reasons.yaml (the wording of each template).
RULES: tuple[ReasonRule, ...] = (
    # billing
    _rule(rf"^(?:events_)?payment_failed_count_{_W}$", "payment_failed", "BILLING_PAYMENT_FAILED", "count"),
    _rule(rf"^price_change_pct_{_W}$", "price_change",
          {"*": "BILLING_PRICE_CHANGE", "rise": "BILLING_PRICE_RISE"}, "price"),
    _rule(r"^monthly_fee$", "monthly_fee", "BILLING_FEE", "money"),
    # a signup event in the window says how new the customer is, not how much they use the product
    _rule(rf"^events_signup_count_{_W}$", "signup_recent", "TENURE_RECENT_SIGNUP", "count"),
    # plan changes (tenure) and price changes (billing) counted from the event log
    _rule(rf"^events_(?P<event>plan_change|price_change)_count_{_W}$", "event_changes",
          "{FAMILY}_RECENT_{EVENT}", "count"),
    # usage (also events of other families, e.g. NPS responses)
    _rule(rf"^events_total_count_{_W}$", "total_count", "{FAMILY}_LOW_TOTAL", "count"),
    _rule(rf"^events_(?P<event>.+?)_count_{_W}$", "event_count", "{FAMILY}_LOW_{EVENT}", "count"),
    _rule(rf"^events_(?P<event>.+?)_value_sum_{_W}$", "event_value", "{FAMILY}_LOW_{EVENT}_VALUE", "value"),
    _rule(r"^events_total_count_all$", "total_count_all", "{FAMILY}_LIFETIME_TOTAL", "count"),
    _rule(r"^events_(?P<event>.+?)_count_all$", "event_count_all", "{FAMILY}_LIFETIME_{EVENT}", "count"),
    _rule(r"^events_(?P<event>.+?)_value_sum_all$", "event_value_all", "{FAMILY}_LIFETIME_{EVENT}_VALUE",
          "value"),
    _rule(r"^events_(?P<event>.+?)_value_per_day_all$", "event_value_per_day", "{FAMILY}_{EVENT}_VALUE_PER_DAY",
          "value"),
    _rule(rf"^events_(?P<event>.+?)_change_{_W}_vs_prev_(?P=w)d$", "event_trend", _DECLINE_CODES,
          "trend_change"),
    _rule(rf"^events_(?P<event>.+?)_diff_{_W}_vs_prev_(?P=w)d$", "event_trend", _DECLINE_CODES,
          "trend_diff"),
    _rule(rf"^usage_change_{_W}_vs_prev_(?P=w)d$", "event_trend",
          {"*": "USAGE_TREND_TOTAL", **{k: "USAGE_DECLINE_TOTAL" for k in _DECLINE_CODES if k != "*"}},
          "usage_change"),
    _rule(rf"^usage_weekly_slope_{_W}$", "usage_slope", {"*": "USAGE_SLOPE", "down": "USAGE_SLOPE_DOWN"}, "slope"),
    # engagement
    _rule(rf"^active_days_{_W}$", "active_days", "ENGAGEMENT_FEW_ACTIVE_DAYS", "count"),
    _rule(rf"^distinct_event_types_{_W}$", "distinct_types", "ENGAGEMENT_NARROW_USE", "count"),
    _rule(r"^days_since_last_event$", "inactive_days", "ENGAGEMENT_INACTIVE", "ago"),
    _rule(rf"^longest_gap_days_{_W}$", "longest_gap", "ENGAGEMENT_LONG_GAP", "count"),
    _rule(rf"^weeks_active_share_{_W}$", "weeks_active", "ENGAGEMENT_FEW_ACTIVE_WEEKS", "share"),
    _rule(r"^days_since_last_(?P<event>.+)_event$", "since_last_event_type", "{FAMILY}_SINCE_LAST_{EVENT}",
          "ago"),
    _rule(r"^active_days_all$", "active_days_all", "USAGE_LIFETIME_ACTIVE_DAYS", "count"),
    _rule(r"^repeat_active_days$", "repeat_active_days", {"*": "USAGE_FEW_RETURNS", "zero": _SINGLE_DAY},
          "count"),
    _rule(r"^activity_span_days$", "activity_span", "ENGAGEMENT_ACTIVITY_SPAN", "count"),
    _rule(r"^gap_mean_days$", "gap_mean", {"*": "ENGAGEMENT_USUAL_GAP", "missing": _SINGLE_DAY}, "count"),
    _rule(r"^gap_std_days$", "gap_std", {"*": "ENGAGEMENT_IRREGULAR", "missing": _SINGLE_DAY}, "count"),
    _rule(r"^gap_max_days$", "gap_max", {"*": "ENGAGEMENT_LONGEST_GAP", "missing": _SINGLE_DAY}, "count"),
    _rule(r"^overdue_ratio$", "overdue", {"*": "ENGAGEMENT_OVERDUE", "on_time": "ENGAGEMENT_ON_TIME",
                                          "on_time_ratio_only": "ENGAGEMENT_ON_TIME", "missing": _SINGLE_DAY},
          "overdue"),
    _rule(r"^activity_rate_per_day$", "activity_rate", "USAGE_ACTIVITY_RATE", "share"),
    _rule(r"^nps_last_score$", "nps_score", {"*": "ENGAGEMENT_LOW_NPS", "missing": "ENGAGEMENT_NO_NPS"}, "score"),
    _rule(r"^days_since_last_nps$", "nps_age", {"*": "ENGAGEMENT_NPS_STALE", "missing": "ENGAGEMENT_NO_NPS"},
          "ago"),
    # tenure
    _rule(r"^tenure_days$", "tenure", {"*": "TENURE_SHORT", "year": "TENURE_LONG", "years": "TENURE_LONG",
                                        "missing": "TENURE_UNKNOWN"}, "since"),
    _rule(r"^days_to_renewal$", "renewal", {"*": "TENURE_RENEWAL_SOON", "passed": "TENURE_RENEWAL_PASSED",
                                            "missing": "TENURE_NO_RENEWAL"}, "renewal"),
    _rule(r"^days_since_first_activity$", "first_activity", "TENURE_FIRST_ACTIVITY", "since"),
    _rule(r"^days_to_anniversary_month$", "anniversary_month", "TENURE_MONTHLY_ANNIVERSARY", "count"),
    _rule(r"^days_to_anniversary_year$", "anniversary_year", "TENURE_YEARLY_ANNIVERSARY", "count"),
    _rule(r"^plan_changes_count$", "plan_changes", "TENURE_PLAN_CHANGES", "count"),
    # complaints
    _rule(rf"^tickets_count_{_W}$", "tickets", "COMPLAINTS_RECENT", "tickets"),
    _rule(r"^tickets_open_count$", "tickets_open", "COMPLAINTS_OPEN", "count"),
    _rule(rf"^tickets_slow_resolution_count_{_W}$", "tickets_slow", "COMPLAINTS_SLOW_RESOLUTION", "count"),
    _rule(rf"^tickets_(?P<category>.+?)_count_{_W}$", "tickets_category", "COMPLAINTS_RECENT_{CATEGORY}",
          "tickets"),
    _rule(r"^days_since_last_ticket$", "last_ticket", "COMPLAINTS_LAST_TICKET", "ago"),
    _rule(rf"^satisfaction_mean_{_W}$", "satisfaction_mean", "COMPLAINTS_LOW_SATISFACTION", "score"),
    _rule(rf"^satisfaction_min_{_W}$", "satisfaction_min", "COMPLAINTS_LOW_SATISFACTION", "score"),
    _rule(rf"^complaints_repeat_count_{_W}$", "complaints_repeat", "COMPLAINTS_REPEAT", "count"),
)

ATTRIBUTE_RULE = ReasonRule(re.compile(".*"), "attribute", {"*": "ATTRIBUTES_{FEATURE}"}, "attribute")
GENERIC_RULE = ReasonRule(re.compile(".*"), "generic", {"*": "{FAMILY}_{FEATURE}"}, "attribute")


def match_rule(feature: str) -> tuple[ReasonRule, dict[str, str]] | None:
    """The first rule of ``RULES`` whose pattern matches ``feature``, with its regex groups, or None.

    Args:
        feature: a feature column name.

    Returns:
        ``(rule, groups)``, the groups that matched something; None when no pattern matches.
    """
    for rule in RULES:
        m = rule.pattern.match(feature)
        if m:
            return rule, {k: v for k, v in m.groupdict().items() if v is not None}
    return None
