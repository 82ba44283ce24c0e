"""Passwords, roles and lockouts: changing one's own password, a forgotten password by email
(through a real SMTP server), and what administrators do for others."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.actions import do_create_api_token
from carebond.accounts.models import ApiToken, User
from carebond.audit.models import AuditEvent
from carebond.core.permissions import Role
from carebond.testing.fixtures import TEST_PASSWORD, Mailbox

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"


def can_sign_in(username: str, password: str) -> bool:
    response = Client().post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def test_a_user_changes_their_own_password(
    client_for: Callable[[User], Client], users_a: dict[str, User]
) -> None:
    clinician = users_a[Role.CLINICIAN]
    client = client_for(clinician)
    # when they give a wrong current password, nothing changes and the error is at its field
    wrong = client.post(
        "/accounts/me/password/",
        {"current_password": "not-it", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422
    assert "Your current password is not correct." in wrong.content.decode()
    # when the new one is too weak, it is refused with the validators' words
    weak = client.post(
        "/accounts/me/password/", {"current_password": TEST_PASSWORD, "new_password": "password"}
    )
    assert weak.status_code == 422
    assert "too common" in weak.content.decode()
    # when both are right
    done = client.post(
        "/accounts/me/password/",
        {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
    )
    # then the new password works, the old one not, this session stays, and it is audited
    assert done.status_code == 302
    assert can_sign_in(clinician.username, NEW_PASSWORD)
    assert not can_sign_in(clinician.username, TEST_PASSWORD)
    assert client.get("/accounts/me/").status_code == 200
    assert AuditEvent.objects.filter(actor=clinician, action="user.password_set").exists()


def reset_link(mailbox: Mailbox, address: str) -> str:
    [message] = mailbox.to(address)
    found = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.get_content())
    assert found is not None, message.get_content()
    return found.group(1)


def open_reset_link(client: Client, link: str) -> str:
    """Follow the emailed link: the token moves into the session and the address loses it."""
    response = client.get(link)
    assert response.status_code == 302
    assert link.rstrip("/").rsplit("/", 1)[-1] not in response["Location"]
    return str(response["Location"])


def test_a_forgotten_password_is_reset_from_an_emailed_link(
    smtp_server: Mailbox,
    users_a: dict[str, User],
    django_capture_on_commit_callbacks: Any,
    tasks_run_now: None,
) -> None:
    frontdesk = users_a[Role.FRONT_DESK]
    client = Client()
    # when they ask by email address (the email leaves once the request's transaction commits)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/forgot/", {"identifier": frontdesk.email})
    assert response.status_code == 200
    assert "a link to choose a new password is on its way" in response.content.decode()
    # then a real email arrived with a link, and the link sets a new password once
    link = reset_link(smtp_server, frontdesk.email)
    form = open_reset_link(client, link)
    assert client.get(form).status_code == 200
    assert client.post(form, {"new_password": NEW_PASSWORD}).status_code == 302
    assert can_sign_in(frontdesk.username, NEW_PASSWORD)
    # the link works once: opening it again, or posting again, is refused
    assert client.get(link).status_code == 400
    again = client.post(form, {"new_password": "yet-another-passphrase-7"})
    assert again.status_code == 400
    assert "no longer works" in again.content.decode()
    assert can_sign_in(frontdesk.username, NEW_PASSWORD)


def test_asking_for_an_unknown_account_says_the_same_and_sends_nothing(
    smtp_server: Mailbox,
    users_a: dict[str, User],
    django_capture_on_commit_callbacks: Any,
    tasks_run_now: None,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        known = Client().post("/accounts/password/forgot/", {"identifier": "analyst-org-a"})
        unknown = Client().post("/accounts/password/forgot/", {"identifier": "nobody-here"})
    # the page cannot be used to learn who has an account
    assert known.content.decode().split("<main")[1] == unknown.content.decode().split("<main")[1]
    assert len(smtp_server.messages) == 1


def test_a_forged_link_is_refused(users_a: dict[str, User]) -> None:
    response = Client().get("/accounts/password/reset/MQ/forged-token/")
    assert response.status_code == 400


def test_an_administrator_unlocks_a_locked_out_user(
    client_for: Callable[[User], Client], users_a: dict[str, User]
) -> None:
    admin, analyst = users_a[Role.ADMIN], users_a[Role.ANALYST]
    for _ in range(5):
        Client().post("/accounts/login/", {"username": analyst.username, "password": "wrong!"})
    assert not can_sign_in(analyst.username, TEST_PASSWORD)
    page = client_for(admin)
    detail = page.get(f"/accounts/users/{analyst.public_id}/").content.decode()
    assert "locked out" in detail
    # when the administrator unlocks them
    response = page.post(f"/accounts/users/{analyst.public_id}/unlock/")
    # then they can sign in again, and it is audited
    assert response.status_code == 302
    assert can_sign_in(analyst.username, TEST_PASSWORD)
    assert AuditEvent.objects.filter(actor=admin, action="user.unlocked").exists()


def test_an_administrator_changes_a_role_but_never_removes_the_last_administrator(
    client_for: Callable[[User], Client], users_a: dict[str, User], outsider_b: User
) -> None:
    admin, liaison = users_a[Role.ADMIN], users_a[Role.LIAISON]
    page = client_for(admin)
    # when the liaison becomes a manager
    response = page.post(f"/accounts/users/{liaison.public_id}/role/", {"role": "manager"})
    liaison.refresh_from_db()
    assert response.status_code == 302
    assert liaison.role == Role.MANAGER
    assert AuditEvent.objects.filter(actor=admin, action="user.role_changed").exists()
    # and an administrator cannot change their own role (the only administrator here)
    refused = page.post(f"/accounts/users/{admin.public_id}/role/", {"role": "analyst"})
    admin.refresh_from_db()
    assert refused.status_code == 409
    assert admin.role == Role.ADMIN
    # and another organisation's user is out of reach
    outsider = page.post(f"/accounts/users/{outsider_b.public_id}/role/", {"role": "analyst"})
    assert outsider.status_code == 404


def test_an_administrator_emails_a_reset_link(
    client_for: Callable[[User], Client],
    users_a: dict[str, User],
    smtp_server: Mailbox,
    django_capture_on_commit_callbacks: Any,
    tasks_run_now: None,
) -> None:
    admin, manager = users_a[Role.ADMIN], users_a[Role.MANAGER]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(f"/accounts/users/{manager.public_id}/send-reset/")
    assert response.status_code == 302
    link = reset_link(smtp_server, manager.email)
    browser = Client()
    form = open_reset_link(browser, link)
    assert browser.post(form, {"new_password": NEW_PASSWORD}).status_code == 302
    assert can_sign_in(manager.username, NEW_PASSWORD)


def test_resetting_mfa_revokes_the_users_api_tokens(
    client_for: Callable[[User], Client], users_a: dict[str, User]
) -> None:
    admin, clinician = users_a[Role.ADMIN], users_a[Role.CLINICIAN]
    _, secret = do_create_api_token(clinician, name="laptop script", acting_user=clinician)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/me").status_code == 200
    # when an administrator resets their MFA (a lost phone)
    client_for(admin).post(f"/accounts/users/{clinician.public_id}/reset-mfa/")
    # then their tokens no longer work either
    assert api.get("/api/v1/me").status_code == 401
    assert not ApiToken.objects.filter(user=clinician, revoked_at__isnull=True).exists()


def test_a_failed_sign_in_never_stores_what_was_typed_as_a_username(org_a: object) -> None:
    # someone types their password into the username box
    Client().post("/accounts/login/", {"username": "Tr0ub4dor&3-secret", "password": "x"})
    labels = set(AuditEvent.objects.values_list("actor_label", flat=True))
    assert "Tr0ub4dor&3-secret" not in labels
    assert "unknown username" in labels


def test_a_lockout_from_many_browsers_is_seen_and_cleared_by_the_administrator(
    client_for: Callable[[User], Client], users_a: dict[str, User]
) -> None:
    admin, clinician = users_a[Role.ADMIN], users_a[Role.CLINICIAN]
    # given five wrong passwords, each from another browser (one attempt row each)
    for n in range(5):
        Client(HTTP_USER_AGENT=f"browser-{n}").post(
            "/accounts/login/", {"username": clinician.username, "password": "wrong!"}
        )
    assert not can_sign_in(clinician.username, TEST_PASSWORD)
    # then the administrator sees the lockout, on the user's page and on the home page
    page = client_for(admin)
    assert "locked out" in page.get(f"/accounts/users/{clinician.public_id}/").content.decode()
    assert f"Locked out now:</strong> {clinician.username}" in page.get("/").content.decode()
    # and Unlock lets them in again
    page.post(f"/accounts/users/{clinician.public_id}/unlock/")
    assert can_sign_in(clinician.username, TEST_PASSWORD)


def test_a_mail_server_that_is_down_changes_nothing_on_the_page(
    users_a: dict[str, User], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given no mail server at all: the email waits for the worker, the page answers at once
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9
    with django_capture_on_commit_callbacks(execute=True):
        known = Client().post("/accounts/password/forgot/", {"identifier": "manager-org-a"})
        unknown = Client().post("/accounts/password/forgot/", {"identifier": "nobody-here"})
    assert (known.status_code, unknown.status_code) == (200, 200)


def test_the_forgotten_password_page_sends_a_few_links_an_hour_at_most(
    users_a: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            Client().post("/accounts/password/forgot/", {"identifier": "manager-org-a"})
    assert AuditEvent.objects.filter(action="user.password_reset_sent").count() == 3
