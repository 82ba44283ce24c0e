"""The page shell: home per role, navigation by role, health, tenancy of pages, headers."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.test import Client

from carebond.accounts.models import User
from carebond.core.models import Location
from carebond.core.permissions import Role
from carebond.core.registry import home_panels_for

pytestmark = pytest.mark.django_db


def main_region(content: bytes) -> str:
    """The page's <main> element: the shell around it carries a per-request CSRF token."""
    found = re.search(r"<main.*?</main>", content.decode(), re.S)
    assert found is not None
    return found.group(0)


@pytest.mark.parametrize("role", Role.values)
def test_each_role_has_its_own_home_page(
    role: str, client_for: Callable[[User], Client], users_a: dict[str, User]
) -> None:
    response = client_for(users_a[role]).get("/")
    assert response.status_code == 200
    body = response.content.decode()
    # every panel registered for the role that has something to show is on the page
    shown = [p for p in home_panels_for(role) if p.context(users_a[role]) is not None]
    for panel in shown:
        assert escape(panel.title) in body
    assert body.count('class="panel"') == len(shown)
    assert "Alder Family Practice" in body
    assert '<nav aria-label="Main">' in body
    assert '<main id="main"' in body


def test_navigation_follows_the_role(
    client_for: Callable[[User], Client], users_a: dict[str, User]
) -> None:
    admin_page = client_for(users_a[Role.ADMIN]).get("/").content.decode()
    analyst_page = client_for(users_a[Role.ANALYST]).get("/").content.decode()
    assert ">Audit trail</a>" in admin_page
    assert ">Audit trail</a>" not in analyst_page


def test_anonymous_visitor_is_sent_to_sign_in(client: Client) -> None:
    response = client.get("/organization/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/organization/"


def test_outsider_gets_404_for_a_location_page(
    client_for: Callable[[User], Client], location_a: Location, outsider_b: User, manager_a: User
) -> None:
    outsider = client_for(outsider_b)
    foreign = outsider.get(f"/organization/locations/{location_a.public_id}/")
    missing = outsider.get("/organization/locations/00000000-0000-4000-8000-000000000000/")
    assert foreign.status_code == missing.status_code == 404
    assert main_region(foreign.content) == main_region(missing.content)
    assert (
        client_for(manager_a).get(f"/organization/locations/{location_a.public_id}/").status_code
        == 200
    )


def test_healthz_is_200_with_the_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_healthz_is_503_without_the_database(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a database that refuses connections (the network edge, simulated)
    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    # when / then
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_healthz_is_503_for_a_browser_with_a_session_cookie(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    client.cookies["sessionid"] = "stale-session-key"
    monkeypatch.setattr(connection, "cursor", refuse)
    assert client.get("/healthz").status_code == 503


def test_security_headers_on_every_page(client: Client) -> None:
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "script-src 'self'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert len(response["X-Request-ID"]) == 32


def test_pages_link_no_cdn(client_for: Callable[[User], Client], admin_a: User) -> None:
    body = client_for(admin_a).get("/").content.decode()
    assert "http://" not in body.replace("http://testserver", "")
    assert "https://" not in body


def test_unknown_page_is_a_friendly_404(client: Client) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Not found" in response.content
    assert b"Traceback" not in response.content


def test_form_without_csrf_token_is_403_with_a_message(admin_a: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert b"This form expired" in response.content
