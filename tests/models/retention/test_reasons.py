"""Plain-language reasons on tiny frames, both languages, edge cases and speed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.retention import i18n
from models.retention.labels import feature_label
from models.retention.reasons.rule_table import RULES
from models.retention.reasons.rules import rule_for
from models.retention.reasons.select import top_reasons
from models.retention.reasons.sentences import render_feature


@pytest.fixture()
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "events_login_count_30d": [9.0, 0.0, 3.0],
        "events_login_diff_30d_vs_prev_30d": [-16.0, -12.0, 2.0],
        "events_login_change_30d_vs_prev_30d": [-0.64, -1.0, 2.0],
        "tickets_complaint_count_90d": [3.0, 0.0, 1.0],
        "tickets_open_count": [1.0, 0.0, 0.0],
        "days_since_last_event": [41.0, 1.0, np.nan],
        "tenure_days": [23.0, 800.0, 400.0],
        "payment_failed_count_30d": [2.0, 1.0, 0.0],
        "price_change_pct_90d": [0.12, -0.05, 0.0],
        "satisfaction_mean_90d": [1.5, np.nan, 4.0],
        "contract": pd.Categorical(["monthly", "annual", None]),
        "plan": ["basic", "=cmd", "pro"],
        "events_x_count_30d": [5.0, 6.0, 7.0],
        "mystery_score_30d": [1234.5, 2.0, np.nan],
    }, index=["a", "b", "c"])


def _only(frame: pd.DataFrame, feature: str, language: str = "en") -> list[str]:
    contrib = np.zeros((len(frame), frame.shape[1]))
    contrib[:, list(frame.columns).index(feature)] = 1.0
    return list(top_reasons(frame, contrib, list(frame.columns), language, top_k=1)["reason_1"])


def test_sentences_carry_customer_values(frame):
    assert _only(frame, "events_login_diff_30d_vs_prev_30d")[0] == (
        "Logins fell 64% in the last 30 days compared with the 30 before (25 → 9)")
    assert _only(frame, "events_login_change_30d_vs_prev_30d")[1] == (
        "No logins in the last 30 days, after 12 in the 30 before")
    assert _only(frame, "days_since_last_event")[:2] == ["No activity for 41 days", "No activity for 1 day"]
    assert _only(frame, "tenure_days")[0] == "Joined 23 days ago"
    assert _only(frame, "payment_failed_count_30d")[0] == "2 failed payments in the last 30 days"
    assert _only(frame, "price_change_pct_90d")[0] == "Price rose 12% in the last 90 days"
    assert _only(frame, "satisfaction_mean_90d")[0] == "Satisfaction averaged 1.5 / 5 on tickets in the last 90 days"
    assert _only(frame, "tickets_complaint_count_90d")[0].startswith("3 complaints in the last 90 days")
    assert _only(frame, "contract")[:2] == ["Contract: monthly", "Contract: annual"]
    assert _only(frame, "plan")[0] == "Plan: basic"


def test_japanese_sentences(frame):
    assert _only(frame, "events_login_diff_30d_vs_prev_30d", "ja")[0] == (
        "直近30日のログインは前の30日と比べて64%減少しました（25 → 9）")
    assert _only(frame, "days_since_last_event", "ja")[0] == "41日間利用がありません"
    assert _only(frame, "contract", "ja")[0] == "契約：月払い"


def test_missing_values_and_unknown_features_are_readable(frame):
    assert _only(frame, "days_since_last_event")[2] == "No activity recorded yet"
    assert _only(frame, "satisfaction_mean_90d")[1] == "No satisfaction ratings on tickets in the last 90 days"
    assert _only(frame, "contract")[2] == "Contract: not recorded"
    generic = _only(frame, "mystery_score_30d")
    assert generic[0] == "Mystery score (last 30 days): 1,234.50"
    assert generic[2] == "Mystery score (last 30 days): not recorded"
    for lang in ("en", "ja"):
        for text in _only(frame, "mystery_score_30d", lang) + _only(frame, "events_x_count_30d", lang):
            assert "_" not in text


def test_only_positive_contributions_and_dedup(frame):
    names = list(frame.columns)
    contrib = np.full((3, len(names)), -0.5)
    contrib[0, names.index("events_login_diff_30d_vs_prev_30d")] = 0.9
    contrib[0, names.index("events_login_change_30d_vs_prev_30d")] = 0.8  # same code: dropped
    contrib[0, names.index("tickets_complaint_count_90d")] = 0.3
    contrib[1, names.index("tenure_days")] = 0.0  # zero is not a reason
    contrib[2, names.index("plan")] = np.nan
    out = top_reasons(frame, contrib, names)
    assert list(out.index) == ["a", "b", "c"]
    assert out.loc["a", "reason_code_1"] == "USAGE_DECLINE_LOGIN"
    assert out.loc["a", "reason_code_2"] == "COMPLAINTS_RECENT_COMPLAINT"
    assert out.loc["a", "reason_3"] == ""
    assert out.loc["a", "reason_codes"] == "USAGE_DECLINE_LOGIN|COMPLAINTS_RECENT_COMPLAINT"
    assert out.loc["a", "driver_family"] == "usage"
    assert out.loc["a", "reason_family_2"] == "complaints"
    for row in ("b", "c"):
        assert (out.loc[row, [f"reason_{i}" for i in (1, 2, 3)]] == "").all()
        assert out.loc[row, "reason_codes"] == ""
        assert out.loc[row, "driver_family"] == ""


def test_shape_errors_are_clear(frame):
    names = list(frame.columns)
    with pytest.raises(ValueError, match="base value"):
        top_reasons(frame, np.zeros((3, len(names) + 1)), names)
    with pytest.raises(ValueError, match="not columns"):
        top_reasons(frame, np.zeros((3, len(names) + 1)), names + ["nope"])
    with pytest.raises(ValueError, match="not supported"):
        top_reasons(frame, np.zeros((3, len(names))), names, language="fr")


def test_empty_frame(frame):
    out = top_reasons(frame.iloc[:0], np.zeros((0, frame.shape[1])), list(frame.columns), top_k=2)
    assert len(out) == 0 and "reason_2" in out.columns


def test_every_rule_has_both_languages_with_matching_placeholders():
    keys = {rule.template for rule in RULES} | {"attribute", "generic"}
    for key in keys:
        en, ja = i18n.lookup(f"reasons.{key}", "en"), i18n.catalog("ja")["reasons"][key]
        assert set(en) == set(ja), key
        for variant in en:
            ph_en = {p.split("_")[0] for p in i18n.placeholders(en[variant])}
            ph_ja = {p.split("_")[0] for p in i18n.placeholders(ja[variant])}
            assert ph_en == ph_ja, (key, variant)


def test_every_rule_names_a_renderer():
    from models.retention.reasons.render import RENDERERS
    from models.retention.reasons.rule_table import ATTRIBUTE_RULE, GENERIC_RULE

    assert {rule.renderer for rule in (*RULES, ATTRIBUTE_RULE, GENERIC_RULE)} <= set(RENDERERS)


@pytest.mark.parametrize("feature,code", [
    ("events_payment_failed_count_30d", "BILLING_PAYMENT_FAILED"),
    ("events_nps_count_90d", "ENGAGEMENT_LOW_NPS"),
    ("usage_weekly_slope_90d", "USAGE_SLOPE_DOWN"),
    ("tickets_slow_resolution_count_90d", "COMPLAINTS_SLOW_RESOLUTION"),
    ("weeks_active_share_90d", "ENGAGEMENT_FEW_ACTIVE_WEEKS"),
    ("days_to_renewal", "TENURE_RENEWAL_SOON"),
    ("region", "ATTRIBUTES_REGION"),
    ("events_price_change_count_90d", "BILLING_RECENT_PRICE_CHANGE"),
    ("events_signup_count_90d", "TENURE_RECENT_SIGNUP"),
])
def test_catalog_patterns_have_rules(feature, code):
    df = pd.DataFrame({feature: [-2.0 if "slope" in feature else 0.4 if "share" in feature else 5.0]})
    if feature == "region":
        df[feature] = ["EMEA"]
    for lang in ("en", "ja"):
        sentences, codes = render_feature(df, feature, np.array([0]), lang)
        assert codes[0] == code
        assert sentences[0] and "_" not in sentences[0]


def test_a_signup_in_the_window_reads_as_a_new_customer():
    df = pd.DataFrame({"events_signup_count_90d": [1.0, 0.0]})
    en, _ = render_feature(df, "events_signup_count_90d", np.array([0, 1]), "en")
    ja, _ = render_feature(df, "events_signup_count_90d", np.array([0, 1]), "ja")
    assert list(en) == ["Joined in the last 90 days", "Joined more than 90 days ago"]
    assert list(ja) == ["直近90日以内に加入しました", "加入から90日以上たっています"]


def test_feature_label_names_the_feature_by_its_rule_and_prettifies_the_rest():
    assert feature_label("events_x_count_30d", "en") == "X events (last 30 days)"
    assert feature_label("custom_metric_7d", "en") == "Custom metric (last 7 days)"
    assert feature_label("plan", "ja") == "プラン"
    assert rule_for("monthly_fee")[0].template == "monthly_fee"


def test_many_customers_each_get_their_own_reasons_in_one_vectorised_pass():
    """Thousands of customers over 80 features of every kind: every one gets a first reason, and each customer's
    reasons are the ones it gets alone (no row mixes with another). The speed lives in ``bench/reasons.py``."""
    from bench.reasons import frame_and_contributions

    frame, contrib, names = frame_and_contributions(5_000)
    out = top_reasons(frame, contrib, names, "en")
    assert len(out) == 5_000 and (out["reason_1"] != "").all()
    for i in (0, 1, 2_500, 4_999):
        alone = top_reasons(frame.iloc[[i]].reset_index(drop=True), contrib[[i]], names, "en")
        assert alone.iloc[0].to_dict() == out.iloc[i].to_dict()


def test_every_computed_feature_has_its_own_rule_and_both_languages():
    from features.catalog import family_of
    from features.columns import all_columns
    from features.spec import FeatureConfig

    cfg = FeatureConfig(event_types=("login", "purchase", "payment_failed", "nps", "plan_change", "signup"),
                        value_sum_event_types=("purchase",), ticket_categories=("billing", "complaint"),
                        attributes=("contract", "monthly_fee"))
    names = [c.name for c in all_columns(cfg) if family_of(c.name) != "attributes"]
    generic = [n for n in names if rule_for(n)[0].template == "generic"]
    assert not generic
    df = pd.DataFrame({n: [3.0, np.nan] for n in names})
    df["gap_mean_days"], df["days_since_last_event"] = [10.0, np.nan], [30.0, 5.0]
    for lang in ("en", "ja"):
        for n in names:
            sentences, codes = render_feature(df, n, np.array([0, 1]), lang)
            assert all(sentences) and all(codes), n
            assert not any("{" in s or "_" in s for s in sentences), (n, sentences)


def test_overdue_reads_the_usual_gap_and_the_days_since():
    df = pd.DataFrame({"overdue_ratio": [2.4, 0.5], "gap_mean_days": [41.0, 20.0],
                       "days_since_last_event": [97.0, 10.0]})
    en, codes = render_feature(df, "overdue_ratio", np.array([0, 1]), "en")
    assert en[0] == "Usually active every 41 days; 97 days since the last activity (2.4× overdue)"
    assert list(codes) == ["ENGAGEMENT_OVERDUE", "ENGAGEMENT_ON_TIME"]
    ja, _ = render_feature(df, "overdue_ratio", np.array([0]), "ja")
    assert "41日ごと" in ja[0] and "2.4倍" in ja[0]


def test_a_non_contract_business_reads_purchases_not_contracts():
    df = pd.DataFrame({"tenure_days": [20.0, 340.0], "days_since_last_event": [97.0, 3.0],
                       "overdue_ratio": [2.4, 0.5], "gap_mean_days": [41.0, 20.0]})
    rows = np.array([0, 1])
    en, _ = render_feature(df, "tenure_days", rows, "en", profile="non_contract")
    assert list(en) == ["First purchase 20 days ago", "First purchase 11 months ago"]
    sub, _ = render_feature(df, "tenure_days", rows, "en")
    assert list(sub) == ["Joined 20 days ago", "Joined 11 months ago"], "never '340 days' under a year"
    ja, _ = render_feature(df, "tenure_days", rows, "ja", profile="non_contract")
    assert list(ja) == ["初回購入からまだ20日です", "初回購入から11か月です"]
    over, codes = render_feature(df, "overdue_ratio", rows[:1], "en", profile="non_contract")
    assert over[0] == "Usually buys every 41 days; 97 days since the last purchase (2.4× overdue)"
    quiet, _ = render_feature(df, "days_since_last_event", rows[:1], "ja", profile="non_contract")
    assert quiet[0] == "3か月以上購入がありません"


def test_event_types_read_by_their_display_names_or_a_readable_form():
    df = pd.DataFrame({"events_newfriend_count_90d": [0.0], "events_invite_sent_count_90d": [2.0]})
    named, _ = render_feature(df, "events_newfriend_count_90d", np.array([0]), "en",
                              display_names={"newfriend": "friend invitation"})
    assert named[0] == "No friend invitations in the last 90 days"
    ja, _ = render_feature(df, "events_newfriend_count_90d", np.array([0]), "ja",
                           display_names={"newfriend": {"en": "friend invitation", "ja": "友達招待"}})
    assert ja[0] == "直近90日の友達招待はありません"
    plain, _ = render_feature(df, "events_newfriend_count_90d", np.array([0]), "en")
    assert plain[0] == "No newfriend events in the last 90 days"
    words, _ = render_feature(df, "events_invite_sent_count_90d", np.array([0]), "en")
    assert words[0] == "Only 2 invite sent events in the last 90 days"


def test_attribute_values_read_as_words():
    df = pd.DataFrame({"acquisition_channel": ["paid_social", "some_new_source"]})
    en, _ = render_feature(df, "acquisition_channel", np.array([0, 1]), "en")
    assert list(en) == ["Acquisition channel: paid social media ads", "Acquisition channel: some new source"]
    ja, _ = render_feature(df, "acquisition_channel", np.array([0]), "ja")
    assert "SNS広告" in ja[0]


# days -> (subscription en, subscription ja, non-contract en, non-contract ja, code); a year is 365 days, a month
# a twelfth of it, both counted whole: 31 days is the first month, 335 the eleventh, 365 the first year.
_TENURES = [
    (0, "Joined today", "本日契約を開始しました", "First purchase today", "本日初めて購入しました", "TENURE_SHORT"),
    (1, "Joined yesterday", "昨日契約を開始しました", "First purchase yesterday", "昨日初めて購入しました",
     "TENURE_SHORT"),
    (2, "Joined 2 days ago", "契約開始からまだ2日です", "First purchase 2 days ago", "初回購入からまだ2日です",
     "TENURE_SHORT"),
    (29, "Joined 29 days ago", "契約開始からまだ29日です", "First purchase 29 days ago", "初回購入からまだ29日です",
     "TENURE_SHORT"),
    (30, "Joined 30 days ago", "契約開始からまだ30日です", "First purchase 30 days ago", "初回購入からまだ30日です",
     "TENURE_SHORT"),
    (31, "Joined 1 month ago", "契約開始から1か月です", "First purchase 1 month ago", "初回購入から1か月です",
     "TENURE_SHORT"),
    (60, "Joined 1 month ago", "契約開始から1か月です", "First purchase 1 month ago", "初回購入から1か月です",
     "TENURE_SHORT"),
    (61, "Joined 2 months ago", "契約開始から2か月です", "First purchase 2 months ago", "初回購入から2か月です",
     "TENURE_SHORT"),
    (334, "Joined 10 months ago", "契約開始から10か月です", "First purchase 10 months ago", "初回購入から10か月です",
     "TENURE_SHORT"),
    (354, "Joined 11 months ago", "契約開始から11か月です", "First purchase 11 months ago", "初回購入から11か月です",
     "TENURE_SHORT"),
    (364, "Joined 11 months ago", "契約開始から11か月です", "First purchase 11 months ago", "初回購入から11か月です",
     "TENURE_SHORT"),
    (365, "Customer for 1 year", "契約開始から1年です", "Customer for 1 year", "1年来の顧客です", "TENURE_LONG"),
    (729, "Customer for 1 year", "契約開始から1年です", "Customer for 1 year", "1年来の顧客です", "TENURE_LONG"),
    (730, "Customer for 2 years", "契約開始から2年です", "Customer for 2 years", "2年来の顧客です", "TENURE_LONG"),
    (2000.5, "Customer for 5 years", "契約開始から5年です", "Customer for 5 years", "5年来の顧客です", "TENURE_LONG"),
    (np.nan, "Start date unknown", "契約開始日が不明です", "First purchase date unknown", "初回購入日が不明です",
     "TENURE_UNKNOWN"),
    (-3, "Start date unknown", "契約開始日が不明です", "First purchase date unknown", "初回購入日が不明です",
     "TENURE_UNKNOWN"),
]


@pytest.mark.parametrize("days,sub_en,sub_ja,nc_en,nc_ja,code", _TENURES)
def test_tenure_reads_in_days_months_then_years_in_both_languages_and_profiles(days, sub_en, sub_ja, nc_en, nc_ja,
                                                                               code):
    df = pd.DataFrame({"tenure_days": [days]})
    got = {(lang, profile): render_feature(df, "tenure_days", np.array([0]), lang, profile=profile)
           for lang in ("en", "ja") for profile in (None, "non_contract")}
    assert [got[k][0][0] for k in [("en", None), ("ja", None), ("en", "non_contract"), ("ja", "non_contract")]] == [
        sub_en, sub_ja, nc_en, nc_ja]
    assert {c[0] for _, c in got.values()} == {code}, "the reason codes do not depend on the wording"


def test_days_since_the_first_activity_read_like_tenure():
    df = pd.DataFrame({"days_since_first_activity": [0.0, 1.0, 30.0, 31.0, 354.0, 365.0, 800.0, np.nan]})
    rows = np.arange(len(df))
    en, codes = render_feature(df, "days_since_first_activity", rows, "en")
    assert list(en) == ["First active today", "First active yesterday", "First active 30 days ago",
                        "First active 1 month ago", "First active 11 months ago", "First active 1 year ago",
                        "First active 2 years ago", "No activity recorded yet"]
    assert set(codes) == {"TENURE_FIRST_ACTIVITY"}
    ja, _ = render_feature(df, "days_since_first_activity", rows, "ja")
    assert list(ja) == ["初めての利用は本日です", "初めての利用は昨日です", "初めての利用は30日前です",
                        "初めての利用は1か月前です", "初めての利用は11か月前です", "初めての利用は1年前です",
                        "初めての利用は2年前です", "まだ利用記録がありません"]
    nc_en, _ = render_feature(df, "days_since_first_activity", rows, "en", profile="non_contract")
    assert list(nc_en)[1:5] == ["First purchase yesterday", "First purchase 30 days ago", "First purchase 1 month ago",
                                "First purchase 11 months ago"]
    nc_ja, _ = render_feature(df, "days_since_first_activity", rows, "ja", profile="non_contract")
    assert list(nc_ja)[4:7] == ["初回購入は11か月前です", "初回購入は1年前です", "初回購入は2年前です"]


# How long since something last happened: days up to two months (60 days is still "60 days"), then whole months
# with "over", then years.
_AGO = [0.0, 1.0, 2.0, 59.0, 60.0, 61.0, 400.0, 729.0, 800.0, np.nan]


def test_days_since_read_in_days_then_months_then_years_in_both_languages_and_profiles():
    df = pd.DataFrame({"days_since_last_event": _AGO, "days_since_last_login_event": _AGO,
                       "days_since_last_nps": _AGO, "days_since_last_ticket": _AGO})
    assert _values(df, "days_since_last_event", "en") == [
        "Last activity was today", "No activity for 1 day", "No activity for 2 days", "No activity for 59 days",
        "No activity for 60 days", "No activity for over 2 months", "No activity for over a year",
        "No activity for over a year", "No activity for over 2 years", "No activity recorded yet"]
    assert _values(df, "days_since_last_event", "ja") == [
        "最終利用は本日です", "1日間利用がありません", "2日間利用がありません", "59日間利用がありません",
        "60日間利用がありません", "2か月以上利用がありません", "1年以上利用がありません", "1年以上利用がありません",
        "2年以上利用がありません", "まだ利用記録がありません"]
    rows = np.arange(len(df))
    nc_en = list(render_feature(df, "days_since_last_event", rows, "en", profile="non_contract")[0])
    assert nc_en[4:7] == ["No purchase for 60 days", "No purchase for over 2 months", "No purchase for over a year"]
    nc_ja = list(render_feature(df, "days_since_last_event", rows, "ja", profile="non_contract")[0])
    assert nc_ja[4:7] == ["60日間購入がありません", "2か月以上購入がありません", "1年以上購入がありません"]
    assert [_values(df, "days_since_last_login_event", "en")[i] for i in (1, 5, 6, 8)] == [
        "Last login was yesterday", "Last login was over 2 months ago", "Last login was over a year ago",
        "Last login was over 2 years ago"]
    assert [_values(df, "days_since_last_login_event", "ja")[i] for i in (1, 5, 6)] == [
        "最後のログインは昨日です", "最後のログインは2か月以上前です", "最後のログインは1年以上前です"]
    assert [_values(df, "days_since_last_nps", "en")[i] for i in (3, 6)] == [
        "Last answered the NPS survey 59 days ago", "Last answered the NPS survey over a year ago"]
    assert [_values(df, "days_since_last_nps", "ja")[i] for i in (3, 6)] == [
        "最後のNPS調査の回答は59日前です", "最後のNPS調査の回答は1年以上前です"]
    assert [_values(df, "days_since_last_ticket", "en")[i] for i in (2, 5)] == [
        "Contacted support 2 days ago", "Last contacted support over 2 months ago"]
    assert [_values(df, "days_since_last_ticket", "ja")[i] for i in (2, 5)] == [
        "2日前にサポートに問い合わせがありました", "最後のサポートへの問い合わせは2か月以上前です"]
    codes = {c for f in df.columns for c in render_feature(df, f, rows, "en")[1]}
    assert codes == {"ENGAGEMENT_INACTIVE", "ENGAGEMENT_SINCE_LAST_LOGIN", "ENGAGEMENT_NPS_STALE",
                     "ENGAGEMENT_NO_NPS", "COMPLAINTS_LAST_TICKET"}, "the reason codes do not depend on the wording"


def _values(df: pd.DataFrame, feature: str, language: str, display_names: dict | None = None) -> list[str]:
    return list(render_feature(df, feature, np.arange(len(df)), language, display_names=display_names)[0])


def test_attribute_values_take_their_display_names_from_params_in_both_languages():
    df = pd.DataFrame({"acquisition_channel": ["paid_social", "some_new_source", "referral", None],
                       "favourite_colour": ["paid_social", "red", "red", "blue"]})
    flat = {"paid_social": {"en": "paid social ads", "ja": "SNS広告（有料）"}, "some_new_source": "podcast ads"}
    assert _values(df, "acquisition_channel", "en", flat) == [
        "Acquisition channel: paid social ads", "Acquisition channel: podcast ads", "Acquisition channel: referral",
        "Acquisition channel: not recorded"]
    assert _values(df, "acquisition_channel", "ja", flat)[:3] == [
        "獲得チャネル：SNS広告（有料）", "獲得チャネル：podcast ads", "獲得チャネル：紹介"]
    per_column = {"acquisition_channel": {"en": "Channel", "ja": "チャネル",
                                          "values": {"paid_social": {"en": "social ads", "ja": "SNS"}}}}
    assert _values(df, "acquisition_channel", "en", per_column)[:2] == ["Channel: social ads",
                                                                         "Channel: some new source"]
    assert _values(df, "acquisition_channel", "ja", per_column)[:1] == ["チャネル：SNS"]
    assert _values(df, "favourite_colour", "en", per_column)[:2] == ["Favourite colour: paid social media ads",
                                                                      "Favourite colour: red"], "one column's only"
    both = {**flat, **per_column}
    assert _values(df, "acquisition_channel", "en", both)[:2] == ["Channel: social ads", "Channel: podcast ads"]


def test_attribute_values_without_a_name_are_made_readable_and_numbers_and_booleans_read_sensibly():
    df = pd.DataFrame({"acquisition_channel": ["partner_co_op", "Paid_Social", "Month-to-month"],
                       "is_senior": [0, 1, 1], "discount": [0.5, 12.25, 1234.5],
                       "loyalty_member": [True, False, True]})
    assert _values(df, "acquisition_channel", "en") == [
        "Acquisition channel: partner co op", "Acquisition channel: paid social media ads",
        "Acquisition channel: Month-to-month"]
    assert _values(df, "acquisition_channel", "ja")[0] == "獲得チャネル：partner co op"
    assert _values(df, "is_senior", "en") == ["Is senior: 0", "Is senior: 1", "Is senior: 1"]
    assert _values(df, "discount", "ja") == ["discount：0.50", "discount：12.25", "discount：1,234.50"]
    assert _values(df, "loyalty_member", "en") == ["Loyalty member: yes", "Loyalty member: no", "Loyalty member: yes"]
    assert _values(df, "loyalty_member", "ja")[:2] == ["ロイヤルティ会員：はい", "ロイヤルティ会員：いいえ"]
    # a column's own values rename numbers and booleans as well, keyed as YAML reads them (1, true) or as text
    names = {"is_senior": {"en": "Senior", "ja": "シニア", "values": {0: "no", 1: {"en": "yes", "ja": "該当"}}},
             "loyalty_member": {"values": {True: {"en": "member", "ja": "会員"}}},
             "discount": {"values": {"12.25": "a dozen and a quarter"}}}
    assert _values(df, "is_senior", "en", names) == ["Senior: no", "Senior: yes", "Senior: yes"]
    assert _values(df, "is_senior", "ja", names)[1] == "シニア：該当"
    assert _values(df, "loyalty_member", "ja", names) == ["ロイヤルティ会員：会員", "ロイヤルティ会員：いいえ",
                                                         "ロイヤルティ会員：会員"]
    assert _values(df, "discount", "en", names) == ["Discount: 0.50", "Discount: a dozen and a quarter",
                                                    "Discount: 1,234.50"]


def test_a_reason_template_is_read_only():
    from models.retention.reasons.sentences import _template

    template = _template("en", "monthly_fee")
    with pytest.raises(TypeError):
        template["missing"] = "changed"  # type: ignore[index]
    assert _template("en", "monthly_fee")["missing"] != "changed"
