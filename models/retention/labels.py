"""Display names of what the data calls things: features, event types, ticket categories and attribute values."""

from __future__ import annotations

import functools

from features.catalog import WINDOW_SUFFIX, window_days
from models.retention import i18n


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
    window, stem = "", feature
    days = window_days(feature)
    if days is not None:
        window = words["window"].format(w=days[0])
        vs = "_" + words["vs_prev"].replace(" ", "_") if days[1] else ""
        stem = feature[: WINDOW_SUFFIX.search(feature).start()] + vs
    text = " ".join(p for p in stem.split("_") if p)
    if language == "en":
        text = text[:1].upper() + text[1:]
        return f"{text} {window}".strip()
    return f"{text}{window}"


def name_forms(language: str, section: str, fallback: str, name: str) -> dict[str, str]:
    """The ``{"", "_one", "_other"}`` display forms of an event type or ticket category (locale entry, or the name prettified)."""
    entry = i18n.lookup(f"{section}.{name}", language, default="")
    if not entry:
        pretty = name.replace("_", " ")
        fb = i18n.lookup(fallback, language)
        entry = {k: v.format(name=pretty) for k, v in fb.items()} if isinstance(fb, dict) else fb.format(name=pretty)
    if isinstance(entry, str):
        entry = {"one": entry, "other": entry}
    return {"": entry["other"], "_one": entry["one"], "_other": entry["other"]}


@functools.lru_cache(maxsize=None)
def attribute_value_words(language: str) -> dict[str, str]:
    entry = i18n.lookup("attribute_values", language, default={})
    return {str(k).lower(): str(v) for k, v in entry.items()}
