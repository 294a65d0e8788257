"""The labelled rows the train and evaluate stages read: features joined to labels, in a stable order."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from models.training.sample import sample_customers

log = logging.getLogger(__name__)


def load_training_frame(features_path: Path, labels_path: Path, sample: int | None = None,
                        seed: int = 42) -> pd.DataFrame:
    """Features joined to labels on (customer_id, cutoff): only labelled rows.

    With ``sample`` (``train.sample_customers``), only the rows of that many customers, chosen by a seeded
    hash of their ids (``models.training.sample``), are read.
    """
    labels = pd.read_parquet(labels_path)
    chosen = sample_customers(labels["customer_id"], sample, seed)
    filters = []
    if chosen is not None:
        labels = labels[labels["customer_id"].isin(chosen)]
        filters = [("customer_id", "in", sorted(chosen))]
        log.info("training on a sample of %d customers (train.sample_customers, seed %d)", len(chosen), seed)
    cutoffs = sorted(labels["cutoff"].unique())
    feats = pd.read_parquet(features_path, filters=[("cutoff", "in", cutoffs), *filters])
    frame = feats.merge(labels, on=["customer_id", "cutoff"], how="inner", validate="one_to_one")
    return frame.sort_values(["cutoff", "customer_id"], kind="stable").reset_index(drop=True)
