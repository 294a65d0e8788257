"""Headless Chromium for the tests that open what users open: the retention report and the MLflow UI.

Needs Debian's ``chromium`` (``/usr/bin/chromium``, or ``CHROMIUM_PATH``) and the
``playwright`` Python package (only its driver is used; no browser is
downloaded). A test that needs it FAILS when either is missing: ``make test``
installs them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# This machine's network is closed: without the background-networking flags Chromium keeps dialling out.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_browser():
    """Playwright's ``sync_playwright``, or a test failure that says what to install."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (which chromium: {shutil.which('chromium')}); "
                    "install it with `apt-get install -y chromium` (make test does this)", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright Python package is missing; `pip install playwright` "
                    "(the browser itself is Debian's chromium, nothing is downloaded)", pytrace=False)
    return sync_playwright
