"""The campaign segment of a customer: driver and action, the key the scored list and the report share.

A leaf module (pandas only), so that the report reads the key without the playbook and the scoring code.
"""

from __future__ import annotations

import pandas as pd

# The driver of a customer without a reason, in the ``segment`` key.
NO_DRIVER = "none"


def campaign_segment(driver_family: pd.Series, action_code: pd.Series) -> pd.Series:
    """Each customer's campaign segment: ``"<driver_family>/<action_code>"`` (``"usage/WINBACK_OFFER"``).

    Customers with the same driver and the same action form one segment, the group a campaign is run for; the
    key is stable across languages and runs (codes, never words), ``none`` for a customer without a driver.
    """
    driver = driver_family.fillna("").astype(str).replace("", NO_DRIVER)
    return (driver + "/" + action_code.fillna("").astype(str)).astype(object)
