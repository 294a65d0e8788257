"""The locale files: the same files and the same keys in every language, placeholders that match, no clashes."""

from __future__ import annotations

import pytest
import yaml

from models.retention import i18n


def _keys(node, prefix=""):
    # English names have singular and plural forms ({one, other}); Japanese has one form: both are one entry.
    if not isinstance(node, dict) or (node and set(node) <= {"one", "other"}):
        return {prefix}
    out = set()
    for k, v in node.items():
        out |= _keys(v, f"{prefix}.{k}" if prefix else str(k))
    return out


def test_every_language_has_the_same_files_and_keys():
    files = {lang: sorted(p.name for p in (i18n.LOCALES_DIR / lang).glob("*.yaml")) for lang in i18n.LANGUAGES}
    assert files["ja"] == files["en"]
    en, ja = _keys(i18n.catalog("en")), _keys(i18n.catalog("ja"))
    assert en - ja == set(), "keys only in English"
    assert ja - en == set(), "keys only in Japanese"


def test_placeholders_match_between_languages():
    en = i18n.catalog("en")
    for key in sorted(_keys(en)):
        e, j = i18n.lookup(key, "en"), i18n.lookup(key, "ja")
        if isinstance(e, str) and isinstance(j, str):
            strip = lambda names: {n.split("_")[0] for n in names}  # noqa: E731  (event_one, event_other -> event)
            assert strip(i18n.placeholders(e)) == strip(i18n.placeholders(j)), key


def test_a_top_level_key_in_two_files_is_refused(tmp_path, monkeypatch):
    (tmp_path / "en").mkdir()
    (tmp_path / "en/a.yaml").write_text(yaml.safe_dump({"report": {"x": "1"}}))
    (tmp_path / "en/b.yaml").write_text(yaml.safe_dump({"report": {"y": "2"}}))
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n._messages.cache_clear()
    try:
        with pytest.raises(ValueError, match="already defined"):
            i18n.catalog("en")
    finally:
        monkeypatch.undo()
        i18n._messages.cache_clear()


def test_every_computed_feature_has_a_label_in_each_language():
    """The drift list and other lists name features in the reader's language, never as raw column names."""
    import re

    from features.catalog import family_of
    from features.columns import all_columns
    from features.spec import FeatureConfig
    from models.retention.labels import feature_label

    cfg = FeatureConfig(event_types=("login", "purchase", "payment_failed", "nps", "plan_change", "price_change"),
                        value_sum_event_types=("purchase",), ticket_categories=("billing", "complaint"),
                        attributes=("contract", "monthly_fee"))
    names = [c.name for c in all_columns(cfg) if family_of(c.name) != "attributes"]
    for name in names:
        en, ja = feature_label(name, "en"), feature_label(name, "ja")
        assert "_" not in en and "_" not in ja, (name, en, ja)
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", ja), (name, ja)
    assert feature_label("monthly_fee", "ja") == "月額料金"
    assert feature_label("events_price_change_count_90d", "ja") == "料金変更（直近90日）"
    assert feature_label("tenure_days", "ja") == "契約開始からの日数"
    assert feature_label("events_newfriend_count_90d", "en", {"newfriend": "friend invitation"}) == \
        "Friend invitations (last 90 days)"


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("decimals", [0, 1, 2])
def test_format_numbers_formats_each_value_as_one_at_a_time(language, decimals):
    import numpy as np

    rng = np.random.default_rng(0)
    values = np.concatenate([rng.choice([0.0, 3.0, 41.5, -2.25], 50), rng.normal(0, 5000, 50),
                             [np.nan, np.inf, -0.0004, 1234567.891, -0.0]])
    group, decimal = i18n._symbols(language)

    def one(v: float) -> str:
        if not np.isfinite(v):
            return "–"
        r = float(np.round(v, decimals))
        text = ("{:,.%df}" % decimals).format(0.0 if r == 0 else r)
        return text.replace(",", "\x00").replace(".", decimal).replace("\x00", group)

    assert list(i18n.format_numbers(values, language, decimals)) == [one(v) for v in values]


def test_changing_the_catalog_a_caller_got_changes_no_later_call():
    got = i18n.catalog("en")
    title = got["report"]["title"]
    got["report"]["title"] = "changed"
    del got["reasons"]
    again = i18n.catalog("en")
    assert again["report"]["title"] == title and "reasons" in again
    assert i18n.lookup("report.title", "en") == title


def test_changing_a_looked_up_mapping_changes_no_later_lookup():
    words = i18n.lookup("prettify", "en")
    before = dict(words)
    words.clear()
    assert i18n.lookup("prettify", "en") == before


def test_the_attribute_value_words_are_read_only():
    from models.retention.labels import attribute_value_words

    words = attribute_value_words("en")
    with pytest.raises(TypeError):
        words["true"] = "changed"  # type: ignore[index]
    assert attribute_value_words("en") == words and "changed" not in attribute_value_words("en").values()
