"""Message lookup and locale-aware formatting for everything the retention team reads.

All wording lives in ``models/retention/locales/<language>/*.yaml`` (one folder per language,
one file per area: reasons, vocabulary, actions, report; the same files in every language,
reviewed side by side); this module only looks messages up and formats numbers, percentages,
dates and money with Babel's CLDR data so that ``en`` and ``ja`` follow their
own conventions.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import logging
import math
import string
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from babel import dates as _bd
from babel import numbers as _bn

LOGGER = logging.getLogger(__name__)

LANGUAGES: tuple[str, ...] = ("en", "ja")
LOCALES_DIR = Path(__file__).resolve().parent / "locales"


def check_language(language: str) -> str:
    """Return ``language`` if it is supported, else raise a clear error.

    Args:
        language: a language code such as ``"en"``.

    Returns:
        The same code.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not supported; expected one of {', '.join(LANGUAGES)}")
    return language


def catalog(language: str) -> dict[str, Any]:
    """Return the parsed message catalog of one language (read once; each call gets its own copy).

    Args:
        language: ``"en"`` or ``"ja"``.

    Returns:
        The nested dict merged from ``models/retention/locales/<language>/*.yaml``.
    """
    return copy.deepcopy(_messages(language))


@functools.lru_cache(maxsize=None)
def _messages(language: str) -> dict[str, Any]:
    """The catalog of ``language`` as read, shared by every lookup: never handed out (callers get copies)."""
    check_language(language)
    data: dict[str, Any] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            part = yaml.safe_load(fh)
        if not isinstance(part, dict):
            raise ValueError(f"{path}: expected a mapping at the top level")
        clash = sorted(set(part) & set(data))
        if clash:
            raise ValueError(f"{path}: top-level key(s) {', '.join(clash)} are already defined in another file of "
                             f"{LOCALES_DIR / language}")
        data.update(part)
    if not data:
        raise ValueError(f"{LOCALES_DIR / language}: no message files")
    return data


PROFILES: tuple[str, ...] = ("subscription", "non_contract")


def _find(key: str, language: str) -> Any:
    node: Any = _messages(language)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _own(node: Any) -> Any:
    """A catalog entry the caller may keep: texts as they are, lists and mappings copied."""
    return copy.deepcopy(node) if isinstance(node, (dict, list)) else node


def lookup(key: str, language: str, default: Any = None, profile: str | None = None) -> Any:
    """Return the raw catalog entry at dotted ``key`` (falling back to English).

    Args:
        key: a dotted path such as ``"report.title"``.
        language: ``"en"`` or ``"ja"``.
        default: returned when the key is in neither catalog; ``None`` raises.
        profile: the business profile (``business.kind``); a non-contract business reads
            ``non_contract.<key>`` first (``locales/<language>/non_contract.yaml``), where its
            words differ ("did not buy again" for "left").

    Returns:
        The entry (a string, or a copy of a list or mapping: changing it changes no other lookup).
    """
    if profile and profile != "subscription":
        if profile not in PROFILES:
            raise ValueError(f"business profile {profile!r} is not supported; expected one of {', '.join(PROFILES)}")
        for lang in (language, "en"):
            node = _find(f"{profile}.{key}", lang)
            if node is not None:
                if lang != language:
                    LOGGER.warning("message %r missing for language %r; using English", f"{profile}.{key}", language)
                return _own(node)
    for lang in (language, "en"):
        node = _find(key, lang)
        if node is not None:
            if lang != language:
                LOGGER.warning("message %r missing for language %r; using English", key, language)
            return _own(node)
    if default is not None:
        return default
    raise KeyError(f"message {key!r} is in neither the {language!r} nor the 'en' catalog ({LOCALES_DIR})")


def t(key: str, language: str, profile: str | None = None, **values: Any) -> str:
    """Translate a message and fill its ``{placeholders}``.

    Args:
        key: a dotted catalog key such as ``"report.kpi.customers_scored"``.
        language: ``"en"`` or ``"ja"``.
        profile: the business profile whose words come first (see :func:`lookup`).
        **values: placeholder values, already formatted for display.

    Returns:
        The translated text.
    """
    check_language(language)
    text = lookup(key, language, profile=profile)
    if not isinstance(text, str):
        raise TypeError(f"message {key!r} is a {type(text).__name__}, not text")
    try:
        return text.format(**values) if values or "{" in text else text
    except KeyError as exc:
        raise KeyError(f"message {key!r} ({language}) needs placeholder {exc.args[0]!r}; "
                       f"given {sorted(values)}") from None


def placeholders(text: str) -> set[str]:
    """Return the placeholder names used in a message.

    Args:
        text: a message with ``{name}`` placeholders.

    Returns:
        The set of names.
    """
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def format_number(value: float | int | None, language: str, decimals: int = 0) -> str:
    """Format a number with the locale's grouping and decimal symbols.

    Args:
        value: the number; ``None``/NaN gives an en dash.
        language: ``"en"`` or ``"ja"``.
        decimals: digits after the decimal point.

    Returns:
        Text such as ``"1,234.5"``.
    """
    check_language(language)
    if _is_missing(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return _bn.format_decimal(value, format=pattern, locale=language)


def format_percent(value: float | None, language: str, decimals: int = 0) -> str:
    """Format a fraction as a percentage (``0.642`` -> ``"64%"``).

    Args:
        value: a fraction; ``None``/NaN gives an en dash.
        language: ``"en"`` or ``"ja"``.
        decimals: digits after the decimal point.

    Returns:
        The percentage text.
    """
    check_language(language)
    if _is_missing(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
    return _bn.format_percent(value, format=pattern, locale=language)


def format_date(value: _dt.date | str | pd.Timestamp | None, language: str, style: str = "long") -> str:
    """Format a date (``"1 March 2025"`` style in English, ``"2025年3月1日"`` in Japanese).

    Args:
        value: a date, timestamp or ISO string; ``None`` gives an en dash.
        language: ``"en"`` or ``"ja"``.
        style: ``"long"`` or ``"short"`` (``"2025-03-01"`` / ``"2025/03/01"``).

    Returns:
        The date text.
    """
    check_language(language)
    if _is_missing(value):
        return "–"
    day = pd.Timestamp(value).date()
    if style == "long":
        fmt = "d MMMM y" if language == "en" else "long"
    elif style == "short":
        fmt = "y-MM-dd" if language == "en" else "y/MM/dd"
    else:
        raise ValueError(f"date style {style!r} is not supported; expected 'long' or 'short'")
    return _bd.format_date(day, format=fmt, locale=language)


def format_money(value: float | None, language: str, currency: str = "USD", decimals: int = 0) -> str:
    """Format an amount of money in ``currency`` for the locale.

    Args:
        value: the amount; ``None``/NaN gives an en dash.
        language: ``"en"`` or ``"ja"``.
        currency: an ISO 4217 code such as ``"USD"``, ``"EUR"`` or ``"JPY"``.
        decimals: digits after the decimal point (whole units by default).

    Returns:
        Text such as ``"$12,340"``.
    """
    check_language(language)
    if _is_missing(value):
        return "–"
    pattern = "¤#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return _bn.format_currency(value, currency, format=pattern, locale=language, currency_digits=False)


def format_numbers(values: np.ndarray | pd.Series, language: str, decimals: int = 0) -> np.ndarray:
    """Format many numbers at once (the vectorised twin of :func:`format_number`).

    Args:
        values: numbers; NaN gives an en dash.
        language: ``"en"`` or ``"ja"``.
        decimals: digits after the decimal point.

    Returns:
        An object array of strings, same length as ``values``.
    """
    check_language(language)
    arr = np.asarray(values, dtype=float)
    out = np.full(arr.shape, "–", dtype=object)
    ok = np.isfinite(arr)
    if ok.any():
        rounded = np.round(arr[ok], decimals)
        rounded[rounded == 0] = 0.0  # no "-0"
        values, which = np.unique(rounded, return_inverse=True)  # each distinct value is formatted once
        text = pd.Series(values).map(("{:,.%df}" % decimals).format).to_numpy(dtype=object)
        group, decimal = _symbols(language)
        if (group, decimal) != (",", "."):
            text = pd.Series(text).str.replace(",", "\x00").str.replace(".", decimal).str.replace("\x00", group)
            text = text.to_numpy(dtype=object)
        out[ok] = text[which]
    return out


def format_percents(values: np.ndarray | pd.Series, language: str, decimals: int = 0) -> np.ndarray:
    """Format many fractions as percentages at once.

    Args:
        values: fractions (``0.64`` -> ``"64%"``); NaN gives an en dash.
        language: ``"en"`` or ``"ja"``.
        decimals: digits after the decimal point.

    Returns:
        An object array of strings.
    """
    arr = np.asarray(values, dtype=float)
    text = format_numbers(arr * 100.0, language, decimals)
    sign = _bn.format_percent(0, format="0%", locale=language).replace("0", "")
    ok = np.isfinite(arr)
    text[ok] = text[ok] + sign
    return text


@functools.lru_cache(maxsize=None)
def _symbols(language: str) -> tuple[str, str]:
    return _bn.get_group_symbol(language), _bn.get_decimal_symbol(language)


# Elapsed time in words. A year is 365 days and a month a twelfth of it (30.4 days); counts are whole and rounded
# down, so "11 months" is 11 full months and less than 12 (335 to 364 days), and "1 year" starts at day 365.
# Day 0 reads "today", day 1 "yesterday", 2 to 30 days in days, 31 to 364 days in months, then in years.
DAYS_PER_YEAR = 365


def elapsed(days: np.ndarray, months_from: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The variant (``today``, ``day``, ``days``, ``month``, ``months``, ``year``, ``years``, ``missing``) of each
    number of days, with its whole months and whole years (negative or NaN days are ``missing``).

    Below ``months_from`` whole months the time reads in days: 1 gives "30 days" then "1 month"; 2, for how long
    something has not happened, keeps "59 days" rather than rounding it down to "1 month".
    """
    d = np.floor(np.asarray(days, dtype=float))
    known = ~np.isnan(d) & (d >= 0)
    whole = np.where(known, d, 0)
    months, years = whole * 12 // DAYS_PER_YEAR, whole // DAYS_PER_YEAR
    variants = np.select(
        [~known, whole == 0, whole == 1, months < months_from, months == 1, months < 12, years == 1],
        ["missing", "today", "day", "days", "month", "months", "year"], "years").astype(object)
    return variants, months, years
