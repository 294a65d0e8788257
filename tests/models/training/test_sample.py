"""Sampling training rows by customer: deterministic by seed, whole customers, validated."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from models.training.sample import sample_customers
from pipeline.core import config
from pipeline.core.labelled import load_training_frame

IDS = [f"C{i:04d}" for i in range(500)] + ["顧客-1", "Émile"]


def test_the_same_seed_picks_the_same_customers_whatever_their_order():
    a = sample_customers(IDS, 100, seed=42)
    b = sample_customers(list(reversed(IDS)) + IDS[:50], 100, seed=42)
    assert a == b and len(a) == 100 and a <= set(IDS)
    other = sample_customers(IDS, 100, seed=7)
    assert len(other) == 100 and other != a, "another seed, another sample"
    assert sample_customers(IDS, 600, seed=42) is None and sample_customers(IDS, None, seed=42) is None


def test_a_sample_keeps_every_cutoff_of_its_customers(tmp_path):
    cutoffs = [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    keys = pd.DataFrame([(c, k) for k in cutoffs for c in IDS], columns=["customer_id", "cutoff"])
    keys.assign(label=[i % 2 for i in range(len(keys))]).to_parquet(tmp_path / "labels.parquet", index=False)
    keys.assign(x=range(len(keys))).to_parquet(tmp_path / "features.parquet", index=False)
    frame = load_training_frame(tmp_path / "features.parquet", tmp_path / "labels.parquet", 40, seed=3)
    assert frame["customer_id"].nunique() == 40 and len(frame) == 120
    assert set(frame["customer_id"]) == sample_customers(IDS, 40, seed=3)
    whole = load_training_frame(tmp_path / "features.parquet", tmp_path / "labels.parquet")
    assert len(whole) == len(keys)


def test_sample_customers_is_validated():
    assert config.section({"train": {"sample_customers": 1000}}, "train").sample_customers == 1000
    with pytest.raises(config.ParamsError, match="train.sample_customers"):
        config.section({"train": {"sample_customers": 0}}, "train")
