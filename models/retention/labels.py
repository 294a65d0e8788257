"""Display names of what the data calls things: features, event types, ticket categories and attribute values."""

from __future__ import annotations

import functools
import re

from features.catalog import WINDOW_SUFFIX, window_days
from features.columns import slug
from models.retention import i18n


def feature_label(feature: str, language: str, display_names: "DisplayNames | None" = None,
                  profile: str | None = None) -> str:
    """Return a readable label for a column name in ``language`` ("Logins (last 30 days)", "ログインの回数（直近30日）").

    Args:
        feature: a feature or attribute column name.
        language: ``"en"`` or ``"ja"``.
        display_names: ``business.display_names``: names of columns (``{price_tier: {en: Price tier, ja: 価格帯}}``),
            event types and categories.
        profile: the business profile, whose words come first ("purchases" for activity in retail).

    Returns:
        The name params give it, the attribute's translated label, the label of the feature's reason rule
        (``locales/<language>/labels.yaml``) with its event type, category and window, or the name prettified.
    """
    given = _given_name(display_names, feature, language)
    if given:
        return given["one"]
    known = i18n.lookup(f"attributes.{feature}", language, default="")
    if known:
        return str(known)
    from models.retention.reasons.rules import RULES  # the rules import this module's name_forms

    for rule in RULES:
        m = rule.pattern.match(feature)
        if m:
            template = i18n.lookup(f"feature_labels.{rule.template}", language, default="", profile=profile)
            if template:
                return _filled(str(template), m.groupdict(), language, display_names)
            break
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


def _filled(template: str, groups: dict, language: str, display_names: "DisplayNames | None") -> str:
    values = {"w": groups.get("w") or ""}
    if groups.get("event"):
        forms = name_forms(language, "events", "event_fallback", groups["event"], display_names)
        values["event"], values["event_one"] = forms["_other"], forms["_one"]
    if groups.get("category"):
        values["category"] = name_forms(language, "ticket_categories", "ticket_category_fallback", groups["category"],
                                        display_names)["_other"]
    text = template.format(**{k: values.get(k, "") for k in i18n.placeholders(template)})
    return text[:1].upper() + text[1:] if language == "en" else text


DisplayNames = dict  # event type (as the data spells it, or its slug) -> name, or {language: name}; a name is
                     # a text, or {"one": ..., "other": ...} for English singular and plural


def readable(name: str) -> str:
    """A raw name (an event type's slug) as words: ``feature_use`` reads "feature use"."""
    return re.sub(r"[_\-\s]+", " ", str(name)).strip() or str(name)


def _plural(word: str) -> str:
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + "s"


def _given_name(display_names: DisplayNames | None, name: str, language: str) -> dict[str, str] | None:
    """The name params give for ``name`` in ``language`` as ``{"one", "other"}``, or None."""
    if not display_names:
        return None
    given = display_names.get(name)
    if given is None:
        given = next((v for k, v in display_names.items() if slug(k) == name), None)
    if isinstance(given, dict) and not set(given) <= {"one", "other"}:
        given = given.get(language, given.get("en"))
    if given is None:
        return None
    if isinstance(given, str):
        return {"one": given, "other": _plural(given) if language == "en" else given}
    return {"one": str(given["one"]), "other": str(given.get("other", given["one"]))}


def name_forms(language: str, section: str, fallback: str, name: str,
               display_names: DisplayNames | None = None) -> dict[str, str]:
    """The ``{"", "_one", "_other"}`` display forms of an event type or ticket category.

    In order: ``business.display_names`` from params, the locale's entry, or the name made readable
    ("newFriend" reads "new friend") in the locale's fallback ("{name} events").
    """
    entry = _given_name(display_names, name, language) or i18n.lookup(f"{section}.{name}", language, default="")
    if not entry:
        fb = i18n.lookup(fallback, language)
        pretty = readable(name)
        entry = {k: v.format(name=pretty) for k, v in fb.items()} if isinstance(fb, dict) else fb.format(name=pretty)
    if isinstance(entry, str):
        entry = {"one": entry, "other": entry}
    return {"": entry["other"], "_one": entry["one"], "_other": entry["other"]}


@functools.lru_cache(maxsize=None)
def attribute_value_words(language: str) -> dict[str, str]:
    entry = i18n.lookup("attribute_values", language, default={})
    return {str(k).lower(): str(v) for k, v in entry.items()}
