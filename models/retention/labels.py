"""Display names of what the data calls things: features, event types, ticket categories and attribute values."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from features.catalog import WINDOW_SUFFIX, window_days
from features.spec import slug
from models.retention import i18n
from models.retention.reasons.rule_table import match_rule


def feature_label(feature: str, language: str, display_names: "DisplayNames | None" = None,
                  profile: str | None = None) -> str:
    """Return a readable label for a column name in ``language``.

    For example "Logins (last 30 days)", "ログインの回数（直近30日）".

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
    matched = match_rule(feature)
    if matched:
        template = i18n.lookup(f"feature_labels.{matched[0].template}", language, default="", profile=profile)
        if template:
            return _filled(str(template), matched[1], language, display_names)
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


DisplayNames = dict  # event type, ticket category, column or text value (as the data spells it, or its slug) ->
                     # name, or {language: name}; a name is a text, or {"one": ..., "other": ...} for English singular
                     # and plural; a column's entry may add {"values": {value: name}}, names of that column's values


def readable(name: str) -> str:
    """A raw name (an event type's slug) as words: ``feature_use`` reads "feature use"."""
    return re.sub(r"[_\-\s]+", " ", str(name)).strip() or str(name)


def _plural(word: str) -> str:
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + "s"


def _entry(display_names: DisplayNames | None, name: str) -> Any:
    """The params entry of ``name``: under the name itself, or under a key whose slug it is."""
    if not display_names:
        return None
    given = display_names.get(name)
    if given is None:
        given = next((v for k, v in display_names.items() if slug(k) == name), None)
    return given


def _in_language(given: Any, language: str) -> Any:
    """A name, ``{language: name}`` or ``{"one", "other"}`` as the name in ``language`` (``values`` left out)."""
    if isinstance(given, dict):
        given = {k: v for k, v in given.items() if k != "values"}
        if not set(given) <= {"one", "other"}:
            given = given.get(language, given.get("en"))
        elif not given:
            given = None
    return given


def _given_name(display_names: DisplayNames | None, name: str, language: str) -> dict[str, str] | None:
    """The name params give for ``name`` in ``language`` as ``{"one", "other"}``, or None."""
    given = _in_language(_entry(display_names, name), language)
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
def attribute_value_words(language: str) -> Mapping[str, str]:
    """The locale's names of attribute values ("true" reads "yes"), by value text in lower case; read-only (cached)."""
    entry = i18n.lookup("attribute_values", language, default={})
    return MappingProxyType({str(k).lower(): str(v) for k, v in entry.items()})


def value_key(value: Any) -> str:
    """A column value as the text ``display_names`` names it by: ``True`` reads "true", ``1.0`` reads "1"."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _column_values(display_names: DisplayNames | None, column: str, language: str) -> dict[str, str]:
    """The names params give ``column``'s values in ``language``, by value text in lower case."""
    entry = _entry(display_names, column)
    out: dict[str, str] = {}
    for value, given in (entry.get("values") or {}).items() if isinstance(entry, dict) else ():
        given = _in_language(given, language)
        if given is not None:
            out[value_key(value).lower()] = str(given["one"] if isinstance(given, dict) else given)
    return out


def _text_value_name(display_names: DisplayNames | None, own: dict[str, str], key: str, language: str) -> str:
    """A text value's name: its column's, its own entry's, the locale's, or the value made readable."""
    given = own.get(key.lower()) or (_given_name(display_names, key, language) or {}).get("one")
    return given or attribute_value_words(language).get(key.lower()) or re.sub(r"_+", " ", key).strip() or key


def value_names(column: str, values: np.ndarray, language: str, display_names: DisplayNames | None = None,
                shown: np.ndarray | None = None) -> np.ndarray:
    """Display text of a column's values, one per row (each distinct text value is looked up once).

    Args:
        column: the attribute column.
        values: each row's value (text, category, or "true"/"false"; a number when ``shown`` is given).
        language: ``"en"`` or ``"ja"``.
        display_names: ``business.display_names``.
        shown: for a numeric column, each value as formatted; only the column's own ``values`` rename a number.

    Returns:
        In order: the column's ``values`` in params (``{channel: {values: {paid_social: paid social ads}}}``),
        the value's own entry in params (``{paid_social: {en: paid social ads, ja: SNS広告}}``), the locale's
        ``attribute_values`` ("true" reads "yes"), or the value made readable ("paid_social" reads "paid social");
        a number keeps its ``shown`` form unless its column's values name it.
    """
    own = _column_values(display_names, column, language)
    if shown is not None:
        out = np.asarray(shown, dtype=object).copy()
        x = np.asarray(values, dtype=float)
        for key, name in own.items():
            try:
                out[x == float(key)] = name
            except ValueError:
                continue                               # a text key names no number
        return out
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    names = np.array([_text_value_name(display_names, own, str(v), language) for v in uniques], dtype=object)
    return names[codes]


_FORMS = {"one", "other"}


def check_display_names(raw: Any) -> dict[str, Any]:
    """``business.display_names`` checked, with the keys of each column's ``values`` as text ("true", "1").

    Raises:
        ValueError: naming the first key whose entry is not a name, ``{language: name}``, ``{one, other}``
            or, for a column, ``values: {value: name}``.
    """
    if not isinstance(raw, dict):
        raise ValueError(f"display_names must be a mapping of names, got {type(raw).__name__}")
    out: dict[str, Any] = {}
    for key, entry in raw.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"display_names: key {key!r} must be a name in quotes (an event type, ticket category, "
                             "column or value as the data spells it)")
        out[key] = _checked_name(entry, f"display_names.{key}", frozenset(i18n.LANGUAGES) | _FORMS | {"values"})
    return out


def _checked_name(entry: Any, where: str, allowed: frozenset[str] = frozenset(i18n.LANGUAGES) | _FORMS) -> Any:
    """A name, ``{language: name}`` (a language's name may be ``{one, other}``), ``{one, other}`` and, where
    ``allowed`` has it, ``values``."""
    if isinstance(entry, str) and entry:
        return entry
    shapes = " or ".join(["a name", *(["{en: ..., ja: ...}"] if "en" in allowed else []), "{one: ..., other: ...}",
                          *(["values: {value: name}"] if "values" in allowed else [])])
    if not isinstance(entry, dict) or not entry:
        raise ValueError(f"{where}: expected {shapes}; got {entry!r}")
    for k in entry:
        if k not in allowed:
            raise ValueError(f"{where}.{k}: unknown key; expected one of {', '.join(sorted(allowed))}")
    names = set(entry) - {"values"}
    if names & _FORMS and names - _FORMS:
        raise ValueError(f"{where}: give either languages ({', '.join(i18n.LANGUAGES)}) or English forms "
                         "(one, other), not both; a language may have its own {one, other}")
    if names & _FORMS and "one" not in names:
        raise ValueError(f"{where}: 'other' needs 'one' (the singular)")
    out: dict[str, Any] = {}
    for k, v in entry.items():
        if k == "values":
            out[k] = _checked_values(v, f"{where}.values")
        elif k in _FORMS:
            if not isinstance(v, str) or not v:
                raise ValueError(f"{where}.{k}: expected a name, got {v!r}")
            out[k] = v
        else:
            out[k] = _checked_name(v, f"{where}.{k}", frozenset(_FORMS))
    return out


def _checked_values(values: Any, where: str) -> dict[str, Any]:
    if not isinstance(values, dict) or not values:
        raise ValueError(f"{where}: expected a mapping of the column's values to names ({{paid_social: paid social "
                         f"ads}}), got {values!r}")
    out: dict[str, Any] = {}
    for value, name in values.items():
        if not isinstance(value, (str, int, float, bool)) or value == "":
            raise ValueError(f"{where}: key {value!r} must be a value of the column")
        out[value_key(value)] = _checked_name(name, f"{where}.{value_key(value)}")
    return out
