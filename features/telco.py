"""Adapter: IBM's Telco Customer Churn sample mapped onto data contract v1.

The sample is one snapshot: 7,043 customers, their attributes at that moment,
``tenure`` in whole months, and a ``Churn`` flag (the customer left within the
following month). It has no dates and no event log. The adapter places it in
time around one snapshot date S (``telco.snapshot_date``) and a label horizon
H (``label.horizon_days``) so that exactly one cutoff can be labelled:

- ``signup_date`` = S minus ``tenure`` calendar months (month ends clip, so
  2024-12-31 minus 2 months is 2024-10-31). ``tenure`` 0 signs up on S itself,
  which is still within the last month and still eligible at cutoff S.
- ``churn_date``: empty for ``Churn = No``; for ``Churn = Yes`` a day in
  (S, S + H], spread evenly by a stable checksum of the customer id (CRC-32,
  not Python's salted ``hash``), so the label at cutoff S is exactly the
  ``Churn`` column and nothing about the day carries information.
- The data's as-of date is S + H (``data.as_of``): the one cutoff S has its
  whole horizon in the data; no later cutoff does, and no earlier cutoff may be
  scheduled (every churn date lies after S, so earlier cutoffs would be
  labelled "nobody churned", which is false).
- Attributes (snake_case): every column except ``customerID``, ``tenure``
  (it becomes ``signup_date``, hence the ``tenure_days`` feature) and
  ``Churn`` (the label). ``MonthlyCharges`` becomes ``monthly_fee`` and
  ``Contract`` becomes ``contract``, the names the feature builder reads for
  the fee and the renewal cycle. They describe the customer at S, not at
  signup as the contract asks of attributes in general; with one cutoff, S,
  that is still point-in-time correct.
- ``TotalCharges`` is text with 11 blanks, all customers with ``tenure`` 0 who
  have not been billed yet; they become 0.0, which is what they have paid.
- Events: the contract needs a non-empty event log and the sample has none. The
  adapter emits the one fact it knows, a ``signup`` event (value 1.0) at
  00:00:00 on each customer's signup date. Features built from it restate
  tenure; list ``signup`` in ``featurize.passive_event_types`` so it is not
  read as activity. No usage, ticket or billing history is invented.
- Tickets: none (the table is optional).

Pure functions on DataFrames; the generate stage reads the file and writes the tables.
"""

from __future__ import annotations

import datetime as dt
import zlib

import pandas as pd

from features.contract import ContractError

#: Telco column -> contract attribute name.
ATTRIBUTES: dict[str, str] = {
    "gender": "gender",
    "SeniorCitizen": "senior_citizen",
    "Partner": "partner",
    "Dependents": "dependents",
    "PhoneService": "phone_service",
    "MultipleLines": "multiple_lines",
    "InternetService": "internet_service",
    "OnlineSecurity": "online_security",
    "OnlineBackup": "online_backup",
    "DeviceProtection": "device_protection",
    "TechSupport": "tech_support",
    "StreamingTV": "streaming_tv",
    "StreamingMovies": "streaming_movies",
    "Contract": "contract",
    "PaperlessBilling": "paperless_billing",
    "PaymentMethod": "payment_method",
    "MonthlyCharges": "monthly_fee",
    "TotalCharges": "total_charges",
}
REQUIRED: tuple[str, ...] = ("customerID", "tenure", "Churn", *ATTRIBUTES)


class TelcoError(ContractError):
    """The file does not look like IBM's Telco sample."""


def as_of_date(snapshot: dt.date, horizon_days: int) -> dt.date:
    """The data's as-of date for a snapshot S and horizon H: S + H."""
    return snapshot + dt.timedelta(days=horizon_days)


def churn_offset_days(customer_ids: pd.Series, horizon_days: int) -> pd.Series:
    """A stable day in 1..H per customer (CRC-32 of the id), the same on every machine and run."""
    return customer_ids.map(lambda c: zlib.crc32(str(c).encode("utf-8")) % horizon_days + 1).astype("int64")


def adapt(raw: pd.DataFrame, snapshot: dt.date, horizon_days: int) -> dict[str, pd.DataFrame]:
    """Map the Telco sample onto the contract tables.

    Args:
        raw: the CSV as read with every column as text (``dtype=str``, ``keep_default_na=False``).
        snapshot: the snapshot date S; the one labelled cutoff.
        horizon_days: the label horizon H; churners leave in (S, S + H].

    Returns:
        ``customers`` (customer_id, signup_date, churn_date, attributes) and
        ``events`` (one ``signup`` event per customer), in the file's row order.
    """
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise TelcoError(f"not the IBM Telco sample: missing column(s) {', '.join(missing)}")
    if horizon_days <= 0:
        raise TelcoError(f"horizon_days must be positive, got {horizon_days}")
    ids = raw["customerID"].str.strip()
    if ids.eq("").any() or ids.duplicated().any():
        raise TelcoError("customerID must be present and unique on every row")
    tenure = pd.to_numeric(raw["tenure"], errors="raise").astype("int64")
    if (tenure < 0).any():
        raise TelcoError(f"tenure must be >= 0 months, found {int(tenure.min())}")
    churn = raw["Churn"].str.strip()
    if not churn.isin(["Yes", "No"]).all():
        raise TelcoError(f"Churn must be Yes or No, found {sorted(set(churn) - {'Yes', 'No'})}")

    snap = pd.Timestamp(snapshot)
    signup = pd.Series([(snap - pd.DateOffset(months=int(m))).date() for m in tenure], index=raw.index)
    churn_day = snap + pd.to_timedelta(churn_offset_days(ids, horizon_days), unit="D")
    churn_date = pd.Series([d.date() for d in churn_day], index=raw.index).where(churn.eq("Yes"), None)

    customers = pd.DataFrame({"customer_id": ids, "signup_date": signup, "churn_date": churn_date})
    for source, name in ATTRIBUTES.items():
        values = raw[source].str.strip()
        if source in ("SeniorCitizen", "MonthlyCharges"):
            customers[name] = pd.to_numeric(values, errors="raise").astype("float64")
        elif source == "TotalCharges":
            # Blank only for tenure 0: not billed yet, so nothing paid.
            customers[name] = pd.to_numeric(values.replace("", "0"), errors="raise").astype("float64")
        else:
            customers[name] = values
    events = pd.DataFrame({
        "customer_id": ids,
        "timestamp": pd.to_datetime(pd.Series(signup, index=raw.index)),
        "event_type": "signup",
        "value": 1.0,
    })
    return {"customers": customers.reset_index(drop=True), "events": events.reset_index(drop=True)}
