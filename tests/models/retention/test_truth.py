"""The explanations checked against a synthetic world's truth: relative contributions, matching, label weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.catalog import FAMILIES


def test_the_truth_at_the_cutoff_is_relative_to_the_customers_own_segment():
    from models.retention.truth import relative_truth

    truth = pd.DataFrame({f: [0.0, 0.0, 0.0] for f in ("usage", "engagement", "tenure", "complaints", "billing",
                                                        "attributes")})
    truth["tenure"] = [2.0, 1.0, 0.5]          # the two annual customers' renewals, one monthly customer
    truth["usage"] = [0.1, 0.3, 0.2]
    rel = relative_truth(truth, pd.Series(["annual", "annual", "monthly"]))
    np.testing.assert_allclose(rel[:, 2], [0.5, -0.5, 0.0])
    np.testing.assert_allclose(rel[:, 0], [-0.1, 0.1, 0.0])
    np.testing.assert_allclose(relative_truth(truth, None)[:, 2], [2 - 3.5 / 3, 1 - 3.5 / 3, 0.5 - 3.5 / 3])


def test_truth_match_counts_the_first_reason_and_correlates_the_six_families():
    from models.retention.truth import truth_match

    rel = np.array([[3, 2, 1, 0, -1, -2], [0, 1, 2, 3, 4, 5], [1, 0, 0, 0, 0, 0]], dtype=float)
    explained = np.array([[6, 5, 4, 3, 2, 1], [5, 4, 3, 2, 1, 0], [0, 0, 0, 0, 0, 0]], dtype=float)
    fam = np.array(["usage", "usage", ""], dtype=object)   # right, wrong, no reason
    out = truth_match(fam, explained, rel, {"all": np.ones(3, bool), "first": np.array([True, False, False])})
    assert out["all"]["n"] == 3 and out["all"]["match_rate"] == pytest.approx(1 / 3)
    assert out["all"]["spearman_mean"] == pytest.approx(0.0), "+1 and -1; the constant row has no correlation"
    assert out["first"]["match_rate"] == 1.0 and out["first"]["spearman_mean"] == pytest.approx(1.0)
    assert out["all"]["per_family"]["attributes"]["explained_as"] == {"usage": 1}


def test_label_weights_recover_the_weights_the_labels_were_drawn_with():
    """Labels drawn from a known logistic model of the six contributions (and a segment offset) give its weights
    back; a family the labels ignore weighs about nothing."""
    from models.retention.truth import label_weights

    rng = np.random.default_rng(3)
    n = 60_000
    truth = pd.DataFrame(rng.normal(0.0, 1.0, (n, 6)), columns=list(FAMILIES))
    segment = pd.Series(rng.choice(["annual", "monthly"], n))
    true_w = np.array([0.3, 1.2, 0.8, 1.0, 0.0, -0.5])
    logit = truth.to_numpy() @ true_w - 3.0 + 1.5 * (segment == "monthly").to_numpy()
    labels = rng.random(n) < 1 / (1 + np.exp(-logit))
    w = label_weights(truth, labels, segment)
    np.testing.assert_allclose(w, true_w, atol=0.06)
    without_segment = label_weights(truth, labels, None)
    assert np.abs(without_segment - true_w).max() < 0.15, "the offset is not a family's: weights stay close"
    sampled = label_weights(truth, labels, segment, max_rows=30_000)
    np.testing.assert_allclose(sampled, true_w, atol=0.1)
    assert np.array_equal(sampled, label_weights(truth, labels, segment, max_rows=30_000)), "seeded sample"


def test_label_weights_are_undefined_when_nobody_or_everybody_churned():
    from models.retention.truth import label_weights

    truth = pd.DataFrame(np.ones((4, 6)), columns=list(FAMILIES))
    assert np.isnan(label_weights(truth, np.zeros(4), None)).all()


def test_a_cluster_resample_draws_customers_with_all_their_rows_and_is_seeded():
    from models.retention.truth import cluster_resamples

    customers = pd.Series(["b", "a", "b", "c", "a", "b"])   # b has 3 rows, a 2, c 1, interleaved
    own = customers.value_counts()
    draws = list(cluster_resamples(customers, 50, seed=7))
    assert len(draws) == 50
    for rows in draws:
        picked = customers.iloc[rows].value_counts()
        times = picked // own.reindex(picked.index)
        assert (picked == times * own.reindex(picked.index)).all(), "a customer brings every row, each time drawn"
        assert times.sum() == 3, "as many draws as there are customers"
        for customer in picked.index:   # and the rows are that customer's own
            assert set(rows[customers.iloc[rows].to_numpy() == customer]) == set(np.flatnonzero(customers == customer))
    assert len({tuple(sorted(customers.iloc[r])) for r in draws}) > 1, "resamples differ"
    assert all(np.array_equal(a, b) for a, b in zip(draws, cluster_resamples(customers, 50, seed=7))), "seeded"
    assert not all(np.array_equal(a, b) for a, b in zip(draws, cluster_resamples(customers, 50, seed=8)))
    with pytest.raises(ValueError, match="n_resamples must be at least 1"):
        list(cluster_resamples(customers, 0))


def test_resampled_label_weights_spread_around_the_weights_the_labels_were_drawn_with():
    """Customers seen at several cutoffs: the resamples' weights straddle the true ones, seeded."""
    from models.retention.truth import resampled_label_weights

    rng = np.random.default_rng(5)
    n_customers, per = 4000, 5
    customers = pd.Series(np.repeat([f"c{i:05d}" for i in range(n_customers)], per))
    truth = pd.DataFrame(rng.normal(0.0, 1.0, (n_customers * per, 6)), columns=list(FAMILIES))
    true_w = np.array([0.3, 1.2, 0.8, 1.0, 0.5, -0.5])
    labels = rng.random(len(truth)) < 1 / (1 + np.exp(-(truth.to_numpy() @ true_w - 2.0)))
    w = resampled_label_weights(truth, labels, customers, n_resamples=30, seed=2)
    assert w.shape == (30, 6)
    lo, hi = np.percentile(w, [1, 99], axis=0)
    assert np.all((lo - 0.05 <= true_w) & (true_w <= hi + 0.05)), (lo, hi)
    assert np.all(hi - lo > 0), "the resamples differ"
    assert np.array_equal(w, resampled_label_weights(truth, labels, customers, n_resamples=30, seed=2))


def test_the_weighted_ceiling_explains_the_weighted_truth_exactly():
    """Weights of 1 give the truth itself (100%); a weight of 0 makes a family lead only where every other
    weighted contribution is below zero."""
    from models.retention.truth import weighted_ceiling

    rel = np.random.default_rng(1).normal(0.0, 1.0, (2000, 6))
    groups = {"all": np.ones(len(rel), bool)}
    exact = weighted_ceiling(rel, np.ones(6), groups)["all"]
    assert exact["match_rate"] == 1.0 and exact["spearman_mean"] == pytest.approx(1.0)
    w = np.array([0.0, 1.0, 1.0, 1.0, 1.0, 2.0])
    got = weighted_ceiling(rel, w, groups)["all"]
    explained_usage = sum(v["explained_as"].get("usage", 0) for v in got["per_family"].values())
    assert explained_usage == int((rel[:, 1:] < 0).all(axis=1).sum())
    truth = np.array(FAMILIES)[rel.argmax(axis=1)]
    assert got["match_rate"] == pytest.approx(np.mean(np.array(FAMILIES)[(rel * w).argmax(axis=1)] == truth))
