"""Shared fixtures: two organisations with one user of every role in each, and signed-in clients.

Test support sits above every app (it makes users through accounts, people through people).

Negative tests use organisation B's users as outsiders to organisation A's objects.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from fhirclient import client as fhir

from carebond.accounts.actions import do_create_api_token, do_create_location, do_create_user
from carebond.accounts.middleware import LAST_SEEN_AT, SIGNED_IN_AT
from carebond.accounts.models import User
from carebond.core import clock
from carebond.core.models import Location, Organization
from carebond.core.permissions import Role

TEST_PASSWORD = "correct-horse-battery-staple"  # noqa: S105  (synthetic test users)


def make_organization(slug: str, name: str, time_zone: str = "America/Chicago") -> Organization:
    return Organization.objects.create(slug=slug, name=name, time_zone=time_zone)


def make_user(organization: Organization, role: str, username: str | None = None) -> User:
    return do_create_user(
        organization,
        username=username or f"{role}-{organization.slug}",
        role=role,
        password=TEST_PASSWORD,
        email=f"{role}@{organization.slug}.example.org",
        first_name=role.title(),
        last_name="Tester",
        acting_user=None,
    )


@pytest.fixture
def org_a(db: Any) -> Organization:
    return make_organization("org-a", "Alder Family Practice")


@pytest.fixture
def org_b(db: Any) -> Organization:
    return make_organization("org-b", "Birchwood Clinic", "America/New_York")


@pytest.fixture
def users_a(org_a: Organization) -> dict[str, User]:
    return {role: make_user(org_a, role) for role in Role.values}


@pytest.fixture
def users_b(org_b: Organization) -> dict[str, User]:
    return {role: make_user(org_b, role) for role in Role.values}


@pytest.fixture
def admin_a(users_a: dict[str, User]) -> User:
    return users_a[Role.ADMIN]


@pytest.fixture
def manager_a(users_a: dict[str, User]) -> User:
    return users_a[Role.MANAGER]


@pytest.fixture
def analyst_a(users_a: dict[str, User]) -> User:
    return users_a[Role.ANALYST]


@pytest.fixture
def outsider_b(users_b: dict[str, User]) -> User:
    """Organisation B's administrator: the most powerful user who must still see nothing of A."""
    return users_b[Role.ADMIN]


@pytest.fixture
def location_a(org_a: Organization) -> Location:
    return do_create_location(org_a, name="Alder Main", address="1 Alder Way", acting_user=None)


def confirmed_totp(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def sign_in(client: Client, user: User) -> Client:
    """A browser session past password and MFA, as the sign-in pages would leave it."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = confirmed_totp(user).persistent_id
    now = int(clock.now().timestamp())
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now
    session.save()
    return client


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    return lambda user: sign_in(Client(), user)


@pytest.fixture
def api_for() -> Callable[[User], Client]:
    """A client that authenticates every request with a fresh Bearer token of the user."""

    def make(user: User) -> Client:
        _, secret = do_create_api_token(user, name="tests", acting_user=None)
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    return make


@dataclass
class Mailbox:
    """What a real SMTP server (aiosmtpd, on a free local port) received during a test."""

    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # as received, byte for byte

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in (m["To"] or "")]


class _Collector:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = BytesParser(policy=email_policy.default).parsebytes(envelope.content)
        self.mailbox.messages.append(message)
        self.mailbox.raw.append(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


@contextmanager
def running_smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server (aiosmtpd) on a free local port, and what it receives."""
    mailbox = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(_Collector(mailbox), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Mailbox]:
    """Email goes through Django's SMTP backend to a real SMTP server the test started."""
    with running_smtp_server() as (mailbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield mailbox


@pytest.fixture
def tasks_run_now(settings: Any) -> None:
    """Tasks run as soon as they are enqueued (after the transaction commits), as the worker
    would run them a moment later."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def fhir_for(api_for: Callable[[User], Client]) -> Callable[[User], Client]:
    """A Bearer-token client that asks for FHIR JSON, as EHR clients do."""

    def make(user: User) -> Client:
        client = api_for(user)
        client.defaults["HTTP_ACCEPT"] = "application/fhir+json"
        return client

    return make


@pytest.fixture
def fhir_client(live_server: Any) -> Iterator[Callable[[str | None], fhir.FHIRClient]]:
    """SMART's fhirclient pointed at the live server, with a CareBond API token (or none).

    fhirclient signs requests only through its OAuth2 flow, and fetching the CapabilityStatement
    replaces its auth object with one built from the statement; a CareBond API token is a plain
    Bearer token, so it goes on the client's requests session, which every request (reads,
    searches and the next-page links) goes through."""
    made: list[fhir.FHIRClient] = []

    def make(token: str | None) -> fhir.FHIRClient:
        smart = fhir.FHIRClient(
            settings={"app_id": "carebond-tests", "api_base": f"{live_server.url}/fhir/R4/"}
        )
        if token:
            smart.server.session.headers["Authorization"] = f"Bearer {token}"
        made.append(smart)
        return smart

    yield make
    # Close the keep-alive connections before the live server stops: a request thread still
    # open at shutdown would close the test database's connection from the wrong thread.
    for smart in made:
        smart.server.session.close()
