"""Which reason rule explains a feature: the first rule of ``rule_table.py`` that matches it, or a fallback.

A static attribute no pattern names gets the attribute rule ("Contract: monthly"); any other
unmatched feature the generic rule (its prettified name and value).
"""

from __future__ import annotations

from features.catalog import family_of
from models.retention.reasons.rule_table import ATTRIBUTE_RULE, GENERIC_RULE, ReasonRule, match_rule


def rule_for(feature: str) -> tuple[ReasonRule, dict[str, str]]:
    """Return the rule that explains ``feature`` and its regex groups.

    Args:
        feature: a feature column name.

    Returns:
        ``(rule, groups)``; static attributes get the attribute rule and any
        other unmatched feature the generic rule (prettified name and value).
    """
    return match_rule(feature) or ((ATTRIBUTE_RULE if family_of(feature) == "attributes" else GENERIC_RULE), {})
