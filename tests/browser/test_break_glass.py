"""Break-glass in a browser: the desk breaks the glass (a blank reason refused beside its
field), reads the medical history, sees the access end when its time is up; the privacy
officer, emailed at once, reviews it from the home panel. Each stored row is checked, and the
pages pass axe at desktop width and at 390 px."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Page, expect

from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.permissions import Role
from carebond.people.actions import check_add_history_item
from carebond.people.tests.factories import make_patient
from carebond.privacy.models import BreakGlassGrant, Review
from carebond.testing.fixtures import Mailbox, make_organization, make_user
from tests.browser.accessibility import DESKTOP, PHONE, axe_violations
from tests.browser.conftest import open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WHY = "Patient fainted at check-in; the nurse needs her allergies now."


def passes_axe_at_both_widths(page: Page) -> None:
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        assert axe_violations(page) == [], size


def test_the_desk_breaks_the_glass_and_the_privacy_officer_reviews_it(
    page: Page, live_server: object, smtp_server: Mailbox, tasks_run_now: None, settings: Any
) -> None:
    settings.BREAK_GLASS_MINUTES = 10  # within the session's idle limit, to watch it end
    organization = make_organization("alder", "Alder Family Practice")
    patient = make_patient(organization, "Ines", "Duarte")
    check_add_history_item(patient, category="allergy", display="Latex allergy", acting_user=None)
    desk = make_user(organization, Role.FRONT_DESK, "jordan")
    officer = make_user(organization, Role.PRIVACY_OFFICER, "dana")
    base = str(live_server)
    person_page = f"/people/{patient.public_id}/"

    # given the desk on the patient's page: the history is withheld, and the panel says so
    open_as(page, base, desk, person_page)
    withheld = page.locator('[data-panel="privacy.withheld"]')
    expect(withheld).to_contain_text("Your role does not read Medical history summary")
    expect(page.get_by_text("Latex allergy")).to_have_count(0)

    # when they press "Break the glass" and send the form without a reason
    withheld.get_by_role("link", name="Break the glass").click()
    expect(page.get_by_role("heading", name="Break the glass")).to_be_visible()
    passes_axe_at_both_widths(page)
    page.get_by_role("button", name="Open the record for 10 minutes").click()
    # then each error stands beside its field, and nothing is stored
    reason = page.locator("fieldset", has=page.get_by_label("Emergency care"))
    expect(reason).to_contain_text("Choose why you need access")
    expect(page.get_by_label("What is happening")).to_have_accessible_description(
        "In a sentence; a privacy officer reads it when reviewing this access. "
        "Say why you need this record now, in a sentence: e.g. “Patient collapsed at the "
        "desk; the paramedics ask for her allergies.”"
    )
    passes_axe_at_both_widths(page)
    assert not BreakGlassGrant.objects.exists()

    # when they choose a reason, explain, and open the record
    page.get_by_label("Emergency care").check()
    page.get_by_label("What is happening").fill(WHY)
    page.get_by_role("button", name="Open the record for 10 minutes").click()
    # then the history is there, with the time limit, and the grant and the read are stored
    expect(page.get_by_role("status").first).to_contain_text("Break-glass access is open until")
    expect(page.get_by_text("Latex allergy")).to_be_visible()
    expect(page.get_by_test_id("break-glass-open")).to_be_visible()
    grant = BreakGlassGrant.objects.get()
    assert (grant.user, grant.person, grant.reason, grant.explanation) == (
        desk,
        patient,
        "emergency_care",
        WHY,
    )
    assert grant.expires_at - grant.granted_at == timedelta(minutes=10)
    assert AuditEvent.objects.filter(action="privacy.break_glass", actor=desk).count() == 1
    assert AuditEvent.objects.filter(action="privacy.break_glass_read", actor=desk).exists()
    # and the privacy officer was emailed at once, without the patient's name
    (alert,) = smtp_server.to(officer.email)
    assert f"/privacy/reviews/{grant.public_id}/" in alert.get_content()
    assert "Duarte" not in alert.get_content()

    # when the time is up
    with time_machine.travel(clock.now() + timedelta(minutes=11)):
        page.goto(base + person_page)
        # then the history is withheld again, and the button is back
        expect(withheld).to_contain_text("Your role does not read Medical history summary")
        expect(page.get_by_text("Latex allergy")).to_have_count(0)

    # when the privacy officer opens their home page
    open_as(page, base, officer)
    panel = page.get_by_role("region", name="Break-glass reviews")
    expect(panel).to_contain_text("1 break-glass access waiting for review")
    passes_axe_at_both_widths(page)
    panel.get_by_role("link", name="Front_Desk Tester").first.click()
    expect(page.get_by_test_id("explanation")).to_have_text(WHY)
    passes_axe_at_both_widths(page)
    # and finds it not appropriate without a note: refused beside the note
    page.get_by_label("Not appropriate").check()
    page.get_by_role("button", name="Save the review").click()
    expect(page.get_by_label("Note")).to_have_accessible_description(
        "Required when not appropriate: it stays with the flag. Say why the access was not "
        "appropriate: the note stays with the flag."
    )
    grant.refresh_from_db()
    assert grant.review == Review.WAITING
    # then with a note: saved, flagged in the queue
    page.get_by_label("Note").fill("The patient was seen by the nurse without it.")
    page.get_by_role("button", name="Save the review").click()
    expect(page.get_by_role("status").first).to_contain_text("Reviewed: not appropriate")
    expect(page.get_by_test_id("reviewed")).to_contain_text("Not appropriate")
    passes_axe_at_both_widths(page)
    grant.refresh_from_db()
    assert (grant.review, grant.reviewed_by, grant.review_note) == (
        Review.NOT_APPROPRIATE,
        officer,
        "The patient was seen by the nurse without it.",
    )
    # no script failed (the browser logs the two refused forms' 422 answers, and nothing else)
    errors = page.console_errors  # type: ignore[attr-defined]
    assert [error for error in errors if "status of 422" not in error] == []
    assert len(errors) == 2
