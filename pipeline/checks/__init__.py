"""Checks of the pipeline against a synthetic world's ground truth (the generator's own answers)."""
