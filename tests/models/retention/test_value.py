"""The value at risk: probability × value × months."""

from __future__ import annotations

import pytest

from models.clv.spend import DAYS_PER_MONTH
from models.retention.value import value_at_risk


def test_value_at_risk_is_probability_times_revenue_times_months():
    assert value_at_risk(0.5, 20.0, DAYS_PER_MONTH * 3) == pytest.approx(30.0)
    with pytest.raises(ValueError):
        value_at_risk(0.5, 20.0, -1)
