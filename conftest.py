"""Root of the test suite: shared fixtures and a header naming the database under test."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

BROWSER_TESTS = Path(__file__).resolve().parent / "tests" / "browser"

pytest_plugins = ["carebond.testing.fixtures", "carebond.testing.sms_provider"]


def pytest_report_header() -> str:
    db = settings.DATABASES["default"]
    where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"{db['HOST']}:{db['PORT']}"
    return f"carebond database: {db['ENGINE'].rsplit('.', 1)[-1]} ({where})"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser drives Chromium: mark it so, whether or not it says so
    (`make test` runs browser tests once, on SQLite; see the Makefile)."""
    for item in items:
        if item.path.is_relative_to(BROWSER_TESTS):
            item.add_marker(pytest.mark.browser)
