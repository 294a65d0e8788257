"""The feature columns: each one's name, meaning, window, unit and SQL aggregate, family by family.

A column is data (:class:`features.spec.Column`): the query in ``features/build.py`` puts
each into the aggregate it reads from and selects it by name, and the feature
dictionary is the same list. Nothing parses names back out of SQL text.

Point-in-time rule: every aggregate reads only rows stamped before the end of
the cutoff day (events, ticket openings), and ticket facts that arrive later
(resolution, satisfaction) only once they were known at the cutoff.
"""

from __future__ import annotations

from features.spec import EVENTS, MASK_BITS, SELECT, TICKETS, Column, FeatureConfig, FeatureInfo, count_of, value_of
from features.sql import Dialect, ident, literal

__all__ = ["RESERVED", "activity_columns", "all_columns", "attribute_columns", "attribute_names", "calendar_columns",
           "history_columns", "rare_event_columns", "renamed_attributes", "ticket_columns", "tenure_columns",
           "usage_columns"]


def _col(expr: str, name: str, meaning: str, window: str, unit: str, source: str | None,
         zero_fill: bool = False) -> Column:
    return Column(FeatureInfo(name, meaning, window, unit), expr, source, zero_fill)


def usage_columns(cfg: FeatureConfig) -> list[Column]:
    """Events per type and window, value sums, change against the previous window, and the weekly trend.

    Each reads the daily table (one row per customer and day, a count column per event type) paired with the
    cutoffs whose look-back holds the day (``age``: days before the cutoff).
    """
    cols: list[Column] = []
    windows, dw = cfg.windows, cfg.decline_window_days
    slugs = cfg.event_slugs
    for t in cfg.event_types:
        s = slugs[t]
        for w in windows:
            cols.append(_col(f"sum(CASE WHEN age < {w} THEN {count_of(s)} ELSE 0 END)",
                             f"events_{s}_count_{w}d", f"Number of '{t}' events in the last {w} days", f"{w}d",
                             "events", EVENTS, True))
        if t in cfg.value_sum_event_types:
            for w in windows:
                cols.append(_col(
                    f"CAST(sum(CASE WHEN age < {w} THEN {value_of(s)} ELSE 0 END) AS DOUBLE)",
                    f"events_{s}_value_sum_{w}d", f"Total value of '{t}' events in the last {w} days", f"{w}d",
                    "value units", EVENTS, True))
    total = count_of("total")
    for w in windows:
        cols.append(_col(f"sum(CASE WHEN age < {w} THEN {total} ELSE 0 END)", f"events_total_count_{w}d",
                         f"Number of activity events (all types) in the last {w} days", f"{w}d", "events",
                         EVENTS, True))
    change_types = [(slugs[t], count_of(slugs[t])) for t in cfg.active_types] + [("total", total)]
    for s, n in change_types:
        last = f"sum(CASE WHEN age < {dw} THEN {n} ELSE 0 END)"
        prev = f"sum(CASE WHEN age >= {dw} AND age < {2 * dw} THEN {n} ELSE 0 END)"
        # a ratio stays NULL without a previous window: "no change" and "nothing to compare" differ
        cols.append(_col(f"CAST({last} - {prev} AS DOUBLE) / NULLIF({prev}, 0)",
                         f"events_{s}_change_{dw}d_vs_prev_{dw}d",
                         f"Relative change of '{s}' events, last {dw} days vs the {dw} before (-1 = stopped, 0 = flat)",
                         f"{dw}d vs prev {dw}d", "ratio", EVENTS))
        cols.append(_col(f"{last} - {prev}", f"events_{s}_diff_{dw}d_vs_prev_{dw}d",
                         f"'{s}' events in the last {dw} days minus those in the {dw} before", f"{dw}d vs prev {dw}d",
                         "events", EVENTS, True))
    k = cfg.slope_weeks
    xbar = (k - 1) / 2.0
    sxx = sum((i - xbar) ** 2 for i in range(k))
    cols.append(_col(
        f"sum(CASE WHEN age < {7 * k} THEN ({k - 1} - floor(age / 7) - {xbar}) * {total} ELSE 0 END) / {sxx}",
        f"usage_weekly_slope_{7 * k}d",
        f"Trend of weekly activity over the last {k} weeks (events per week, per week; negative = declining)",
        f"{7 * k}d", "events/week per week", EVENTS, True))
    return cols


def activity_columns(cfg: FeatureConfig, d: Dialect) -> list[Column]:
    """Engagement: active days, distinct activity types, share of active weeks, longest gap, days since last activity.

    The daily table has one row per customer and day, so active days are a plain count. Kinds of activity and
    active weeks are bit masks OR-ed over the window (one bit per activity type, per week); activity types beyond
    the mask's width are counted from their own small table (``types_tail``). The longest gap reads each active
    day's previous active day, found once per customer, not once per cutoff.
    """
    cols: list[Column] = []
    big, active = cfg.big_window, f"{count_of('total')} > 0"
    for w in cfg.windows:
        cols.append(_col(f"count(CASE WHEN {active} AND age < {w} THEN 1 END)", f"active_days_{w}d",
                         f"Days with any activity in the last {w} days", f"{w}d", "days", EVENTS, True))
        types = ident(f"types_{w}d")
        cols.append(_col(f"CAST(COALESCE(e.{types}, 0) + COALESCE(tt.{types}, 0) AS BIGINT)",
                         f"distinct_event_types_{w}d",
                         f"Different kinds of activity used in the last {w} days", f"{w}d", "types", SELECT))
    weeks = max(1, big // 7)
    week = "floor(age / 7)"
    if weeks <= MASK_BITS:
        active_weeks = f"bit_count(bit_or(CASE WHEN {active} AND age < {7 * weeks} THEN {d.bit(week)} END))"
    else:
        active_weeks = f"count(DISTINCT CASE WHEN {active} AND age < {7 * weeks} THEN {week} END)"
    cols.append(_col(f"CAST({active_weeks} AS DOUBLE) / {weeks}",
                     f"weeks_active_share_{7 * weeks}d", f"Share of the last {weeks} weeks with any activity",
                     f"{7 * weeks}d", "share 0-1", EVENTS, True))
    cols.append(_col(f"COALESCE(e.longest_gap, {big})", f"longest_gap_days_{big}d",
                     f"Longest run of days without activity in the last {big} days", f"{big}d", "days", SELECT))
    cols.append(_col(d.days_between("h.last_active_day", "s.cutoff"), "days_since_last_event",
                     "Days since the last activity event (empty if never active)", "all history", "days", SELECT))
    return cols


def history_columns(cfg: FeatureConfig, d: Dialect) -> list[Column]:
    """The customer's whole history up to the cutoff: lifetime counts and value, gaps, and the BTYD summary.

    Buy-till-you-die models read a customer by frequency (repeat active days),
    recency (last minus first activity), age (cutoff minus first activity) and
    the value per active day; the gaps between active days say how overdue the
    next visit is. Each aggregate is a running total over the cutoffs (``hist``
    in the query), so it reads only days at or before the cutoff.
    """
    if not cfg.history:
        return []
    cols: list[Column] = []
    slugs = cfg.event_slugs
    for t in cfg.event_types:
        s = slugs[t]
        cols.append(_col(f"h.{ident(f'n_{s}')}", f"events_{s}_count_all", f"Number of '{t}' events since signup",
                         "all history", "events", SELECT))
        if t in cfg.value_sum_event_types:
            cols.append(_col(f"CAST(h.{ident(f'v_{s}')} AS DOUBLE)", f"events_{s}_value_sum_all",
                             f"Total value of '{t}' events since signup", "all history", "value units", SELECT))
            cols.append(_col(f"CAST(h.{ident(f'v_{s}')} AS DOUBLE) / NULLIF(h.{ident(f'd_{s}')}, 0)",
                             f"events_{s}_value_per_day_all", f"Mean value of '{t}' events per day with one, since "
                             "signup", "all history", "value units", SELECT))
        cols.append(_col(d.days_between(f"h.{ident(f'l_{s}')}", "s.cutoff"), f"days_since_last_{s}_event",
                         f"Days since the last '{t}' event (empty if none)", "all history", "days", SELECT))
    first, last = "h.first_active_day", "h.last_active_day"
    cols += [
        _col("h.n_total", "events_total_count_all", "Number of activity events (all types) since signup",
             "all history", "events", SELECT),
        _col("COALESCE(h.active_days, 0)", "active_days_all", "Days with any activity since signup", "all history",
             "days", SELECT),
        _col("greatest(COALESCE(h.active_days, 0) - 1, 0)", "repeat_active_days",
             "Active days after the first one (the frequency of buy-till-you-die models)", "all history", "days",
             SELECT),
        _col(d.days_between(first, last), "activity_span_days",
             "Days from the first to the last active day (recency of buy-till-you-die models; empty if never active)",
             "all history", "days", SELECT),
        _col(d.days_between(first, "s.cutoff"), "days_since_first_activity",
             "Days from the first active day to the cutoff (the age T of buy-till-you-die models)", "all history",
             "days", SELECT),
        _col("CAST(h.gap_sum AS DOUBLE) / NULLIF(h.n_gaps, 0)", "gap_mean_days",
             "Mean number of days between consecutive active days (empty with fewer than two)", "all history",
             "days", SELECT),
        # greatest() skips NULLs in DuckDB and Spark alike, so the empty case is spelled out.
        _col("CASE WHEN h.n_gaps > 1 THEN sqrt(greatest(CAST(h.gap_sq AS DOUBLE) / h.n_gaps - "
             "power(CAST(h.gap_sum AS DOUBLE) / h.n_gaps, 2), 0)) END", "gap_std_days",
             "Standard deviation of the days between consecutive active days (empty with fewer than two gaps)",
             "all history", "days", SELECT),
        _col("h.gap_max", "gap_max_days", "Longest time between two consecutive active days, in days",
             "all history", "days", SELECT),
        _col(f"CAST({d.days_between(last, 's.cutoff')} AS DOUBLE) / NULLIF(CAST(h.gap_sum AS DOUBLE) / "
             "NULLIF(h.n_gaps, 0), 0)", "overdue_ratio",
             "Days since the last activity divided by the usual gap between active days (above 1: overdue)",
             "all history", "ratio", SELECT),
        _col(f"CAST(COALESCE(h.active_days, 0) AS DOUBLE) / ({d.days_between('s.signup_date', 's.cutoff')} + 1)",
             "activity_rate_per_day", "Active days per day since signup", "all history", "days per day", SELECT),
    ]
    return cols


def calendar_columns(cfg: FeatureConfig, d: Dialect) -> list[Column]:
    """Days to the next monthly and yearly anniversary of the signup: when a subscription renews without a contract
    column saying so (a non-contract business has no renewal, and featurize leaves these out for it)."""
    if not cfg.calendar:
        return []
    return [
        _col(d.days_to_anniversary("s.signup_date", "s.cutoff", 1), "days_to_anniversary_month",
             "Days until the next monthly anniversary of the signup", "at cutoff", "days", SELECT),
        _col(d.days_to_anniversary("s.signup_date", "s.cutoff", 12), "days_to_anniversary_year",
             "Days until the next yearly anniversary of the signup", "at cutoff", "days", SELECT),
    ]


def tenure_columns(cfg: FeatureConfig, d: Dialect) -> list[Column]:
    """Tenure, and with a contract column the next contract renewal (annual contracts renew yearly, others monthly).

    Without a contract column there is no renewal to speak of: a non-contract business has none, and a
    subscription's monthly rhythm is ``days_to_anniversary_month``.
    """
    tenure = d.days_between("s.signup_date", "s.cutoff")
    cols = [_col(tenure, "tenure_days", "Days since signup", "all history", "days", SELECT)]
    if cfg.contract_attribute and cfg.contract_attribute in cfg.attributes:
        contract = f"lower(CAST(c.{ident(cfg.contract_attribute)} AS VARCHAR))"
        cycle = (f"CASE WHEN {contract} LIKE '%two%' THEN 730 "
                 f"WHEN {contract} LIKE '%annual%' OR {contract} LIKE '%year%' THEN 365 ELSE 30 END")
        cols.append(_col(f"{cycle} - ({tenure} % {cycle})", "days_to_renewal",
                         "Days until the next contract renewal (annual contracts renew yearly, others monthly)",
                         "at cutoff", "days", SELECT))
    return cols


def rare_event_columns(cfg: FeatureConfig, d: Dialect) -> list[Column]:
    """Plan changes, the monthly fee at the cutoff and its change, and the latest NPS answer (from rare events)."""
    big = cfg.big_window
    fee_attr = f"c.{ident(cfg.fee_attribute)}" if cfg.fee_attribute and cfg.fee_attribute in cfg.attributes else "NULL"
    fee_now, fee_then = f"COALESCE(fee.fee_now, {fee_attr})", f"COALESCE(fee.fee_then, {fee_attr})"
    return [
        _col("COALESCE(pc.plan_changes, 0)", "plan_changes_count", "Plan changes since signup", "all history",
             "changes", SELECT),
        _col(fee_now, "monthly_fee", "Monthly fee at the cutoff", "at cutoff", "currency", SELECT),
        _col(f"({fee_now} - {fee_then}) / NULLIF({fee_then}, 0)", f"price_change_pct_{big}d",
             f"Relative change of the monthly fee over the last {big} days", f"{big}d", "ratio", SELECT),
        _col("nps.nps_last", "nps_last_score", "Latest NPS survey answer (0-10)", "all history", "score", SELECT),
        _col(d.days_between("nps.nps_day", "s.cutoff"), "days_since_last_nps", "Days since the latest NPS answer",
             "all history", "days", SELECT),
    ]


def ticket_columns(cfg: FeatureConfig, d: Dialect) -> list[Column]:
    """Tickets per window and category, open tickets, recency, satisfaction, slow resolutions and repeat complaints."""
    cols: list[Column] = []
    known_resolved = "(resolved_at IS NOT NULL AND resolved_at < cutoff_end)"
    hours = cfg.slow_resolution_hours
    slow = (f"(({known_resolved} AND {d.hours_between('opened_at', 'resolved_at')} > {hours}) OR "
            f"(NOT {known_resolved} AND {d.hours_between('opened_at', 'cutoff_end')} > {hours}))")
    for w in cfg.windows:
        cols.append(_col(f"count(CASE WHEN age < {w} THEN 1 END)", f"tickets_count_{w}d",
                         f"Support tickets opened in the last {w} days", f"{w}d", "tickets", TICKETS, True))
        for cat, cat_slug in cfg.category_slugs.items():
            cols.append(_col(f"count(CASE WHEN age < {w} AND category = {literal(cat)} THEN 1 END)",
                             f"tickets_{cat_slug}_count_{w}d", f"'{cat}' tickets opened in the last {w} days",
                             f"{w}d", "tickets", TICKETS, True))
    cols.append(_col("min(age)", "days_since_last_ticket", "Days since the latest ticket was opened", "all history",
                     "days", TICKETS))
    cols.append(_col(f"count(CASE WHEN NOT {known_resolved} THEN 1 END)", "tickets_open_count",
                     "Tickets still open at the cutoff", "at cutoff", "tickets", TICKETS, True))
    for w in cfg.windows:
        if w < 30:
            continue
        sat = f"CASE WHEN age < {w} AND {known_resolved} THEN satisfaction END"
        cols.append(_col(f"avg({sat})", f"satisfaction_mean_{w}d",
                         f"Average satisfaction (1-5) of tickets resolved by the cutoff, opened in the last {w} days",
                         f"{w}d", "score 1-5", TICKETS))
        cols.append(_col(f"min({sat})", f"satisfaction_min_{w}d",
                         f"Lowest satisfaction (1-5) of tickets resolved by the cutoff, opened in the last {w} days",
                         f"{w}d", "score 1-5", TICKETS))
        cols.append(_col(f"count(CASE WHEN age < {w} AND {slow} THEN 1 END)", f"tickets_slow_resolution_count_{w}d",
                         f"Tickets from the last {w} days that took (or have been open) more than {hours:g} hours",
                         f"{w}d", "tickets", TICKETS, True))
        cols.append(_col(
            f"greatest(count(CASE WHEN age < {w} AND category = {literal(cfg.complaint_category)} THEN 1 END) - 1, 0)",
            f"complaints_repeat_count_{w}d", f"Complaints in the last {w} days beyond the first", f"{w}d", "tickets",
            TICKETS, True))
    return cols


RESERVED = frozenset({"customer_id", "signup_date", "churn_date"})


def attribute_names(cfg: FeatureConfig, taken: set[str]) -> dict[str, str]:
    """Each attribute's feature name: its own, or ``<name>_attribute`` when a computed feature has that name.

    A customers column called ``tenure_days`` or ``cutoff`` is kept, under a name that cannot clash.
    """
    out: dict[str, str] = {}
    used = {t.lower() for t in taken} | {"customer_id", "cutoff", "label"}
    for a in cfg.attributes:
        if a in RESERVED or a == cfg.fee_attribute:
            continue
        name = a
        while name.lower() in used:
            name = f"{name}_attribute"
        out[a] = name
        used.add(name.lower())
    return out


def attribute_columns(cfg: FeatureConfig, taken: set[str] = frozenset()) -> list[Column]:
    """Static customer columns, passed through (the fee attribute feeds ``monthly_fee`` instead)."""
    return [_col(f"c.{ident(a)}", name, f"Customer attribute '{a}' as recorded in the customers table", "static",
                 "as given", SELECT)
            for a, name in attribute_names(cfg, taken).items()]


def _computed(cfg: FeatureConfig, d: Dialect) -> list[Column]:
    return (usage_columns(cfg) + activity_columns(cfg, d) + tenure_columns(cfg, d) + rare_event_columns(cfg, d)
            + ticket_columns(cfg, d) + history_columns(cfg, d) + calendar_columns(cfg, d))


def all_columns(cfg: FeatureConfig, d: Dialect = Dialect()) -> list[Column]:
    """Every feature column, in output order."""
    computed = _computed(cfg, d)
    return computed + attribute_columns(cfg, {c.name for c in computed})


def renamed_attributes(cfg: FeatureConfig) -> dict[str, str]:
    """Attributes whose feature name is not their own (they would clash with a computed feature)."""
    names = attribute_names(cfg, {c.name for c in _computed(cfg, Dialect())})
    return {a: n for a, n in names.items() if a != n}
