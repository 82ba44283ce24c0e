"""A day with people, in a browser: each role's list, the quick-log buttons, registering
someone who is already here, contact details, the care team, and a pair that is two people."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from carebond.core.permissions import PHI_ROLES, Role
from carebond.people.models import DistinctPair, Person
from carebond.people.tests.factories import make_patient, make_staff
from carebond.testing.fixtures import make_organization, make_user
from carebond.touchpoints.models import Touchpoint
from tests.browser.conftest import open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("role", sorted(PHI_ROLES))
def test_every_role_with_people_browses_a_list(role: str, page: Page, live_server: object) -> None:
    organization = make_organization("alder", "Alder Family Practice")
    make_patient(organization, "Ines", "Duarte")
    make_patient(organization, "Tom", "Brandt")
    user = make_user(organization, role, f"{role}-user")
    open_as(page, str(live_server), user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    form = page.get_by_role("form", name="Choose what to list")
    form.get_by_label("Kind").select_option("patient")
    form.get_by_label("Sort").select_option("name")
    form.get_by_label("Only those I look after").uncheck()  # a liaison starts with their own
    form.get_by_role("button", name="List").click()
    rows = page.get_by_test_id("people-list").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Tom Brandt")
    assert page.console_errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("button", "kind"), [("Log message", "message"), ("Log visit", "visit"), ("Log note", "note")]
)
def test_each_quick_button_logs_its_own_kind(
    button: str, kind: str, page: Page, live_server: object
) -> None:
    organization = make_organization("alder", "Alder Family Practice")
    patient = make_patient(organization, "Ines", "Duarte")
    open_as(
        page,
        str(live_server),
        make_user(organization, Role.FRONT_DESK, "jordan"),
        f"/people/{patient.public_id}/",
    )
    page.get_by_label("What happened (optional)").fill("Quick one")
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_contain_text("logged")
    assert list(Touchpoint.objects.filter(person=patient).values_list("kind", flat=True)) == [kind]


def test_registering_someone_already_here_offers_their_record_first(
    page: Page, live_server: object
) -> None:
    organization = make_organization("alder", "Alder Family Practice")
    make_patient(organization, "Maria", "Lopez", birth_date=date(1984, 3, 7))
    open_as(
        page, str(live_server), make_user(organization, Role.FRONT_DESK, "jordan"), "/people/new/"
    )
    page.get_by_label("Given name").fill("Maria")
    page.get_by_label("Family name").fill("Lopez")
    page.get_by_label("Birth date").fill("1984-03-07")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_test_id("registration-warnings")).to_contain_text(
        "may already be registered"
    )
    assert Person.objects.filter(family_name="Lopez").count() == 1
    page.get_by_label("I checked: register this patient anyway").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("is registered")).to_be_visible()
    assert Person.objects.filter(family_name="Lopez").count() == 2


def test_contact_details_and_the_care_team(page: Page, live_server: object) -> None:
    organization = make_organization("alder", "Alder Family Practice")
    patient = make_patient(
        organization, "Ines", "Duarte", phone="2175550111", email="ines@example.org"
    )
    staff = make_staff(organization, "Priya", "Raman")
    base = str(live_server)
    open_as(
        page,
        base,
        make_user(organization, Role.FRONT_DESK, "jordan"),
        f"/people/{patient.public_id}/edit/",
    )
    # a new number replaces the old one
    phone_row = page.get_by_role("form", name="Phone +12175550111")
    phone_row.get_by_label("Value").fill("217 555 0199")
    phone_row.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    # the email is removed
    page.get_by_role("form", name="Email ines@example.org").get_by_role(
        "button", name="Remove"
    ).click()
    expect(page.get_by_text("ines@example.org is removed.")).to_be_visible()
    assert list(patient.contact_points.values_list("value", flat=True)) == ["+12175550199"]
    # an address is added
    new_address = page.get_by_role("form", name="Add an address")
    new_address.locator("[name=line1]").fill("1 Elm Street")
    new_address.get_by_label("City").fill("Urbana")
    new_address.get_by_role("button", name="Add address").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    assert patient.addresses.get().line1 == "1 Elm Street"
    # the care team member is chosen from the staff list
    page.goto(f"{base}/people/{patient.public_id}/")
    care_team = page.locator("details", has_text="Add to the care team")
    care_team.get_by_text("Add to the care team").click()
    care_team.get_by_label("Staff member").select_option(str(staff.public_id))
    care_team.locator("[name=role]").fill("Primary care physician")
    care_team.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Priya Raman joined the care team.")).to_be_visible()
    assert patient.care_team.get().staff == staff
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_pair_found_to_be_two_people_leaves_the_duplicates_list(
    page: Page, live_server: object
) -> None:
    organization = make_organization("alder", "Alder Family Practice")
    make_patient(organization, "Emma", "Nguyen", birth_date=date(2015, 6, 1))
    make_patient(organization, "Emmy", "Nguyen", birth_date=date(2015, 6, 1))
    open_as(
        page,
        str(live_server),
        make_user(organization, Role.MANAGER, "morgan"),
        "/people/duplicates/",
    )
    page.get_by_role("link", name="Compare").first.click()
    expect(page.get_by_test_id("row-counts").first).to_be_visible()
    page.get_by_role("button", name="Not the same person").click()
    expect(page.get_by_text("are two people")).to_be_visible()
    assert DistinctPair.objects.count() == 1


def test_enter_in_more_details_logs_the_kind_chosen_there(page: Page, live_server: object) -> None:
    organization = make_organization("alder", "Alder Family Practice")
    patient = make_patient(organization, "Ines", "Duarte")
    clinician = make_user(organization, Role.CLINICIAN, "priya")
    open_as(page, str(live_server), clinician, f"/people/{patient.public_id}/")
    page.get_by_text("More details").click()
    page.locator("#log_detailed_kind").select_option("visit")
    page.get_by_label("Outcome").fill("Seen, follow-up in 2 weeks")
    page.get_by_label("Outcome").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("logged")
    assert list(Touchpoint.objects.filter(person=patient).values_list("kind", flat=True)) == [
        "visit"
    ]
