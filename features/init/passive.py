"""Event types that are not the customer's own activity: messages sent to them, notices, surveys.

"No activity in the horizon" must not be undone by a newsletter the customer merely opened, or a price notice
everyone got. Two signs give a type away:

- its name: e-mails, newsletters, notices, notifications, messages, surveys, and the types this project already
  treats as passive (price changes, failed payments, plan changes, NPS answers);
- its behaviour: with enough events (``MIN_EVENTS``), not one of them falls on a day the customer did anything
  else, while the other types do share days with each other.
"""

from __future__ import annotations

import re

import pandas as pd

from features.init.choice import Choice

_PASSIVE_NAME = re.compile(
    r"e_?mail|newsletter|mailing|notice|notif|message|sms|push|reminder|survey|nps|campaign|promo|"
    r"price_?change|payment_?fail|plan_?change", re.IGNORECASE)
MIN_EVENTS = 20


def by_name(event_type: str) -> bool:
    """Whether the type's name says it is a message, notice or survey rather than the customer's own doing."""
    return bool(_PASSIVE_NAME.search(event_type))


def passive_types(types: pd.DataFrame) -> Choice:
    """``featurize.passive_event_types`` from a summary of the event types.

    Args:
        types: one row per event type: ``event_type``, ``n`` (events) and ``n_shared`` (its events on a day the
            same customer has an event of another type not passive by name).
    """
    named = sorted(t for t in types["event_type"] if by_name(t))
    active = types[~types["event_type"].isin(named)]
    shared_elsewhere = active[active["n_shared"] > 0]
    lonely = sorted(
        r.event_type for r in active.itertuples()
        if r.n >= MIN_EVENTS and r.n_shared == 0 and len(shared_elsewhere[shared_elsewhere.event_type != r.event_type])
    )
    found = named + lonely
    parts = []
    if named:
        parts.append(f"{', '.join(named)}: the name says message, notice or survey")
    if lonely:
        parts.append(f"{', '.join(lonely)}: never on a day the customer did anything else")
    if found and len(found) == len(types):
        return Choice("featurize.passive_event_types", [],
                      f"every type would be passive ({'; '.join(parts)}), which leaves no activity: none kept")
    why = "; ".join(parts) if parts else "no type looks like a message, notice or survey"
    return Choice("featurize.passive_event_types", found, why)
