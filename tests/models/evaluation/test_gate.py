"""The quality gate's decision rule."""

from __future__ import annotations

from models.evaluation.gate import Champion, decide


def test_gate_first_version_promote_and_keep():
    base = {"health_score": 0.70, "logistic": 0.75}
    first = decide(0.80, base, 0.01, None, "h1")
    assert (first.alias, first.decision) == ("champion", "promote") and "first" in first.reason
    weak = decide(0.755, base, 0.01, None, "h1")
    assert weak.alias == "challenger" and "logistic" in weak.reason
    champ = Champion("3", 0.82, "h1")
    assert decide(0.80, base, 0.01, champ, "h1").alias == "challenger"
    assert decide(0.82, base, 0.01, champ, "h1").alias == "champion"
    other_data = decide(0.80, base, 0.01, champ, "h2")
    assert other_data.alias == "champion" and "other data" in other_data.reason
    assert decide(float("nan"), base, 0.0, None, "h1").alias == "challenger"
