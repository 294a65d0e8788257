import pandas as pd
import pytest

from models.uplift.rows import propensity, training_rows

D1, D2 = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")


def contacts():
    # stratum (high, CALL): 3 contact + 1 holdout -> 0.75; (low, EMAIL): 1 + 1 -> 0.5; (low, CALL): contact only
    return pd.DataFrame({
        "campaign_id": ["2024-01-01"] * 7,
        "campaign_date": [D1] * 7,
        "customer_id": ["a", "b", "c", "d", "e", "f", "g"],
        "group": ["contact", "contact", "contact", "holdout", "contact", "holdout", "contact"],
        "risk_tier": ["high"] * 4 + ["low"] * 3,
        "action_code": ["CALL"] * 4 + ["EMAIL", "EMAIL", "CALL"],
        "churn_probability": [0.9, 0.8, 0.7, 0.85, 0.1, 0.2, 0.15],
    })


def features():
    ids = list("abcdefg")
    at_d1 = pd.DataFrame({"cutoff": D1, "customer_id": ids, "tenure": [10.0, 11, 12, 13, 14, 15, 16]})
    later = pd.DataFrame({"cutoff": D2, "customer_id": ids, "tenure": [99.0] * 7})    # after the campaign
    return pd.concat([later, at_d1[at_d1["customer_id"] != "b"]], ignore_index=True)  # b: not a customer at D1


def labels():
    return pd.DataFrame({"cutoff": [D1] * 6 + [D2], "customer_id": ["a", "b", "c", "d", "e", "f", "a"],
                         "label": [1, 0, 0, 1, 0, 1, 0]})


def test_propensity_is_the_strata_contact_share():
    assert propensity(contacts()).tolist() == [0.75, 0.75, 0.75, 0.75, 0.5, 0.5, 1.0]
    assert propensity(contacts().drop(columns=["risk_tier", "action_code"])).tolist() == [5 / 7] * 7


def test_rows_are_the_features_at_the_campaign_date_with_group_outcome_and_design_propensity():
    rows, dropped = training_rows(contacts(), features(), labels(), ["tenure"])
    # g: in a stratum with no holdout; b: no features at D1
    assert rows["customer_id"].tolist() == ["a", "c", "d", "e", "f"]
    assert rows["tenure"].tolist() == [10.0, 12, 13, 14, 15]          # never the later cutoff's 99
    assert rows["treated"].tolist() == [1, 1, 0, 1, 0]
    assert rows["churned"].tolist() == [1, 0, 1, 0, 1]
    assert rows["propensity"].tolist() == [0.75, 0.75, 0.75, 0.5, 0.5]
    assert rows["churn_probability"].tolist() == [0.9, 0.7, 0.85, 0.1, 0.2]
    assert rows["customer_value"].isna().all()
    assert (dropped.no_features, dropped.not_labelled, dropped.one_group_strata) == (1, 0, 1)


def test_unlabelled_rows_are_counted_and_risk_can_come_from_elsewhere():
    lab = labels()
    lab = lab[lab["customer_id"] != "e"]
    risk = contacts()[["campaign_id", "customer_id", "churn_probability"]]
    rows, dropped = training_rows(contacts().drop(columns=["churn_probability"]), features(), lab, ["tenure"],
                                  risk=risk)
    assert dropped.not_labelled == 1 and "e" not in rows["customer_id"].tolist()
    assert rows.set_index("customer_id").loc["f", "churn_probability"] == pytest.approx(0.2)


def test_campaign_dates_from_assigned_at_else_the_id():
    from models.uplift.rows import campaign_dates

    frame = pd.DataFrame({"campaign_id": ["2024-01-01", "spring", "spring"],
                          "assigned_at": [None, pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-01")]})
    assert campaign_dates(frame).tolist() == [D1, pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-01")]
    with pytest.raises(ValueError, match="campaign 'winter' \\(1 rows\\) has no assigned_at"):
        campaign_dates(pd.DataFrame({"campaign_id": ["winter"]}))


def test_a_contacts_column_named_like_a_feature_does_not_shadow_it():
    feats = features().assign(channel="web")
    rows, _ = training_rows(contacts().assign(channel="phone"), feats, labels(), ["tenure", "channel"])
    assert set(rows["channel"]) == {"web"}
