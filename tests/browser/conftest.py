"""Browser tests: Debian's chromium driven by Playwright's Python API (no downloaded browser)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.db import connections
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(autouse=True)
def allow_orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    """Playwright's sync API keeps an event loop in this thread; the Django ORM calls the tests
    make around it are still synchronous and run outside any coroutine. Browser tests only."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser() -> Iterator[Browser]:
    """One browser per test: while Playwright runs, its event loop owns this thread, so it must
    be gone before pytest-django touches the database again."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # ORM calls made while Playwright's loop runs in this thread open their own connection;
        # close it here, or it outlives the test database and its teardown fails.
        connections.close_all()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_errors = []  # type: ignore[attr-defined]

    def keep_errors(message: ConsoleMessage) -> None:
        if message.type == "error":
            page.console_errors.append(message.text)  # type: ignore[attr-defined]

    page.on("console", keep_errors)
    yield page
    context.close()


def open_as(page: Page, base_url: str, user: object, path: str = "/") -> None:
    """Open a page as a user already past password and MFA (the sign-in pages have their own
    tests): the session the sign-in pages would leave, handed to the browser as its cookie."""
    from django.conf import settings
    from django.test import Client

    from carebond.testing.fixtures import sign_in

    client = sign_in(Client(), user)  # type: ignore[arg-type]
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
    )
    page.goto(base_url + path)
