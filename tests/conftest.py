"""Shared fixtures: tiny hand-written contract tables, and one headless Chromium for the whole session."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from features.spec import FeatureConfig


def ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s)


@pytest.fixture
def tiny_customers() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["A", "B", "C"],
        "signup_date": [dt.date(2024, 1, 1), dt.date(2024, 1, 31), dt.date(2024, 2, 1)],
        "churn_date": [None, dt.date(2024, 2, 10), None],
        "plan": ["basic", "pro", "basic"],
        "monthly_fee": [10.0, 20.0, 10.0],
    }).astype({"churn_date": "object"})


@pytest.fixture
def tiny_events() -> pd.DataFrame:
    rows = [
        ("A", "2024-01-05 09:00:00", "login", 1.0),
        ("A", "2024-01-31 23:59:59", "login", 1.0),   # last second of the cutoff day: known at 2024-01-31
        ("A", "2024-02-01 00:00:00", "login", 1.0),   # first second after it: not known
        ("A", "2024-01-20 12:00:00", "session", 30.0),
        ("B", "2024-01-31 10:00:00", "login", 1.0),
        ("C", "2024-02-02 10:00:00", "login", 1.0),
    ]
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "event_type", "value"]).assign(
        timestamp=lambda d: pd.to_datetime(d["timestamp"]))


@pytest.fixture
def tiny_tickets() -> pd.DataFrame:
    rows = [
        ("A", "2024-01-10 10:00:00", "complaint", "2024-01-12 10:00:00", 2.0),
        ("A", "2024-01-30 10:00:00", "complaint", "2024-02-05 10:00:00", 1.0),  # resolved after the cutoff
    ]
    return pd.DataFrame(rows, columns=["customer_id", "opened_at", "category", "resolved_at", "satisfaction"]).assign(
        opened_at=lambda d: pd.to_datetime(d["opened_at"]), resolved_at=lambda d: pd.to_datetime(d["resolved_at"]))


@pytest.fixture
def tiny_cfg() -> FeatureConfig:
    return FeatureConfig(windows=(7, 30, 90), decline_window_days=30, event_types=("login", "session"),
                         ticket_categories=("complaint",), attributes=("plan", "monthly_fee"))


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every test that opens a page (see ``tests/browser.py``)."""
    from tests.browser import ARGS, CHROMIUM, require_browser

    with require_browser()() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def migrated_store(tmp_path_factory) -> Path:
    """An empty SQLite MLflow store with its schema created and migrated once; tests copy the file."""
    from mlflow.tracking import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path



@pytest.fixture(scope="session")
def spark():
    """One local[2] Spark session for every Spark test (the stages' getOrCreate reuses it)."""
    from pipeline.core import config
    from pipeline.spark import engine as spark_engine

    session = spark_engine.session(config.SparkParams(master="local[2]", partitions=4))
    yield session
    session.stop()
