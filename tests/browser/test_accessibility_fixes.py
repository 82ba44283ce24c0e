"""Regression tests for what an outside accessibility trial found, one test per problem:
ids repeated on the person page, aria-describedby pointing at help text that was not there, a
focus ring of 2:1, and a navigation that never folded on a phone (with pages wider than it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect

from carebond.accounts.models import User
from carebond.core.permissions import Role
from carebond.people.actions import check_record_consent
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient
from carebond.testing.fixtures import make_organization, make_user, sign_in
from tests.browser.accessibility import (
    DESKTOP,
    PHONE,
    broken_references,
    contrast_ratio,
    duplicate_ids,
    focus_ring_problems,
    horizontal_overflow,
    wider_than_window,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every control's label in the same form as the control itself (not another form's field of
# the same name).
LABELS_OUTSIDE_THEIR_FORM = """() => Array.from(document.querySelectorAll('label[for]'))
    .filter((label) => {
        const control = document.getElementById(label.htmlFor);
        return control && label.closest('form') !== control.closest('form');
    })
    .map((label) => `${label.textContent.trim()} -> #${label.htmlFor}`)"""
PANELS_LOADED = "() => document.querySelector('#person-panels section') !== null"


def signed_in_context(
    browser: Browser, base_url: str, user: User, **options: object
) -> BrowserContext:
    """A browser context carrying a session past password and MFA (as the sign-in pages leave
    it), so each test starts on the page it is about."""
    client = sign_in(Client(), user)
    context = browser.new_context(**options)  # type: ignore[arg-type]
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}])
    return context


def open_page(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(url)
    return page


@pytest.fixture
def clinic() -> tuple[User, Person]:
    """A clinician (who sees every form of the person page, the history's too) and a patient
    with a long email and a recorded consent."""
    organization = make_organization("alder", "Alder Family Practice")
    clinician = make_user(organization, Role.CLINICIAN, "priya")
    patient = make_patient(
        organization,
        "Catherine",
        "Okafor",
        birth_date=date(1968, 9, 2),
        phone="2175550177",
        email="catherine.okafor.longer-than-a-phone@example.org",
    )
    check_record_consent(
        patient,
        channel="sms",
        purpose="appointment",
        status="granted",
        method="verbal",
        acting_user=None,
    )
    return clinician, patient


@pytest.fixture
def context_at(
    browser: Browser, live_server: object, clinic: tuple[User, Person]
) -> Iterator[dict[str, BrowserContext]]:
    contexts = {
        "desktop": signed_in_context(browser, str(live_server), clinic[0], viewport=DESKTOP),
        "phone": signed_in_context(browser, str(live_server), clinic[0], viewport=PHONE),
    }
    yield contexts
    for context in contexts.values():
        context.close()


def test_the_person_page_uses_each_id_once_and_each_label_names_its_own_control(
    live_server: object, clinic: tuple[User, Person], context_at: dict[str, BrowserContext]
) -> None:
    # given a person page with its seven forms (log, filter, consent, note, care team, family,
    # history), channel and kind among the fields of several of them
    _clinician, patient = clinic
    page = open_page(context_at["desktop"], f"{live_server}/people/{patient.public_id}/")
    page.wait_for_function(PANELS_LOADED)

    # then no id is used twice, and every label is in the form of the control it names
    assert duplicate_ids(page) == []
    assert page.evaluate(LABELS_OUTSIDE_THEIR_FORM) == []
    # and each "Channel" label focuses its own form's field
    filters = page.get_by_role("form", name="Filter the timeline")
    filters.get_by_text("Channel", exact=True).click()
    assert page.evaluate("document.activeElement.id") == "filter_channel"
    page.get_by_text("Record a preference").click()
    consent = page.locator("form[action$='/consents/']")
    consent.locator("label", has_text="Channel").click()
    assert page.evaluate("document.activeElement.id") == "consent_channel"
    expect(consent.get_by_label("Channel")).to_have_attribute("name", "channel")


def test_every_description_and_label_reference_names_an_element(
    live_server: object, clinic: tuple[User, Person], context_at: dict[str, BrowserContext]
) -> None:
    # given the person page, whose fields have help text, and a form sent back with errors
    _clinician, patient = clinic
    page = open_page(context_at["desktop"], f"{live_server}/people/{patient.public_id}/")
    page.wait_for_function(PANELS_LOADED)

    # then every for, aria-describedby, aria-labelledby and aria-controls names an element
    assert broken_references(page) == []
    # and a field is described by its own help text
    page.get_by_text("More details").click()
    expect(page.get_by_label("When")).to_have_accessible_description("Blank means now.")
    care_team = page.locator("form[action$='/care-team/']")
    expect(care_team.locator("[name=role]")).to_have_accessible_description(
        "e.g. Primary care physician"
    )

    # when a form comes back with errors
    page.goto(f"{live_server}/people/new/")
    page.get_by_role("button", name="Register").click()

    # then the errors are there to be pointed at, and are pointed at, help text included
    assert broken_references(page) == []
    expect(page.get_by_label("Given name")).to_have_accessible_description(
        "This field is required."
    )
    expect(page.get_by_label("Preferred name")).to_have_accessible_description(
        "What they like to be called; used everywhere."
    )

    # and so is the search box's, when the search is too short
    page.goto(f"{live_server}/people/?q=a")
    assert broken_references(page) == []
    expect(page.get_by_label("Search people")).to_have_accessible_description(
        re.compile("at least 2 characters")
    )


def test_every_focus_ring_has_three_to_one_contrast_against_what_it_is_drawn_on(
    live_server: object, clinic: tuple[User, Person], context_at: dict[str, BrowserContext]
) -> None:
    # the amber ring the trial measured was 2:1 on white: the check computes what it should
    assert contrast_ratio("rgb(242, 169, 0)", "rgb(255, 255, 255)") < 3
    assert contrast_ratio("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21)

    # given the person page, every control of it reached with the keyboard
    _clinician, patient = clinic
    page = open_page(context_at["desktop"], f"{live_server}/people/{patient.public_id}/")
    page.wait_for_function(PANELS_LOADED)
    problems: list[str] = []
    reached: list[str] = []
    for _ in range(200):
        page.keyboard.press("Tab")
        label = page.evaluate(
            "document.activeElement.tagName + (document.activeElement.id || '') + "
            "(document.activeElement.getAttribute('href') || '')"
        )
        if label in reached[:1]:
            break  # back to the first stop: the whole page has been walked
        reached.append(label)
        problems += focus_ring_problems(page)
    assert len(reached) > 30, reached  # skip link, brand bar, forms, filters, panels

    # and the links of the open user menu (a white card on the brand bar)
    page.locator(".user-menu summary").click()
    page.get_by_role("link", name="My account and API tokens").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    problems += focus_ring_problems(page)

    # then no ring was missing or under 3:1
    assert problems == []

    # and so on a phone: the menu button and the folded navigation's links, on the brand bar
    phone = open_page(context_at["phone"], f"{live_server}/")
    phone.get_by_role("button", name="Menu").click()
    for _ in range(6):
        phone.keyboard.press("Tab")
        problems += focus_ring_problems(phone)
    assert problems == []


def test_on_a_phone_the_navigation_folds_behind_a_menu_button(
    live_server: object,
    browser: Browser,
    clinic: tuple[User, Person],
    context_at: dict[str, BrowserContext],
) -> None:
    # given a signed-in clinician on a 390-pixel-wide phone
    page = open_page(context_at["phone"], f"{live_server}/")
    menu = page.get_by_role("button", name="Menu")
    links = page.locator("#main-nav")

    # then the navigation is folded behind the Menu button, and the page fits
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_have_attribute("aria-controls", "main-nav")
    expect(links).to_be_hidden()
    assert horizontal_overflow(page) == 0

    # when they press it, it opens; pressed again, it closes
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(links.get_by_role("link", name="People")).to_be_visible()
    assert horizontal_overflow(page) == 0
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(links).to_be_hidden()

    # when they reach it with the keyboard and press Enter, the links come next in the tab order
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.hasAttribute('data-nav-toggle')"):
            break
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    expect(links.get_by_role("link", name="Home")).to_be_focused()

    # and Escape closes it, giving focus back to the button; Space opens and closes it
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    page.keyboard.press(" ")
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press(" ")
    expect(menu).to_have_attribute("aria-expanded", "false")

    # and a link of the open menu leads on
    menu.click()
    links.get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People")).to_be_visible()

    # while at desktop width there is no button and the navigation shows in full
    desktop = open_page(context_at["desktop"], f"{live_server}/")
    expect(desktop.get_by_role("button", name="Menu")).to_be_hidden()
    expect(desktop.locator("#main-nav").get_by_role("link", name="People")).to_be_visible()

    # and without JavaScript the phone shows the whole navigation, wrapped, and no button
    no_script = signed_in_context(
        browser, str(live_server), clinic[0], viewport=PHONE, java_script_enabled=False
    )
    bare = open_page(no_script, f"{live_server}/")
    expect(bare.get_by_role("button", name="Menu")).to_be_hidden()
    expect(bare.locator("#main-nav").get_by_role("link", name="People")).to_be_visible()
    assert horizontal_overflow(bare) == 0
    no_script.close()


def test_on_a_phone_the_person_page_and_wide_tables_fit_the_window(
    live_server: object,
    browser: Browser,
    clinic: tuple[User, Person],
    context_at: dict[str, BrowserContext],
) -> None:
    # given a person with a long email, and an administrator's audit trail (a wide table)
    clinician, patient = clinic
    admin = make_user(clinician.organization, Role.ADMIN, "avery")
    person = open_page(context_at["phone"], f"{live_server}/people/{patient.public_id}/")
    person.wait_for_function(PANELS_LOADED)
    admin_phone = signed_in_context(browser, str(live_server), admin, viewport=PHONE)
    audit = open_page(admin_phone, f"{live_server}/audit/")

    # then neither page is wider than the phone
    assert (horizontal_overflow(person), wider_than_window(person)) == (0, [])
    assert (horizontal_overflow(audit), wider_than_window(audit)) == (0, [])
    # and the table scrolls inside its own box, which the keyboard can reach
    box = audit.get_by_role("region", name="Audit events, newest first")
    assert box.evaluate("(el) => el.scrollWidth > el.clientWidth")
    box.focus()
    audit.keyboard.press("ArrowRight")
    expect(box).to_be_focused()
    # (a browser may animate a keyboard scroll, so wait for it to move)
    audit.wait_for_function("(el) => el.scrollLeft > 0", arg=box.element_handle())
    admin_phone.close()
