"""Judging a model: metrics, the field's baselines on the same rows, the quality gate, and drift."""
