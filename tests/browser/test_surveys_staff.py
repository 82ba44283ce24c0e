"""Surveys in a browser, as a manager: build a survey (a refused publication names the missing
translation), add a rule and pause it; work a recovery case from contact to grievance response
to close; pass on praise; and, as the front desk, log a complaint from the person page. Each
press is checked against what was stored; each page against axe-core and the window's width."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from carebond.accounts.models import User
from carebond.core import clock
from carebond.core.models import Location, Organization
from carebond.core.permissions import Role
from carebond.messaging.actions import check_add_sender, ensure_built_in_templates
from carebond.people.models import StaffProfile
from carebond.people.tests.factories import make_patient, make_staff
from carebond.surveys.instrument_actions import ensure_built_in_instruments
from carebond.surveys.models import (
    Comment,
    DistributionRule,
    Instrument,
    InstrumentVersion,
    RecognitionSuggestion,
    RecoveryCase,
    Response,
)
from carebond.surveys.recovery_actions import do_open_case
from carebond.testing.fixtures import make_organization, make_user
from tests.browser.accessibility import axe_violations, broken_references, horizontal_overflow
from tests.browser.conftest import open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _practice() -> tuple[Organization, Location, User]:
    organization = make_organization("alder", "Alder Family Practice")
    clinic = Location.objects.create(organization=organization, name="Main clinic")
    ensure_built_in_templates(organization)
    check_add_sender(
        organization, channel="sms", address="+13125550100", label="Main", purposes=["survey"]
    )
    ensure_built_in_instruments(organization)
    manager = make_user(organization, Role.MANAGER, "dana")
    return organization, clinic, manager


@pytest.mark.parametrize("width", [1280, 390])
def test_a_manager_builds_and_publishes_a_survey(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, _clinic, manager = _practice()
    open_as(page, str(live_server), manager, "/surveys/")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    form = page.get_by_role("form", name="Create a survey")
    form.get_by_label("Name").fill("Flu clinic check-in")
    form.get_by_label("For").select_option(label="Moment-of-truth micro-survey")
    form.get_by_role("button", name="Create the survey").click()
    expect(page.get_by_role("status")).to_contain_text("Created Flu clinic check-in")
    instrument = Instrument.objects.get(organization=organization, name="Flu clinic check-in")
    section = page.get_by_role("form", name="Add a section")
    section.get_by_label("Section id").fill("wait")
    section.get_by_label("Title in English").fill("Your wait")
    section.get_by_label("Title in Spanish").fill("Su espera")
    section.get_by_role("button", name="Add the section").click()
    expect(page.get_by_role("status")).to_contain_text("Section added")
    item = page.get_by_role("form", name="Add or change a question")
    item.get_by_label("Question id").fill("wait_ok")
    item.get_by_label("Kind").select_option(label="Scale (Likert)")
    item.get_by_label("Scale (for a scale question)").select_option(
        label="Strongly disagree … Strongly agree"
    )
    item.get_by_label("Question in English").fill("The wait was reasonable.")
    assert axe_violations(page) == []
    assert broken_references(page) == []
    assert horizontal_overflow(page) == 0
    item.get_by_role("button", name="Save the question").click()
    expect(page.get_by_test_id("item-wait_ok")).to_have_text("The wait was reasonable.")
    # the Spanish is missing: publishing is refused, naming the question
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_role("status")).to_contain_text("question 'wait_ok' (es)")
    draft = InstrumentVersion.objects.get(instrument=instrument)
    assert draft.status == "draft"
    item = page.get_by_role("form", name="Add or change a question")
    item.get_by_label("Question id").fill("wait_ok")
    item.get_by_label("Kind").select_option(label="Scale (Likert)")
    item.get_by_label("Scale (for a scale question)").select_option(
        label="Strongly disagree … Strongly agree"
    )
    item.get_by_label("Question in English").fill("The wait was reasonable.")
    item.get_by_label("Question in Spanish").fill("La espera fue razonable.")
    item.get_by_role("button", name="Save the question").click()
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 is live.")
    draft.refresh_from_db()
    assert draft.status == "published"
    assert draft.definition["sections"][0]["items"][0]["text"] == {
        "en": "The wait was reasonable.",
        "es": "La espera fue razonable.",
    }
    # a live version never changes: removing a question makes draft version 2
    page.get_by_role("button", name="Remove wait_ok").click()
    expect(page.get_by_role("status")).to_contain_text("Question removed from the draft.")
    assert list(
        InstrumentVersion.objects.filter(instrument=instrument).values_list("number", "status")
    ) == [
        (2, "draft"),
        (1, "published"),
    ]


def test_a_manager_adds_a_rule_and_pauses_it(page: Page, live_server: object) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    organization, _clinic, manager = _practice()
    open_as(page, str(live_server), manager, "/surveys/rules/")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    form = page.get_by_role("form", name="Add a rule")
    form.get_by_label("Survey").select_option(label="Post-visit patient experience")
    form.get_by_label("When").select_option(label="Visit completed")
    form.get_by_label("Hours after the event").fill("3")
    form.get_by_role("button", name="Add the rule").click()
    expect(page.get_by_role("status")).to_contain_text("Rule added")
    rule = DistributionRule.objects.get(organization=organization)
    assert (rule.trigger, rule.delay_hours, rule.active) == ("visit_completed", 3, True)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("status")).to_contain_text("Rule paused.")
    rule.refresh_from_db()
    assert not rule.active


def test_a_manager_works_a_recovery_case_to_its_end(page: Page, live_server: object) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    organization, clinic, manager = _practice()
    rosa = make_patient(organization, "Rosa", "Diaz", phone="+13125550123")
    case = do_open_case(
        rosa, source="complaint", location=clinic, summary="Billed twice.", acting_user=None
    )
    RecoveryCase.objects.filter(pk=case.pk).update(due_at=clock.now() - timedelta(hours=1))
    open_as(page, str(live_server), manager, "/surveys/recovery/")
    expect(page.get_by_test_id("overdue")).to_be_visible()
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.get_by_role("link", name="Rosa Diaz").click()
    expect(page.get_by_test_id("case-summary")).to_have_text("Billed twice.")
    assert axe_violations(page) == []
    assert broken_references(page) == []
    assert horizontal_overflow(page) == 0
    contact = page.get_by_role("form", name="Record a contact")
    contact.get_by_label("How").select_option(label="Phone")
    contact.get_by_label("What was said").fill("Apologised; refund promised.")
    contact.get_by_role("button", name="Record the contact").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    case.refresh_from_db()
    assert case.status == "contacted"
    assert case.first_contact_at is not None
    note = page.get_by_role("form", name="Add a note")
    note.get_by_label("Note").fill("Billing office checked the ledger.")
    note.get_by_role("button", name="Add the note").click()
    expect(page.get_by_test_id("case-steps")).to_contain_text("Billing office checked the ledger.")
    grievance = page.get_by_role("form", name="Mark as a grievance")
    grievance.get_by_label("Received on").fill(f"{clock.now():%Y-%m-%d}")
    grievance.get_by_role("button", name="Mark as a grievance").click()
    expect(page.get_by_test_id("grievance")).to_contain_text("written response due")
    written = page.get_by_role("form", name="Record the written response")
    written.get_by_label("Written response").fill("We refunded the duplicate charge on 3 March.")
    written.get_by_label("Contact person named in it").fill("Dana Whitfield")
    written.get_by_label("Sent on").fill(f"{clock.now():%Y-%m-%d}")
    written.get_by_role("button", name="Record the written response").click()
    expect(page.get_by_test_id("grievance")).to_contain_text("contact: Dana Whitfield")
    close = page.get_by_role("form", name="Close the case")
    close.get_by_label("Outcome").select_option(label="Resolved")
    close.get_by_role("button", name="Close the case").click()
    expect(page.get_by_test_id("case-state")).to_contain_text("Closed: resolved")
    case.refresh_from_db()
    assert (case.status, case.outcome, case.is_grievance) == ("closed", "resolved", True)
    assert case.written_response_on is not None
    assert [step.kind for step in case.steps.all()] == [
        "opened",
        "contact",
        "note",
        "grievance",
        "written_response",
        "closed",
    ]


def test_praise_is_passed_on_and_a_complaint_is_logged(page: Page, live_server: object) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    organization, clinic, manager = _practice()
    nurse = make_staff(organization, "Maria", "Lopez", job_title="Nurse")
    StaffProfile.objects.filter(person=nurse).update(location=clinic)
    rosa = make_patient(organization, "Rosa", "Diaz", phone="+13125550123")
    instrument = Instrument.objects.get(organization=organization, key="post-visit")
    response = Response.objects.create(
        organization=organization,
        version=instrument.versions.get(),
        person=rosa,
        status="completed",
        language="en",
        started_at=clock.now(),
        updated_at=clock.now(),
        submitted_at=clock.now(),
    )
    comment = Comment.objects.create(
        organization=organization,
        response=response,
        link_id="went_well",
        text="Maria Lopez was so kind.",
        language="en",
        instrument=instrument,
        received_on=clock.now().date(),
    )
    suggestion = RecognitionSuggestion.objects.create(
        organization=organization, staff=nurse, comment=comment, created_at=clock.now()
    )
    open_as(page, str(live_server), manager, "/")
    page.get_by_role("button", name="Passed on").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you: recorded.")
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by) == ("passed_on", manager)
    # the front desk logs a complaint on Rosa's page
    desk = make_user(organization, Role.FRONT_DESK, "jordan")
    page.context.clear_cookies()
    open_as(page, str(live_server), desk, f"/people/{rosa.public_id}/")
    form = page.get_by_role("form", name="Log a complaint")
    form.get_by_label("A complaint: what the patient said").fill(
        "Nobody called back about results."
    )
    form.get_by_role("button", name="Log the complaint").click()
    expect(page.get_by_role("status")).to_contain_text("Complaint logged")
    case = RecoveryCase.objects.get(person=rosa)
    assert (case.source, case.summary) == ("complaint", "Nobody called back about results.")
