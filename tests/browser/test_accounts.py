"""Accounts in a browser: every role changes its own password; a forgotten password is reset
from a real email; an administrator unlocks a user, changes a role and emails a reset link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from carebond.accounts.actions import is_locked_out
from carebond.accounts.models import User
from carebond.core.permissions import Role
from carebond.testing.fixtures import TEST_PASSWORD, Mailbox, make_organization, make_user
from tests.browser.conftest import open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-brand-new-passphrase-42"


@pytest.mark.parametrize("role", Role.values)
def test_every_role_changes_its_own_password(role: str, page: Page, live_server: object) -> None:
    organization = make_organization("alder", "Alder Family Practice")
    user = make_user(organization, role, f"{role}-user")
    open_as(page, str(live_server), user, "/accounts/me/")
    page.get_by_role("link", name="Change your password").click()
    page.get_by_label("Current password").fill(TEST_PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is changed")).to_be_visible()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_forgotten_password_is_reset_from_the_emailed_link(
    page: Page, live_server: object, smtp_server: Mailbox, tasks_run_now: None
) -> None:
    organization = make_organization("alder", "Alder Family Practice")
    user = make_user(organization, Role.CLINICIAN, "priya")
    base = str(live_server)
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Username or email").fill(user.email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    [message] = smtp_server.to(user.email)
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", message.get_content())
    assert link is not None
    page.goto(link.group(0))
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_text("Your password is changed")).to_be_visible()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_an_administrator_unlocks_changes_a_role_and_sends_a_reset_link(
    page: Page, live_server: object, smtp_server: Mailbox, tasks_run_now: None
) -> None:
    organization = make_organization("alder", "Alder Family Practice")
    admin = make_user(organization, Role.ADMIN, "avery")
    liaison = make_user(organization, Role.LIAISON, "lee")
    base = str(live_server)
    # given a user locked out by five wrong passwords
    for _ in range(5):
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill("lee")
        page.get_by_label("Password").fill("wrong-password")
        page.get_by_role("button", name="Continue").click()
    assert is_locked_out(liaison)
    page.context.clear_cookies()
    # the lockout answered 403, rightly: not an error of the pages
    page.console_errors.clear()  # type: ignore[attr-defined]
    # when the administrator opens them from the Users page and presses Unlock
    open_as(page, base, admin, "/accounts/users/")
    page.get_by_role("link", name="lee").click()
    expect(page.get_by_test_id("lock-state")).to_contain_text("locked out")
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_text("lee can try to sign in again.")).to_be_visible()
    assert not is_locked_out(liaison)
    # and changes their role
    page.get_by_role("form", name="Change role").get_by_label("Role").select_option("manager")
    page.get_by_role("button", name="Change role").click()
    expect(page.get_by_text("lee is now")).to_be_visible()
    assert User.objects.get(pk=liaison.pk).role == Role.MANAGER
    # and emails them a reset link
    page.get_by_role("button", name="Email a password-reset link").click()
    expect(page.get_by_text("A password-reset link is on its way")).to_be_visible()
    assert len(smtp_server.to(liaison.email)) == 1
    assert page.console_errors == []  # type: ignore[attr-defined]
