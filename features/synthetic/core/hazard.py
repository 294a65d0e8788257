"""What both worlds' hazards share: the rows of the family contributions and the logistic link."""

from __future__ import annotations

import numpy as np

from features.catalog import FAMILIES

# Family indices in FAMILIES order: the rows of a (families, customers) contribution array.
FAMILY_INDEX = {name: i for i, name in enumerate(FAMILIES)}
USAGE, ENGAGE, TENURE, COMPLAIN, BILLING, ATTR = (
    FAMILY_INDEX["usage"],
    FAMILY_INDEX["engagement"],
    FAMILY_INDEX["tenure"],
    FAMILY_INDEX["complaints"],
    FAMILY_INDEX["billing"],
    FAMILY_INDEX["attributes"],
)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function: a hazard logit to a probability."""
    return 1.0 / (1.0 + np.exp(-x))
