"""Relationship health in a browser: the front desk marks a suggested step taken on the
at-risk list (checked against what was stored); a manager's override without a comment is
refused beside the field, then saved with one. Both pages pass axe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from carebond.analytics.health_actions import do_score_patients
from carebond.analytics.health_models import AtRiskAction, HealthOverride
from carebond.analytics.health_selectors import local_today
from carebond.core import clock
from carebond.core.models import Location
from carebond.core.permissions import Role
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient, make_staff
from carebond.scheduling.models import Appointment, AppointmentType
from carebond.testing.fixtures import make_organization, make_user
from tests.browser.accessibility import axe_violations
from tests.browser.conftest import open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _drifting_patient() -> Person:
    """A practice's patient seen 900 and 500 days ago, then three no-shows: at risk."""
    organization = make_organization("alder", "Alder Family Practice")
    location = Location.objects.create(
        organization=organization, name="Main clinic", time_zone="America/Chicago"
    )
    doctor = make_staff(organization, "Priya", "Raman")
    follow_up = AppointmentType.objects.create(
        organization=organization, key="follow-up", name="Follow-up", duration_minutes=30
    )
    patient = make_patient(organization, "Omar", "Haddad")
    now = clock.now().replace(hour=15, minute=0, second=0, microsecond=0)
    Appointment.objects.bulk_create(
        Appointment(
            organization=organization,
            patient=patient,
            provider=doctor,
            location=location,
            appointment_type=follow_up,
            starts_at=now - timedelta(days=days),
            ends_at=now - timedelta(days=days) + timedelta(minutes=30),
            duration_minutes=30,
            time_zone="America/Chicago",
            status=status,
            group_key=f"visit-{days}",
            booked_at=now - timedelta(days=days + 14),
        )
        for days, status in (
            (900, "fulfilled"),
            (500, "fulfilled"),
            (400, "noshow"),
            (300, "noshow"),
            (100, "noshow"),
        )
    )
    return patient


def test_the_desk_marks_a_step_taken_on_the_at_risk_list(page: Page, live_server: object) -> None:
    patient = _drifting_patient()
    do_score_patients(patient.organization, on=local_today(patient.organization))
    desk = make_user(patient.organization, Role.FRONT_DESK, "jordan")
    open_as(page, str(live_server), desk, "/analytics/health/")
    row = page.get_by_test_id(f"at-risk-{patient.public_id}")
    expect(row).to_contain_text("Omar Haddad")
    expect(row).to_contain_text("Next step: Call")
    assert axe_violations(page) == []
    # when the desk marks the call taken
    row.get_by_role("button", name="Mark taken: Call, Omar Haddad").click()
    expect(page.get_by_role("status")).to_contain_text("Omar Haddad: call taken.")
    # then it is stored, with who and what was suggested
    action = AtRiskAction.objects.get(person=patient)
    assert (action.suggested, action.taken, action.decided_by) == ("call", True, desk)
    expect(page.get_by_test_id(f"at-risk-{patient.public_id}")).to_contain_text("last: call taken")


def test_an_override_needs_a_comment(page: Page, live_server: object) -> None:
    patient = _drifting_patient()
    manager = make_user(patient.organization, Role.MANAGER, "dana")
    open_as(page, str(live_server), manager, f"/analytics/health/patients/{patient.public_id}/")
    expect(page.get_by_test_id("dimension-commitment")).to_contain_text("Visits kept")
    assert axe_violations(page) == []
    form = page.get_by_role("form", name="Override a score")
    form.get_by_label("Replace").select_option("connection")
    form.get_by_label("Score (0-100)").fill("10")
    # when sent without a comment
    form.get_by_role("button", name="Save the override").click()
    # then the message stands beside the comment, and nothing is stored
    comment = page.get_by_role("form", name="Override a score").get_by_label("Why")
    expect(comment).to_have_accessible_description(
        "Required: what you know that the data does not. "
        "Say why: an override needs a comment that explains it."
    )
    assert not HealthOverride.objects.exists()
    # when sent again with one
    comment.fill("Moving to Denver next month")
    page.get_by_role("button", name="Save the override").click()
    expect(page.get_by_role("status")).to_contain_text("Override saved.")
    expect(page.get_by_test_id("dimension-connection")).to_contain_text("Moving to Denver")
    stored = HealthOverride.objects.get(person=patient)
    assert (stored.part, stored.score, stored.by) == ("connection", 10, manager)
