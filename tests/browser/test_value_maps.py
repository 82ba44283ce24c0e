"""A manager opens a value map, moves the cut-off slider and the map is redrawn in place."""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import Page, expect

from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.demo.value_maps import build_value_maps
from carebond.people.tests.factories import make_patient
from carebond.testing.fixtures import make_organization, make_user
from carebond.value_maps.models import Respondent
from tests.browser.test_sign_in import code_for, sign_in_with_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def the_demo_study_and_a_signed_in_manager(page: Page, live_server: object) -> Organization:
    """Riverbend with the demo's laddering study; Morgan (manager) signed in, MFA enrolled."""
    organization = make_organization("riverbend", "Riverbend Family Health")
    manager = make_user(organization, Role.MANAGER, "morgan")
    build_value_maps(
        organization, rng=random.Random("42-value-maps"), people=None, acting_user=manager
    )
    sign_in_with_password(page, str(live_server), "morgan")
    page.get_by_label("Code").fill(code_for(page.get_by_test_id("totp-secret").inner_text()))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="I have stored them, continue").click()
    return organization


def test_the_cutoff_slider_redraws_the_map_and_a_code_filters_the_ladders(
    page: Page, live_server: object
) -> None:
    # given the demo study and a signed-in manager
    the_demo_study_and_a_signed_in_manager(page, live_server)

    # when they open the study's map from the navigation
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Value maps").click()
    page.get_by_role("link", name="Why people stay with Riverbend").click()
    value_map = page.get_by_test_id("value-map")
    edges = value_map.locator("g.vm-edge")
    expect(edges.first).to_be_attached()
    suggested = int(page.locator("#id_cutoff").input_value())
    drawn = edges.count()
    assert drawn > 0

    # and move the slider down to 1
    page.get_by_role("slider", name=re.compile("^Cut-off")).fill("1")

    # then the map is redrawn in place (no reload) with more links, and the output follows
    expect(value_map.locator("svg")).to_have_attribute("data-cutoff", "1")
    assert suggested > 1
    assert edges.count() > drawn
    expect(page.locator("#vm-cutoff-value")).to_have_text("1")
    expect(page.locator("table.vm-cutoffs tr.vm-current td").first).to_have_text("1")
    assert "cutoff=1" in page.url

    # and a click on the value "feeling known" lists only the ladders through it
    page.locator('g.vm-node[data-code="V2"]').click()
    expect(page.locator("[data-vm-filter-code]")).to_have_text("V2")
    rows = page.get_by_test_id("ladders").locator("tbody tr")
    through_v2 = rows.filter(has_text="V2 feeling known")
    expect(rows.locator("visible=true")).to_have_count(through_v2.count())
    assert 0 < through_v2.count() < rows.count()
    expect(through_v2.first).to_be_visible()

    # when they choose the clinicians' segment and then move the slider
    all_respondents = page.get_by_test_id("map-caption").inner_text()
    ladder_rows = rows.count()
    page.get_by_label("Segment").select_option("clinicians")
    page.get_by_role("slider", name=re.compile("^Cut-off")).fill("2")

    # then the whole page is drawn again for that segment, not just the map: the caption, the
    # cut-off table (and the slider's range) and the ladders are the clinicians'
    expect(page).to_have_url(re.compile(r"segment=clinicians"))
    expect(page.get_by_role("heading", name=re.compile("clinicians$"))).to_be_visible()
    caption = page.get_by_test_id("map-caption")
    expect(caption).to_contain_text("20 respondents")
    assert caption.inner_text() != all_respondents
    expect(page.locator("table.vm-cutoffs tr.vm-current td").first).to_have_text("2")
    slider_max = int(page.locator("#id_cutoff").get_attribute("max") or "0")
    assert slider_max == page.locator("table.vm-cutoffs tbody tr").count()
    clinician_rows = page.get_by_test_id("ladders").locator("tbody tr")
    assert 0 < clinician_rows.count() < ladder_rows
    segment_cells = page.get_by_test_id("ladders").locator("tbody tr td:nth-child(2)")
    assert set(segment_cells.all_inner_texts()) == {"clinicians"}

    # and the slider redraws in place again within the segment
    page.get_by_role("slider", name=re.compile("^Cut-off")).fill("1")
    expect(value_map.locator("svg")).to_have_attribute("data-cutoff", "1")
    expect(page.get_by_role("heading", name=re.compile("clinicians$"))).to_be_visible()
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_manager_renames_a_segment_and_links_a_new_respondent_found_by_name(
    page: Page, live_server: object
) -> None:
    # given the demo study, a patient Maria Lopez and a signed-in manager
    organization = the_demo_study_and_a_signed_in_manager(page, live_server)
    maria = make_patient(organization, "Maria", "Lopez")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Value maps").click()
    page.get_by_role("link", name="Why people stay with Riverbend").click()

    # when they rename the segment "patients" on the Edit study page
    page.get_by_role("navigation", name="Study").get_by_role("link", name="Edit study").click()
    page.get_by_label("Segment “patients”").fill("patients and families")
    page.get_by_role("button", name="Save the study").click()

    # then the map page offers the renamed segment
    expect(page.get_by_text("saved")).to_be_visible()
    expect(page.get_by_label("Segment")).to_contain_text("patients and families")

    # when they start an interview, find "lopz" (a typo) and pick Maria
    page.get_by_role("navigation", name="Study").get_by_role("link", name="Interview").click()
    page.get_by_label("Find the person to link (optional)").fill("lopz")
    page.get_by_role("button", name="Find").click()
    page.get_by_label(re.compile("Maria Lopez")).check()
    page.get_by_role("button", name="Start the interview").click()

    # then the interview runs for the suggested label, linked to Maria
    expect(page.get_by_role("heading", name=re.compile("C-21"))).to_be_visible()
    respondent = Respondent.objects.get(label="C-21")
    assert respondent.person == maria
    assert not page.console_errors  # type: ignore[attr-defined]
