"""Root of the test suite: shared fixtures and a header naming the database under test."""

from __future__ import annotations

from django.conf import settings

pytest_plugins = ["carebond.testing.fixtures"]


def pytest_report_header() -> str:
    db = settings.DATABASES["default"]
    where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"{db['HOST']}:{db['PORT']}"
    return f"carebond database: {db['ENGINE'].rsplit('.', 1)[-1]} ({where})"
