"""The report's drift panel: the worst shifted inputs, the ones that only aged, and whether the scores still hold.

The score stage's drift table (``models/evaluation/drift.py``) compares lifetime totals per day of history and
marks the ages as ``ageing``; the panel shows at most ``SHOWN`` flagged inputs and the rest behind "show all",
names the inputs that moved by ageing alone apart as expected, and ends with a one-line verdict from the test
metrics (``models/evaluation/verdict.py``).
"""

from __future__ import annotations

from typing import Any

from models.retention import i18n
from models.retention.labels import feature_label

SHOWN = 5


def _warning(w: Any) -> tuple[str, float, str]:
    if isinstance(w, dict):
        return str(w["feature"]), float(w["psi"]), str(w.get("compared_as") or "as_is")
    return str(w[0]), float(w[1]), str(w[2]) if len(w) > 2 else "as_is"


def drift_items(warnings: list[Any], language: str, profile: str | None = None,
                display_names: dict | None = None) -> list[str]:
    """One line per flagged input, worst first (``warnings`` come sorted from the drift table)."""
    items = []
    for w in warnings:
        feature, psi, how = _warning(w)
        key = "report.drift.item_per_day" if how == "per_day" else "report.drift.item"
        items.append(i18n.t(key, language, profile=profile, feature=feature_label(feature, language, display_names,
                                                                                   profile),
                            psi=i18n.format_number(psi, language, 2)))
    return items


def _verdict(verdict: dict[str, Any] | None, language: str, profile: str | None) -> str | None:
    if not verdict:
        return None
    L = language
    first, last = (i18n.format_date(verdict[k], L) for k in ("earlier_first", "earlier_last"))
    return i18n.t(f"report.drift.verdict_{verdict['status']}", L, profile=profile,
                  latest=i18n.format_number(verdict["latest"], L, 2),
                  cutoff=i18n.format_date(verdict["latest_cutoff"], L) if verdict.get("latest_cutoff") else "–",
                  earlier=i18n.format_number(verdict["earlier"], L, 2),
                  period=first if first == last else f"{first}–{last}")


def drift_panel(warnings: list[Any], expected: list[str], verdict: dict[str, Any] | None, language: str,
                profile: str | None = None, display_names: dict | None = None) -> dict[str, Any]:
    """The panel's template values: heading, intro, the shown and the hidden items, the expected line, the verdict.

    ``show`` is False when there is nothing to say (no flagged input, no ageing, no verdict).
    """
    L = language
    items = drift_items(warnings, L, profile, display_names)
    names = [feature_label(f, L, display_names, profile) for f in expected]
    sep = "、" if L == "ja" else ", "
    return {
        "show": bool(items or names or verdict),
        "heading": i18n.t("report.drift.heading" if items else "report.drift.heading_calm", L, profile=profile),
        "intro": i18n.t("report.drift.intro", L, profile=profile) if items else "",
        "shown": items[:SHOWN],
        "hidden": items[SHOWN:],
        "show_all": i18n.t("report.drift.show_all", L, profile=profile, n=i18n.format_number(len(items), L)),
        "expected": i18n.t("report.drift.expected", L, profile=profile, features=sep.join(names)) if names else "",
        "verdict": _verdict(verdict, L, profile),
        "verdict_status": (verdict or {}).get("status", ""),
    }
