"""A front-desk user finds a patient despite a typo, opens the person page and logs a call."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from carebond.core.permissions import Role
from carebond.people.tests.factories import make_patient
from carebond.testing.fixtures import make_organization, make_user
from tests.browser.test_sign_in import code_for, sign_in_with_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_with_a_typo_open_the_person_and_log_a_call(page: Page, live_server: object) -> None:
    # given a patient and a signed-in front-desk user
    organization = make_organization("alder", "Alder Family Practice")
    make_patient(
        organization,
        "Catherine",
        "Okafor",
        preferred_name="Cathy",
        birth_date=date(1968, 9, 2),
        phone="2175550177",
        preferred_language="es",
        interpreter_needed=True,
    )
    make_user(organization, Role.FRONT_DESK, "jordan")
    sign_in_with_password(page, str(live_server), "jordan")
    page.get_by_label("Code").fill(code_for(page.get_by_test_id("totp-secret").inner_text()))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="I have stored them, continue").click()

    # when they search with a typo and open the result
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_label("Search people").fill("okafr")
    page.get_by_role("button", name="Search").click()
    page.get_by_test_id("search-results").get_by_role("link", name="Cathy Okafor").click()

    # then the person page greets them by the preferred name, with the interpreter alert
    expect(page.get_by_test_id("person-name")).to_have_text("Cathy Okafor")
    expect(page.get_by_text("Interpreter needed (Spanish)")).to_be_visible()
    # the side panels arrive in a second request (a script the CSP allows)
    expect(page.get_by_role("heading", name="Personal notes")).to_be_visible()

    # and logging a call takes a note and one click, and shows on the timeline
    page.get_by_label("What happened (optional)").fill("Confirmed Thursday 9:30 with interpreter")
    page.get_by_role("button", name="Log call").click()
    expect(page.get_by_text("Phone call logged.")).to_be_visible()
    entry = page.get_by_test_id("timeline").locator("li").first
    expect(entry).to_contain_text("Phone call")
    expect(entry).to_contain_text("Confirmed Thursday 9:30 with interpreter")
    assert page.console_errors == []  # type: ignore[attr-defined]
