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
