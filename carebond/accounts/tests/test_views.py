"""Sign-in, MFA, lockout, session limits and account administration, through the pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from carebond.accounts.actions import check_confirm_totp, get_or_create_unconfirmed_totp
from carebond.accounts.models import ApiToken, User
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.testing.fixtures import TEST_PASSWORD, make_user

pytestmark = pytest.mark.django_db


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def enrolled(user: User) -> TOTPDevice:
    device = get_or_create_unconfirmed_totp(user)
    check_confirm_totp(user, code=current_code(device))
    device.refresh_from_db()
    return device


def password_step(client: Client, username: str, password: str = TEST_PASSWORD) -> Client:
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content
    return client


def test_first_sign_in_enrols_mfa_and_shows_recovery_codes(admin_a: User) -> None:
    # given a user without MFA who passed the password step
    client = password_step(Client(), admin_a.username)
    # when they open the enrolment page and confirm a code from the app
    page = client.get("/accounts/mfa/enrol/")
    assert page.status_code == 200
    assert b"<svg" in page.content  # the QR code
    device = TOTPDevice.objects.get(user=admin_a, confirmed=False)
    response = client.post("/accounts/mfa/enrol/", {"code": current_code(device)})
    # then recovery codes are shown once and the home page opens
    assert response.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", response.content.decode())
    assert len(codes) == 10
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.mfa_enrolled", actor=admin_a).exists()


PAGES_BEHIND_MFA = [
    "/",
    "/organization/",
    "/accounts/me/",
    "/accounts/users/",
    "/audit/",
    "/audit/export.ndjson",
]


@pytest.mark.parametrize(
    "extra_headers",
    [{}, {"HTTP_AUTHORIZATION": "Basic eDp5"}, {"HTTP_AUTHORIZATION": "Bearer junk"}],
)
def test_pages_stay_closed_until_the_second_factor(
    admin_a: User, extra_headers: dict[str, str]
) -> None:
    # given an administrator who passed the password step only
    enrolled(admin_a)
    client = password_step(Client(headers=extra_headers), admin_a.username)
    # then every page sends them to the second factor, whatever headers they add
    for path in PAGES_BEHIND_MFA:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/accounts/mfa/", path
    for path in (
        "/accounts/me/",
        "/accounts/me/recovery-codes/",
        f"/accounts/users/{admin_a.public_id}/reset-mfa/",
    ):
        assert client.post(path, {"name": "x"}).status_code == 302, path
    assert not ApiToken.objects.filter(user=admin_a).exists()
    # and the API refuses a session that has not passed MFA
    assert client.get("/api/v1/me").status_code == 401


def test_correct_totp_opens_the_home_page(admin_a: User) -> None:
    device = enrolled(admin_a)
    client = password_step(Client(), admin_a.username)
    with time_machine.travel(clock.now() + timedelta(seconds=31), tick=False):
        response = client.post("/accounts/mfa/", {"code": current_code(device)})
        assert response.status_code == 302
        assert client.get("/").status_code == 200


def test_wrong_totp_is_refused_with_a_message(admin_a: User) -> None:
    enrolled(admin_a)
    client = password_step(Client(), admin_a.username)
    response = client.post("/accounts/mfa/", {"code": "000000"})
    assert response.status_code == 401
    assert b"That code is not valid" in response.content
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.mfa_failed", outcome="failure").exists()


def test_recovery_code_works_once(admin_a: User) -> None:
    device = get_or_create_unconfirmed_totp(admin_a)
    _, codes = check_confirm_totp(admin_a, code=current_code(device))
    first = password_step(Client(), admin_a.username)
    assert first.post("/accounts/mfa/", {"code": codes[0]}).status_code == 302
    second = password_step(Client(), admin_a.username)
    assert second.post("/accounts/mfa/", {"code": codes[0]}).status_code == 401


def test_wrong_password_is_401_with_a_clear_message(admin_a: User) -> None:
    response = Client().post(
        "/accounts/login/", {"username": admin_a.username, "password": "not-the-password"}
    )
    assert response.status_code == 401
    assert b"The username or password is incorrect." in response.content
    assert AuditEvent.objects.filter(action="auth.login_failed", outcome="failure").exists()


def test_empty_form_is_400_naming_the_fields() -> None:
    response = Client().post("/accounts/login/", {"username": ""})
    assert response.status_code == 400
    assert b"This field is required." in response.content


def test_lockout_after_repeated_failures(admin_a: User) -> None:
    # given five wrong passwords from one address
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": admin_a.username, "password": "wrong-one"})
    # when the right password comes next
    response = client.post(
        "/accounts/login/", {"username": admin_a.username, "password": TEST_PASSWORD}
    )
    # then the account stays locked, and says for how long
    assert response.status_code == 403
    assert b"Too many failed sign-ins" in response.content


# The cookie outlives the window here, so that the server-side policy is what signs users out.
LONG_COOKIE = override_settings(SESSION_COOKIE_AGE=7 * 24 * 3600)


@LONG_COOKIE
def test_idle_session_expires_after_15_minutes(
    client_for: Callable[[User], Client], admin_a: User
) -> None:
    client = client_for(admin_a)
    start = clock.now()
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        page = client.get(response["Location"])
    assert b"signed out after 15 minutes without activity" in page.content


@LONG_COOKIE
def test_activity_keeps_the_session_alive_until_the_absolute_limit(
    client_for: Callable[[User], Client], admin_a: User
) -> None:
    client = client_for(admin_a)
    start = clock.now()
    # a request every 10 minutes keeps it alive...
    for minutes in range(10, 12 * 60, 10):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/").status_code == 200
    # ...but not past 12 hours, even with activity a minute ago
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        response = client.get("/")
        assert response.status_code == 302
        page = client.get(response["Location"])
    assert b"reached its 12-hour limit" in page.content


def test_expired_session_on_the_api_is_401(
    client_for: Callable[[User], Client], admin_a: User
) -> None:
    client = client_for(admin_a)
    with time_machine.travel(clock.now() + timedelta(minutes=20), tick=False):
        response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"


def test_disabling_a_user_revokes_sessions_and_tokens(
    client_for: Callable[[User], Client],
    api_for: Callable[[User], Client],
    users_a: dict[str, User],
) -> None:
    # given a clinician signed in on the web and holding an API token
    clinician = users_a[Role.CLINICIAN]
    browser = client_for(clinician)
    script = api_for(clinician)
    assert browser.get("/").status_code == 200
    # when the administrator disables the account
    admin = client_for(users_a[Role.ADMIN])
    response = admin.post(f"/accounts/users/{clinician.public_id}/disable/")
    assert response.status_code == 302
    # then both are refused at once
    assert browser.get("/").status_code == 302
    assert script.get("/api/v1/me").status_code == 401
    assert not ApiToken.objects.active().filter(user=clinician).exists()
    assert not any(
        str(s.get_decoded().get("_auth_user_id")) == str(clinician.pk)
        for s in Session.objects.all()
    )


def test_roles_are_enforced_on_pages(
    client_for: Callable[[User], Client], users_a: dict[str, User]
) -> None:
    assert client_for(users_a[Role.ADMIN]).get("/audit/").status_code == 200
    for role in (Role.MANAGER, Role.CLINICIAN, Role.FRONT_DESK, Role.LIAISON, Role.ANALYST):
        assert client_for(users_a[role]).get("/audit/").status_code == 403, role


def test_admin_of_b_gets_404_for_a_user_of_a(
    client_for: Callable[[User], Client], admin_a: User, outsider_b: User
) -> None:
    client = client_for(outsider_b)
    foreign = client.get(f"/accounts/users/{admin_a.public_id}/")
    missing = client.get("/accounts/users/00000000-0000-4000-8000-000000000000/")
    assert foreign.status_code == missing.status_code == 404
    assert client.post(f"/accounts/users/{admin_a.public_id}/disable/").status_code == 404
    admin_a.refresh_from_db()
    assert admin_a.is_active


def test_admin_adds_a_user_with_a_validated_password(
    client_for: Callable[[User], Client], admin_a: User
) -> None:
    client = client_for(admin_a)
    weak = client.post(
        "/accounts/users/",
        {"username": "newnurse", "role": "clinician", "password": "123456789012"},
    )
    assert weak.status_code == 422
    assert not User.objects.filter(username="newnurse").exists()
    ok = client.post(
        "/accounts/users/",
        {"username": "newnurse", "role": "clinician", "password": "violet-harbor-lamp-42"},
    )
    assert ok.status_code == 302
    created = User.objects.get(username="newnurse")
    assert created.organization_id == admin_a.organization_id
    assert created.password.startswith("argon2")


@override_settings(CAREBOND_DEMO=True)
def test_demo_accounts_skip_mfa_only_in_demo_mode(org_a: Organization) -> None:
    demo = make_user(org_a, Role.MANAGER, "demo-manager")
    User.objects.filter(pk=demo.pk).update(is_demo_account=True)
    page = Client().get("/accounts/login/")
    assert b"Demo mode." in page.content
    client = password_step(Client(), "demo-manager")
    assert client.get("/").status_code == 200
    # ...and an ordinary account still needs MFA in demo mode
    make_user(org_a, Role.CLINICIAN, "real-clinician")
    other = password_step(Client(), "real-clinician")
    assert other.get("/").status_code == 302


def test_demo_accounts_need_mfa_without_demo_mode(org_a: Organization) -> None:
    demo = make_user(org_a, Role.MANAGER, "demo-manager")
    User.objects.filter(pk=demo.pk).update(is_demo_account=True)
    assert b"Demo mode." not in Client().get("/accounts/login/").content
    client = password_step(Client(), "demo-manager")
    assert client.get("/").status_code == 302


def test_account_page_creates_a_token_shown_once(
    client_for: Callable[[User], Client], manager_a: User
) -> None:
    client = client_for(manager_a)
    response = client.post("/accounts/me/", {"name": "Report script"})
    secret = re.search(r'data-testid="new-token">([^<]+)<', response.content.decode())
    assert secret is not None
    assert (
        Client(HTTP_AUTHORIZATION=f"Bearer {secret.group(1)}").get("/api/v1/me").status_code == 200
    )
    assert secret.group(1) not in client.get("/accounts/me/").content.decode()


def test_sign_out_ends_the_session(client_for: Callable[[User], Client], admin_a: User) -> None:
    client = client_for(admin_a)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
