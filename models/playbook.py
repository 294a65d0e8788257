"""From risk and reasons to what the retention team does: actions, tiers, value at risk, the CSV.

The playbook is plain data (it comes from ``params.yaml``)::

    families:        driver family -> action code
    default:         action code when no driver stands out
    segment_rules:   rules that override the family action, first match wins;
                     each has an action, an action_reason message key and
                     conditions on segment columns, or on the customer's
                     ``driver_family`` and ``reason_code_1``
                     (op one of >=, >, <=, <, ==, !=, in, top_share)
    actions:         optional {CODE: {en: text, ja: text}} for custom actions

Action texts of the built-in codes are in ``models/locales/<language>.yaml``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.catalog import FAMILIES
from models import i18n

LOGGER = logging.getLogger(__name__)

DAYS_PER_MONTH = 30.4375  # 365.25 / 12
TIERS: tuple[str, ...] = ("high", "medium", "low")

DEFAULT_PLAYBOOK: dict[str, Any] = {
    "families": {
        "complaints": "SERVICE_RECOVERY_CALL",
        "usage": "SUCCESS_CHECKIN",
        "tenure": "ONBOARDING_HELP",
        "billing": "BILLING_REVIEW",
        "engagement": "VALUE_CONTENT",
        "attributes": "ACCOUNT_REVIEW",
    },
    "default": "ACCOUNT_REVIEW",
    "segment_rules": [
        {
            "name": "loyal_high_value",
            "action": "LOYALTY_RECOGNITION",
            "action_reason": "action_reasons.loyal_high_value",
            "conditions": [
                {"column": "tenure_days", "op": ">=", "value": 730},
                {"column": "monthly_fee", "op": "top_share", "value": 0.2},
            ],
        },
        {
            "name": "renewal_due",
            "action": "RENEWAL_CALL",
            "action_reason": "action_reasons.renewal_due",
            "conditions": [{"column": "reason_code_1", "op": "==", "value": "TENURE_RENEWAL_SOON"}],
        },
    ],
}

_OPS = (">=", ">", "<=", "<", "==", "!=", "in", "top_share")


def _action_text(code: str, playbook: Mapping[str, Any], language: str) -> str:
    custom = (playbook.get("actions") or {}).get(code)
    if custom:
        if language in custom:
            return str(custom[language])
        if "en" in custom:
            return str(custom["en"])
    text = i18n.lookup(f"actions.{code}", language, default="")
    if not text:
        known = sorted(set(i18n.lookup("actions", "en")) | set(playbook.get("actions") or {}))
        raise ValueError(f"playbook action {code!r} has no text; known actions: {', '.join(known)}")
    return str(text)


def _condition_mask(segments: pd.DataFrame, cond: Mapping[str, Any], rule_name: str) -> np.ndarray | None:
    column, op, value = cond.get("column"), cond.get("op"), cond.get("value")
    if op not in _OPS:
        raise ValueError(f"segment rule {rule_name!r}: op {op!r} is not supported; expected one of {_OPS}")
    if column not in segments.columns:
        LOGGER.warning("segment rule %r skipped: segments have no column %r", rule_name, column)
        return None
    col = segments[column]
    if op == "in":
        return col.isin(list(value)).to_numpy()
    if op in ("==", "!="):
        eq = (col == value).fillna(False).to_numpy(dtype=bool)
        return eq if op == "==" else ~eq
    x = pd.to_numeric(col, errors="coerce")
    if op == "top_share":
        if not 0 < float(value) <= 1:
            raise ValueError(f"segment rule {rule_name!r}: top_share must be in (0, 1], got {value}")
        # rank 1 = highest value; ties share the best rank so equal customers get equal treatment
        rank = x.rank(method="min", ascending=False)
        return (rank <= np.ceil(float(value) * x.notna().sum())).fillna(False).to_numpy(dtype=bool)
    compare = {">=": x.ge, ">": x.gt, "<=": x.le, "<": x.lt}[op]
    return compare(float(value)).fillna(False).to_numpy(dtype=bool)


def recommend_actions(
    driver_family: pd.Series,
    segments: pd.DataFrame,
    playbook: Mapping[str, Any] = DEFAULT_PLAYBOOK,
    language: str = "en",
) -> pd.DataFrame:
    """Recommend one action per customer from the top driver family and segment rules.

    Args:
        driver_family: family of each customer's first reason ("" when none).
        segments: customer segment columns (e.g. ``tenure_days``, ``monthly_fee``,
            ``plan``), same index as ``driver_family``. ``top_share`` conditions
            are computed within this frame.
        playbook: the playbook mapping (see module docstring), e.g. ``DEFAULT_PLAYBOOK``.
        language: ``"en"`` or ``"ja"``.

    Returns:
        A frame with the index of ``driver_family`` and columns
        ``recommended_action``, ``action_code`` and ``action_reason``.
    """
    i18n.check_language(language)
    if not driver_family.index.equals(segments.index):
        raise ValueError("driver_family and segments must have the same index (one row per customer, same order)")
    families = dict(playbook.get("families") or {})
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise ValueError(f"playbook families {unknown} are not driver families; expected some of {FAMILIES}")
    default = str(playbook.get("default", "ACCOUNT_REVIEW"))
    fam = driver_family.fillna("").astype(str)
    codes = fam.map(families).fillna(default).to_numpy(dtype=object, copy=True)
    fam_labels = {f: i18n.t(f"families.{f}", language) for f in FAMILIES}
    has_family = fam.isin(list(FAMILIES)).to_numpy()
    reasons = np.where(
        has_family, _family_reasons(fam, fam_labels, language), i18n.t("action_reasons.none", language)
    ).astype(object)

    decided = np.zeros(len(fam), dtype=bool)
    for rule in playbook.get("segment_rules") or []:
        name = str(rule.get("name", rule.get("action", "rule")))
        masks = [_condition_mask(segments, c, name) for c in rule.get("conditions") or []]
        if not masks or any(m is None for m in masks):
            continue
        hit = np.logical_and.reduce(masks) & ~decided
        if hit.any():
            codes[hit] = str(rule["action"])
            key = rule.get("action_reason")
            reasons[hit] = i18n.t(key, language) if key else i18n.t("action_reasons.segment_rule", language, name=name)
        decided |= hit

    texts = {c: _action_text(c, playbook, language) for c in pd.unique(codes)}
    return pd.DataFrame(
        {
            "recommended_action": pd.Series(codes, dtype=object).map(texts).to_numpy(dtype=object),
            "action_code": codes,
            "action_reason": reasons,
        },
        index=driver_family.index,
    )


def _family_reasons(fam: pd.Series, labels: dict[str, str], language: str) -> np.ndarray:
    texts = {f: i18n.t("action_reasons.family", language, family=labels.get(f, f)) for f in pd.unique(fam)}
    return fam.map(texts).to_numpy(dtype=object)


def value_at_risk(probability: Any, monthly_revenue: Any, horizon_days: float) -> Any:
    """Expected revenue lost over the horizon: probability × monthly revenue × months.

    Args:
        probability: churn probability (scalar, array or Series).
        monthly_revenue: revenue per month, same shape.
        horizon_days: prediction horizon in days (months = days / 30.4375).

    Returns:
        The value at risk, same type and index as the inputs (NaN where revenue is missing).
    """
    if horizon_days < 0:
        raise ValueError(f"horizon_days must be >= 0, got {horizon_days}")
    return probability * monthly_revenue * (horizon_days / DAYS_PER_MONTH)


def assign_tiers(
    probability: pd.Series | np.ndarray,
    method: str = "threshold",
    high: float = 0.5,
    medium: float = 0.2,
) -> pd.Series:
    """Sort customers into ``"high"``, ``"medium"`` and ``"low"`` risk tiers.

    Args:
        probability: churn probabilities.
        method: ``"threshold"``: ``high``/``medium`` are probability thresholds;
            ``"top_share"``: they are cumulative shares of the base (0.05 and 0.2
            mean the riskiest 5% are high and the next 15% medium). Customers
            tied at a boundary share the higher tier.
        high: threshold or share of the high tier.
        medium: threshold or share of high + medium together.

    Returns:
        A Series of tier codes (index kept if ``probability`` is a Series).
    """
    p = probability if isinstance(probability, pd.Series) else pd.Series(np.asarray(probability, dtype=float))
    p = p.astype(float)
    if p.isna().any():
        raise ValueError(f"{int(p.isna().sum())} probabilities are missing; every customer needs a score")
    if not (0 <= medium <= high <= 1) and method == "threshold":
        raise ValueError(f"thresholds must satisfy 0 <= medium <= high <= 1, got high={high}, medium={medium}")
    if method == "threshold":
        is_high, is_medium = p >= high, p >= medium
    elif method == "top_share":
        if not (0 <= high <= medium <= 1):
            raise ValueError(f"shares must satisfy 0 <= high <= medium <= 1, got high={high}, medium={medium}")
        rank = p.rank(method="min", ascending=False)
        is_high, is_medium = rank <= high * len(p), rank <= medium * len(p)
    else:
        raise ValueError(f"method {method!r} is not supported; expected 'threshold' or 'top_share'")
    tiers = np.where(is_high, "high", np.where(is_medium, "medium", "low"))
    return pd.Series(tiers, index=p.index, dtype=object, name="risk_tier")


def tier_labels(tiers: pd.Series, language: str) -> pd.Series:
    """Translate tier codes into display names ("High" / 「高」).

    Args:
        tiers: tier codes from :func:`assign_tiers`.
        language: ``"en"`` or ``"ja"``.

    Returns:
        The display names, same index.
    """
    names = {t: i18n.t(f"tiers.{t}", language) for t in TIERS}
    return tiers.map(names)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(df: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Defuse spreadsheet formulas: prefix ``'`` to text cells starting with = + - @ tab or CR.

    Follows the OWASP CSV-injection guidance for cells that came from customer data.

    Args:
        df: the table to be written.
        columns: the columns to treat; None means every text (object, string
            or categorical) column. Numeric columns are never changed.

    Returns:
        A copy of ``df`` with the affected cells prefixed.
    """
    out = df.copy()
    targets = columns if columns is not None else list(df.columns)
    for col in targets:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)
                or isinstance(s.dtype, pd.CategoricalDtype)):
            continue
        values = s.astype(object)
        is_text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        text = values.where(is_text, "").astype(str)
        risky = text.str.startswith(_FORMULA_START).to_numpy(dtype=bool) & is_text
        if risky.any():
            values = values.copy()
            values[risky] = "'" + text[risky]
            out[col] = values
    return out


def write_csv_for_spreadsheet(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a CSV that Excel and Google Sheets open correctly, atomically.

    UTF-8 with a byte-order mark (so Excel shows Japanese text correctly),
    written to a temporary file in the same folder and moved into place, so a
    reader never sees half a file.

    Args:
        df: the table (already passed through :func:`neutralise_formulas`).
        path: destination file.

    Returns:
        The destination path.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            df.to_csv(fh, index=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest
