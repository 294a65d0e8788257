"""Names shared by features, reasons and the synthetic generator's ground truth.

Feature names are built from a few patterns so that every later consumer (the
feature dictionary, SHAP reasons, the report) can recognise a feature by its
name alone. The driver families are the vocabulary the retention team reads and
the names the synthetic generator uses for its ground-truth dominant driver.

Patterns (``{t}`` an event type, ``{c}`` a ticket category, ``{w}`` a window in days):

usage
    ``events_{t}_count_{w}d``, ``events_total_count_{w}d``,
    ``events_{t}_value_sum_{w}d``, and since signup ``events_{t}_count_all``, ``events_total_count_all``,
    ``events_{t}_value_sum_all``, ``events_{t}_value_per_day_all`` (value per day with one),
    ``events_{t}_change_{w}d_vs_prev_{w}d`` (ratio, -1 = stopped, 0 = flat),
    ``events_{t}_diff_{w}d_vs_prev_{w}d`` (absolute difference),
    ``usage_weekly_slope_{w}d`` (events per week, per week), ``active_days_{w}d``, ``active_days_all``,
    ``distinct_event_types_{w}d``, ``weeks_active_share_{w}d``, ``repeat_active_days`` (frequency),
    ``activity_rate_per_day``
engagement
    ``days_since_last_event``, ``days_since_last_{t}_event``, ``longest_gap_days_{w}d``, ``nps_last_score``,
    ``days_since_last_nps``, ``activity_span_days`` (recency of buy-till-you-die models), ``gap_mean_days``,
    ``gap_std_days``, ``gap_max_days``, ``overdue_ratio`` (days since the last activity / mean gap)
tenure
    ``tenure_days``, ``days_to_renewal``, ``plan_changes_count``, ``events_plan_change_count_{w}d``,
    ``events_signup_count_{w}d`` (a signup in the window: a new customer), ``days_since_first_activity``
    (the age T of buy-till-you-die models), ``days_to_anniversary_month``, ``days_to_anniversary_year``
complaints
    ``tickets_count_{w}d``, ``tickets_{c}_count_{w}d``, ``days_since_last_ticket``,
    ``tickets_open_count``, ``satisfaction_mean_{w}d``, ``satisfaction_min_{w}d``,
    ``tickets_slow_resolution_count_{w}d``, ``complaints_repeat_count_{w}d``
billing
    ``monthly_fee``, ``price_change_pct_{w}d`` (ratio: 0.12 = +12%), ``payment_failed_count_{w}d``,
    ``events_price_change_count_{w}d``
attributes
    every static column of the customers table, under its own name.

Every feature also states one *fact* (``fact_of``, table ``_FACT_PATTERNS``): features that measure the same
thing (the active days in 30 or 365 days and the share of weeks active; the days since the last purchase, the
overdue ratio and the longest run without activity, which ends at the cutoff) state one fact, and a
customer's reasons state different facts.
"""

from __future__ import annotations

import re

FAMILIES: tuple[str, ...] = ("usage", "engagement", "tenure", "complaints", "billing", "attributes")

# Order matters: the first pattern that matches wins. Billing and engagement
# patterns come before the generic ``events_`` usage pattern because some of
# their features are counted from the event log too (payment failures, NPS).
_FAMILY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("billing", re.compile(r"^(monthly_fee$|price_change_|payment_failed_|events_payment_failed_|events_price_change_"
                           r"|days_since_last_(payment_failed|price_change)_event$)")),
    ("tenure", re.compile(r"^(tenure_days$|days_to_renewal$|plan_changes_count$|events_plan_change_|events_signup_"
                          r"|days_since_last_(plan_change|signup)_event$|days_since_first_activity$"
                          r"|days_to_anniversary_)")),
    # Engagement is recency and rhythm (how long since, how regular, how overdue) and the relationship (NPS);
    # usage is volume and its change (events, value, active days, weeks active, kinds of activity). A customer
    # who goes quiet shows both; the split follows what each feature measures, so that a usage decline and
    # plain inactivity can be told apart in the reasons.
    ("engagement", re.compile(r"^(days_since_last_event$|longest_gap_days_|nps_|days_since_last_nps$|events_nps_"
                              r"|days_since_last_.+_event$|activity_span_days$|gap_(mean|std|max)_days$"
                              r"|overdue_ratio$)")),
    ("complaints", re.compile(r"^(tickets_|days_since_last_ticket$|satisfaction_|complaints_)")),
    ("usage", re.compile(r"^(events_|usage_|active_days_|distinct_event_types_|weeks_active_share_"
                         r"|repeat_active_days$|activity_rate_per_day$)")),
)


# The window suffix of a windowed feature: ``_30d``, or ``_30d_vs_prev_30d`` for a change between two windows.
WINDOW_SUFFIX = re.compile(r"_(\d+)d(?:_vs_prev_(\d+)d)?$")


def window_days(feature: str) -> tuple[int, int] | None:
    """The look-back of a windowed feature: ``(window, previous window)`` in days, or None.

    ``events_login_count_30d`` gives ``(30, 0)`` and
    ``events_login_change_30d_vs_prev_30d`` gives ``(30, 30)``.
    """
    m = WINDOW_SUFFIX.search(feature)
    return None if m is None else (int(m.group(1)), int(m.group(2) or 0))


def family_of(feature: str) -> str:
    """Return the driver family a feature belongs to.

    Args:
        feature: a feature column name.

    Returns:
        One of ``FAMILIES``; static attributes fall through to ``"attributes"``.
    """
    for family, pattern in _FAMILY_PATTERNS:
        if pattern.search(feature):
            return family
    return "attributes"


_EVENT_FEATURE = re.compile(r"^events_(?P<e>.+?)_(count|value_sum|value_per_day|change|diff)_"
                            r"|^days_since_last_(?P<e2>.+)_event$")
_RELATIONSHIP = re.compile(r"^(nps_|days_since_last_nps$|events_nps_)")


def family_map(features: list[str] | tuple[str, ...], profile: str = "subscription",
               passive_slugs: tuple[str, ...] | frozenset[str] = ()) -> dict[str, str]:
    """Each feature's family for a kind of business: ``family_of`` for a subscription.

    For a non-contract business (a retailer) activity is buying, so the recency, rhythm and frequency of
    activity (days since the last purchase, gaps, overdue ratio, first to last purchase) belong to usage, the
    buying behaviour buy-till-you-die models read; engagement is the relationship beside the purchases: the
    passive events (e-mails opened, newsletters; ``passive_slugs``, by their feature slug) and NPS.
    Billing and tenure features keep their family.
    """
    out = {f: family_of(f) for f in features}
    if profile != "non_contract":
        return out
    passive = set(passive_slugs)
    for f, fam in out.items():
        if fam not in ("usage", "engagement"):
            continue
        m = _EVENT_FEATURE.match(f)
        event = (m.group("e") or m.group("e2")) if m else None
        if event is not None and event in passive:
            out[f] = "engagement"
        elif fam == "engagement" and not _RELATIONSHIP.match(f):
            out[f] = "usage"
    return out


# Facts: features that measure the same thing about a customer state one fact, whatever their window or form
# (a count in 30 or 365 days, active days or the share of weeks active, days since the last purchase or the
# overdue ratio). A customer's reasons state different facts (``models.retention.reasons.select``).
# Order matters: the first pattern that matches wins, as for the families.
_FACT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # billing
    ("payment_failed", re.compile(r"^((events_)?payment_failed_|days_since_last_payment_failed_event$)")),
    ("price_change", re.compile(r"^(price_change_pct_|events_price_change_|days_since_last_price_change_event$)")),
    ("fee", re.compile(r"^monthly_fee$")),
    # tenure: how long the customer has been one (a signup in a window says the same: a new customer)
    ("age", re.compile(r"^(tenure_days$|days_since_first_activity$|events_signup_|days_since_last_signup_event$)")),
    # the contract's calendar: an annual contract renews on the signup anniversary (correlation 0.99 between
    # days_to_renewal and days_to_anniversary_year for annual contracts on the built-in subscription world)
    ("renewal", re.compile(r"^(days_to_renewal$|days_to_anniversary_)")),
    ("plan_changes", re.compile(r"^(plan_changes_count$|events_plan_change_|days_since_last_plan_change_event$)")),
    # the relationship
    ("nps", re.compile(r"^(nps_|days_since_last_nps$|events_nps_|days_since_last_nps_event$)")),
    # complaints: how many tickets (of any category, in any window, still open, how recent) is one fact
    ("satisfaction", re.compile(r"^satisfaction_")),
    ("slow_resolution", re.compile(r"^tickets_slow_resolution_")),
    ("repeat_complaints", re.compile(r"^complaints_repeat_")),
    ("tickets", re.compile(r"^(tickets_|days_since_last_ticket$)")),
    # activity: its trend, its recency (the open gap: days since, overdue, the longest run without activity),
    # the usual rhythm, how often in recent windows, how much ever, the spend, the breadth
    ("trend", re.compile(r"_(change|diff)_\d+d_vs_prev_\d+d$|^usage_weekly_slope_")),
    ("recency", re.compile(r"^(days_since_last_event$|days_since_last_.+_event$|overdue_ratio$|longest_gap_days_)")),
    ("rhythm", re.compile(r"^gap_(mean|std|max)_days$")),
    ("lifetime_spend", re.compile(r"^events_.+_value_(sum|per_day)_all$")),
    ("spend", re.compile(r"^events_.+_value_sum_\d+d$")),
    ("lifetime_activity", re.compile(r"^(events_.+_count_all$|active_days_all$|repeat_active_days$"
                                     r"|activity_span_days$)")),
    ("frequency", re.compile(r"^(events_.+_count_\d+d$|active_days_\d+d$|weeks_active_share_|activity_rate_per_day$)")),
    ("breadth", re.compile(r"^distinct_event_types_")),
)
# Facts whose per-event features count each passive event type apart (e-mails opened beside the purchases).
_PER_EVENT_FACTS = frozenset({"trend", "recency", "lifetime_spend", "spend", "lifetime_activity", "frequency"})
_EVENT_COUNT = re.compile(r"^events_(?P<e>.+?)_count_")


def fact_of(feature: str, passive_events: frozenset[str] | set[str] = frozenset()) -> str:
    """The fact a feature states: a key of ``_FACT_PATTERNS`` (``"recency"``, ``"frequency"``...).

    The main activity's features (buying for a retailer, using the product for a subscription) share the
    activity's facts whatever the event type, since a purchase count and the active days say the same; a
    passive event type (``passive_events``: e-mails opened) states its own facts, ``"frequency:email_open"``.
    An attribute is its own fact, ``"attribute:<name>"``.

    Args:
        feature: a feature column name.
        passive_events: the event types (feature slugs) that are not the main activity.
    """
    for fact, pattern in _FACT_PATTERNS:
        if not pattern.search(feature):
            continue
        m = _EVENT_FEATURE.match(feature)
        event = (m.group("e") or m.group("e2")) if m else None
        if fact in _PER_EVENT_FACTS and event in passive_events:
            return f"{fact}:{event}"
        return fact
    return f"attribute:{feature}"


def passive_events_of(families: dict[str, str]) -> frozenset[str]:
    """The passive event types of a family map (``family_map``): those whose counts are not usage."""
    return frozenset(m.group("e") for f, fam in families.items()
                     if (m := _EVENT_COUNT.match(f)) and fam == "engagement")


def fact_map(features: list[str] | tuple[str, ...], families: dict[str, str] | None = None) -> dict[str, str]:
    """Each feature's fact (:func:`fact_of`), the passive events read from this kind of business's families
    (``family_map``; None: none)."""
    passive = passive_events_of(families or {})
    return {f: fact_of(f, passive) for f in features}


# Features that grow with a customer's age, whatever the customer does: the age itself (days since signup or
# since the first activity, and the span from the first to the last activity, which is the age less the
# recency) and the lifetime totals counted since then. Between a training population and a
# later scored one they drift by ageing alone (a closed cohort only gets older), so the drift check compares the
# totals as per-day rates and reports the ages apart (models/evaluation/drift.py).
AGE_FEATURES: tuple[str, ...] = ("tenure_days", "days_since_first_activity", "activity_span_days")
_LIFETIME = re.compile(r"^(events_.+_(count|value_sum)_all$|active_days_all$|repeat_active_days$"
                       r"|plan_changes_count$)")


def grows_with_time(feature: str) -> str | None:
    """``"age"`` for a customer's age, ``"lifetime"`` for a total since signup, None for the rest.

    A per-day value (``events_{t}_value_per_day_all``) or a windowed count does not grow with age.
    """
    if feature in AGE_FEATURES:
        return "age"
    return "lifetime" if _LIFETIME.match(feature) else None
