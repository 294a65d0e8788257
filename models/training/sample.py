"""Sampling training rows by customer: every cutoff of a chosen customer, or none of them.

Training rows are customers x cutoffs; a customer base that needs a cluster for
its features still trains on one machine from a sample of its customers. The
choice is a seeded hash of each id, so it is the same for the same seed and
ids whatever their order, and a customer keeps all their history (no customer
is half in the sample).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np


def customer_key(customer_id: str, seed: int) -> int:
    """A stable pseudo-random 64-bit key of one customer under ``seed``."""
    digest = hashlib.sha256(f"{seed}\x1f{customer_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def sample_customers(customer_ids: Iterable[str], n: int | None, seed: int) -> set[str] | None:
    """At most ``n`` customers, the ones with the smallest keys (None: no sampling, everybody).

    Args:
        customer_ids: the customers with labelled rows (duplicates allowed).
        n: how many to keep; None or at least as many as there are keeps everybody.
        seed: ``train.seed``.

    Returns:
        The chosen ids, or None when every customer is kept.
    """
    ids = np.unique(np.asarray(list(customer_ids), dtype=object))
    if n is None or n >= len(ids):
        return None
    keys = np.array([customer_key(str(c), seed) for c in ids], dtype=np.uint64)
    order = np.lexsort((ids.astype(str), keys))
    return set(ids[order[:n]].tolist())
