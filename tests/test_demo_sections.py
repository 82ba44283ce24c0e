"""The demo organisation's sections, read from one build of seed 42 shared by this module's
tests (rolled back after them): the EHR feed, the schedule, the inbox, a recall. Tests that
build the demo themselves (twice, or at other hours) are in test_demo.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.db.models import Count
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.demo.builder import DemoResult, build_demo
from carebond.interop.models import ImportRun, StoredResource
from carebond.messaging.models import Conversation, Message, MessageStatus, RevocationRequest
from carebond.people.models import Person
from carebond.privacy.models import BreakGlassGrant, Review
from carebond.scheduling.models import Appointment
from carebond.testing.fixtures import sign_in
from carebond.touchpoints.models import Touchpoint

pytestmark = [pytest.mark.demo, pytest.mark.django_db]


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoResult]:
    """The demo of seed 42, built once for the module, rolled back after its tests."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_demo(seed=42)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_the_demo_shows_an_ehr_feed_imported_over_fhir_with_one_named_problem(
    demo: DemoResult,
) -> None:
    organization = demo.organization

    # (the feed's run; the schedule's EHR appointments come in a later one)
    run = ImportRun.objects.filter(organization=organization).order_by("started_at", "pk")[0]
    assert run.status == "finished"
    assert run.bundles_committed == 7
    assert [(p["file"], p["path"]) for p in run.problems if not p.get("notice")] == [
        ("patient-7-bad-date.json", "Encounter.period.start")
    ]
    imported = Person.objects.filter(organization=organization, kind="patient").exclude(
        origin_system=""
    )
    assert imported.count() == 6
    visits = Touchpoint.objects.filter(person__in=imported, kind="visit")
    assert visits.exists()
    assert not visits.filter(staff__isnull=True).exists()  # the practitioner, by NPI
    kept = StoredResource.objects.filter(organization=organization)
    assert set(kept.values_list("resource_type", flat=True)) == {"ServiceRequest"}
    # the referring practitioner's appointments are at another practice: skipped, with a note
    assert run.counts["Appointment"]["skipped"] == 6
    assert not kept.filter(person__isnull=True).exists()


def test_the_demo_practice_sees_patients_in_opening_hours_with_clinicians(demo: DemoResult) -> None:
    organization = demo.organization
    zone = ZoneInfo(organization.time_zone)
    # Visits are in opening hours. (Texts, emails, bookings and case notes come at any hour:
    # the demo's are written when it is built, which may be in the evening.)
    made_up = Touchpoint.objects.filter(organization=organization, origin_system="")
    visits = made_up.filter(kind__in=["visit", "telehealth"])
    hours = {
        moment.astimezone(zone).hour for moment in visits.values_list("occurred_at", flat=True)
    }
    assert min(hours) >= 8
    assert max(hours) <= 17
    assert visits.exists()
    with_staff = visits.exclude(staff__isnull=True)
    assert with_staff.exists()
    assert not with_staff.exclude(staff__staff_profile__is_clinical=True).exists()


def test_the_demo_inbox_has_texts_to_answer_a_stop_spanish_and_triage(demo: DemoResult) -> None:
    waiting = Conversation.objects.filter(waiting_since__isnull=False)
    assert waiting.count() >= 6
    assert waiting.filter(person__isnull=True).count() == 1  # a number nobody has
    bodies = [m.body for m in Message.objects.filter(direction="inbound")]
    assert any(body.startswith("¿Puedo cambiar mi cita") for body in bodies)
    stop = Message.objects.get(provider_id="SMdemo-stop")
    assert stop.person is not None
    assert stop.person.consents.filter(
        channel="sms", status="revoked", method="sms_keyword"
    ).exists()
    confirmations = Message.objects.filter(template_key="opt_out_confirmation")
    assert confirmations.filter(conversation=stop.conversation).count() == 1
    assert RevocationRequest.objects.filter(status="pending").count() == 1
    # the messaging section's own reminders (the schedule's follow their appointments)
    reminders = Message.objects.filter(template_key="appointment_reminder").exclude(
        idempotency_key__startswith="appointment:"
    )
    assert reminders.count() == 4
    for reminder in reminders:  # on their way, or held back with the reason why
        assert reminder.status == MessageStatus.QUEUED or reminder.status_reason


def test_the_demo_schedule_has_a_past_a_today_and_two_weeks_booked_with_reminders(
    demo: DemoResult,
) -> None:
    visits = Appointment.objects.filter(organization=demo.organization)
    statuses = set(visits.values_list("status", flat=True))
    assert {"fulfilled", "noshow", "cancelled", "booked"} <= statuses
    now = clock.now()
    ahead = visits.filter(starts_at__gt=now + timedelta(days=1), status="booked").exclude(
        booked_via="import"  # the EHR's: it sends their reminders
    )
    assert ahead.count() >= 20
    # booked through the real action: each has its reminders waiting (or held, with why)
    for visit in ahead[:5]:
        reminders = Message.objects.filter(
            idempotency_key__startswith=f"appointment:{visit.public_id}"
        )
        assert reminders.exists()
    # the class is a group visit with several seats taken at one time
    assert (
        visits.filter(appointment_type__capacity__gt=1).values("starts_at").distinct().count() == 1
    )
    assert visits.filter(appointment_type__capacity__gt=1).count() >= 2
    # two patients confirmed by replying to their reminder ("C", "Sí"), and were thanked
    assert visits.filter(confirmed_at__gt=now - timedelta(minutes=5)).count() == 2
    assert Message.objects.filter(template_key="visit_confirmed").count() == 2


def test_the_demo_has_a_finished_recall_with_results_on_the_managers_home(
    demo: DemoResult, client_for: Any
) -> None:
    from carebond.accounts.models import User
    from carebond.messaging.campaign_selectors import campaign_results
    from carebond.messaging.models import Campaign

    recall = Campaign.objects.get(organization__slug="riverbend")
    assert recall.status == "finished"
    results = campaign_results(recall)
    assert results.sent >= 5
    assert results.by_status.get("blocked", 0) >= 1  # left out, each with its reason
    assert results.by_status.get("failed") == 1  # the landline
    assert (results.replied, results.opted_out) == (2, 1)
    home = client_for(User.objects.get(username="manager")).get("/").content.decode()
    assert "Check-up recall: no visit in 6 months" in home


def test_the_demo_schedule_holds_the_ehrs_appointments_and_its_reported_conflict(
    demo: DemoResult,
) -> None:
    imported = Appointment.objects.filter(organization=demo.organization, booked_via="import")
    assert imported.count() == 2
    assert set(imported.values_list("origin_id", flat=True)) == {
        "Appointment/ehr-appt-1",
        "Appointment/ehr-appt-2",
    }
    run = ImportRun.objects.filter(organization=demo.organization).order_by("-started_at", "-pk")[0]
    [problem] = [p for p in run.problems if not p.get("notice")]
    assert (problem["file"], problem["path"]) == ("appointments-late.json", "Appointment.start")
    assert "overlaps another live appointment of the same provider" in problem["message"]


def test_the_demo_has_a_privacy_officer_with_one_grant_reviewed_and_one_waiting(
    demo: DemoResult,
) -> None:
    assert ("privacy", "privacy_officer") in [(u, r) for u, r, _ in demo.credentials]
    grants = BreakGlassGrant.objects.filter(organization=demo.organization).order_by("granted_at")
    assert [(g.user.username, g.review) for g in grants] == [
        ("frontdesk", Review.APPROPRIATE),
        ("frontdesk", Review.WAITING),
    ]


def test_the_demo_manager_reaches_a_patients_record_copy_and_a_realistic_accounting(
    demo: DemoResult,
) -> None:
    # given the demo's most looked-at patient and its manager
    busiest = (
        AuditEvent.objects.filter(organization=demo.organization)
        .exclude(patient_id="")
        .values("patient_id")
        .annotate(n=Count("id"))
        .order_by("-n")[0]["patient_id"]
    )
    manager = User.objects.get(organization=demo.organization, role="manager")
    client = sign_in(Client(), manager)
    # when the manager opens the patient's page panels, then both copies are offered
    panels = client.get(f"/people/{busiest}/panels/").content.decode()
    assert "Download record (FHIR)" in panels
    assert "Accounting of access" in panels
    # and the accounting tells a history from several parts of CareBond, in words
    page = client.get(f"/people/{busiest}/accounting/").content.decode()
    assert page.count("<tr>") > 5
    assert "Patient record" in page
    assert "Scheduling" in page or "Messaging" in page
