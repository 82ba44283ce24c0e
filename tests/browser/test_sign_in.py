"""A new staff member signs in for the first time: password, MFA enrolment, home page."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from carebond.core.permissions import Role
from carebond.testing.fixtures import TEST_PASSWORD, make_organization, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def code_for(secret_text: str) -> str:
    secret = secret_text.replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{TOTP(key).token():06d}"


def sign_in_with_password(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Continue").click()


def test_first_sign_in_with_mfa_reaches_the_home_page(page: Page, live_server: object) -> None:
    # given a manager of an organisation, never signed in before
    organization = make_organization("alder", "Alder Family Practice")
    make_user(organization, Role.MANAGER, "morgan")
    base_url = str(live_server)

    # when they sign in with their password, enrol an authenticator and confirm a code
    sign_in_with_password(page, base_url, "morgan")
    expect(page.get_by_role("heading", name="Set up two-step verification")).to_be_visible()
    expect(page.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code").fill(code_for(secret))
    page.get_by_role("button", name="Confirm").click()

    # then they see their recovery codes once, and then their home page
    recovery_codes = page.get_by_test_id("recovery-codes").locator("code")
    expect(recovery_codes).to_have_count(10)
    codes = recovery_codes.all_inner_texts()
    page.get_by_role("link", name="I have stored them, continue").click()
    expect(page.get_by_role("heading", name=re.compile("Good to see you"))).to_be_visible()
    expect(page.get_by_test_id("org-name")).to_have_text("Alder Family Practice")
    # (a new organisation has no work yet: the home says so instead of showing empty panels)
    expect(page.get_by_text("Nothing is waiting for you right now")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    # and after signing out, a recovery code opens the way in again
    page.locator("summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    sign_in_with_password(page, base_url, "morgan")
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("You used a recovery code; 9 remain.")).to_be_visible()
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_wrong_code_is_explained_on_the_page(page: Page, live_server: object) -> None:
    organization = make_organization("alder", "Alder Family Practice")
    make_user(organization, Role.CLINICIAN, "priya")
    sign_in_with_password(page, str(live_server), "priya")
    page.get_by_label("Code").fill("123456")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("That code does not match")


def test_home_page_fits_a_phone(page: Page, live_server: object) -> None:
    # given a signed-in front-desk user on a 375-pixel-wide phone
    organization = make_organization("alder", "Alder Family Practice")
    make_user(organization, Role.FRONT_DESK, "jordan")
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in_with_password(page, str(live_server), "jordan")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code").fill(code_for(secret))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="I have stored them, continue").click()
    # then nothing scrolls sideways and the navigation is on screen
    expect(page.get_by_role("heading", name=re.compile("Good to see you"))).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "home-phone.png"), full_page=True)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_api_docs_render_without_a_cdn(page: Page, live_server: object) -> None:
    page.goto(f"{live_server}/api/v1/docs")
    expect(page.get_by_text("CareBond API").first).to_be_visible()
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]  # type: ignore[attr-defined]
    assert csp_errors == []
