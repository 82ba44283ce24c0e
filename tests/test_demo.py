"""The demo organisation: every capability appears with data, and building it twice is safe."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from carebond.accounts.models import User
from carebond.core import clock
from carebond.demo.builder import build_demo
from carebond.interop.models import ImportRun, StoredResource
from carebond.messaging.models import (
    Conversation,
    Message,
    MessageStatus,
    RevocationRequest,
    SecureNote,
)
from carebond.people.models import Person
from carebond.scheduling.models import Appointment
from carebond.touchpoints.models import Touchpoint

pytestmark = pytest.mark.demo


@pytest.mark.django_db
def test_the_demo_shows_an_ehr_feed_imported_over_fhir_with_one_named_problem(
    settings: Any,
) -> None:
    result = build_demo(seed=42)
    organization = result.organization

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


@pytest.mark.django_db
def test_the_demo_practice_sees_patients_in_opening_hours_with_clinicians() -> None:
    organization = build_demo(seed=42).organization
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


@pytest.mark.django_db
def test_building_the_demo_twice_changes_nothing() -> None:
    first = build_demo(seed=42)
    counts = (
        Person.objects.count(),
        Touchpoint.objects.count(),
        ImportRun.objects.count(),
        StoredResource.objects.count(),
        Message.objects.count(),
        SecureNote.objects.count(),
        Appointment.objects.count(),
    )

    second = build_demo(seed=42)

    assert second.organization == first.organization
    assert (
        Person.objects.count(),
        Touchpoint.objects.count(),
        ImportRun.objects.count(),
        StoredResource.objects.count(),
        Message.objects.count(),
        SecureNote.objects.count(),
        Appointment.objects.count(),
    ) == counts


@pytest.mark.django_db
def test_the_demo_inbox_has_texts_to_answer_a_stop_spanish_and_triage() -> None:
    build_demo(seed=42)
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


CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.django_db
def test_the_demo_schedule_has_a_past_a_today_and_two_weeks_booked_with_reminders() -> None:
    demo = build_demo(seed=42)
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


@pytest.mark.django_db
def test_the_demo_front_desk_sees_the_weeks_online_bookings_on_its_home(
    client_for: Callable[[User], Client],
) -> None:
    demo = build_demo(seed=42, size="small")
    online = Appointment.objects.filter(organization=demo.organization, booked_via="online")
    assert online.count() >= 3
    desk = User.objects.get(organization=demo.organization, username="frontdesk")
    home = client_for(desk).get("/").content.decode()
    assert 'data-testid="online-bookings"' in home
    assert "booked by Marisol Ortega (Parent)" in home


# Built late on a Saturday night (quiet hours, the office closed) and on a weekday morning.
@pytest.mark.parametrize(
    "built_at",
    [datetime(2026, 12, 5, 23, 30, tzinfo=CHICAGO), datetime(2026, 12, 7, 10, 0, tzinfo=CHICAGO)],
    ids=["saturday-night", "monday-morning"],
)
@pytest.mark.django_db
def test_the_demo_inbox_shows_a_secure_reply_and_an_email_reply_at_any_hour(
    built_at: datetime, client_for: Callable[[User], Client]
) -> None:
    with time_machine.travel(built_at, tick=False):
        build_demo(seed=42)
        clinician = client_for(User.objects.get(username="clinician"))
        inbox = clinician.get("/messaging/inbox/").content.decode()
        note = SecureNote.objects.get()
        secure = note.conversation
        email = Conversation.objects.get(channel="email")
        assert secure is not None
        assert secure.person is not None
        assert email.person is not None

        # both wait for an answer in the inbox a newcomer opens
        for conversation in (secure, email):
            assert f"/messaging/inbox/{conversation.public_id}/" in inbox
        assert secure.person != email.person

        # the secure reply: the text carries the link, not the words, and went out at once
        page = clinician.get(f"/messaging/inbox/{secure.public_id}/").content.decode()
        link = f"/messaging/secure/{note.public_id}/"
        assert link in page
        assert "cholesterol" not in page
        assert "Can I book the recheck" in page  # the patient's answer, after reading it
        [link_text] = Message.objects.filter(conversation=secure, direction="outbound")
        assert (link_text.status, link_text.due_at) == (MessageStatus.SENT, built_at)
        assert note.opened_at == built_at
        birth_date = secure.person.birth_date
        assert birth_date is not None
        opened = Client().post(link, {"birth_date": birth_date.isoformat()})
        assert "cholesterol results are back" in opened.content.decode()

        # the email reply: the patient answered the practice's email by email
        page = clinician.get(f"/messaging/inbox/{email.public_id}/").content.decode()
        assert f"Email with {email.address}" in page
        question, answer, reply = Message.objects.filter(conversation=email).order_by("id")
        assert [(m.direction, m.status) for m in (question, answer, reply)] == [
            ("inbound", MessageStatus.RECEIVED),
            ("outbound", MessageStatus.SENT),
            ("inbound", MessageStatus.RECEIVED),
        ]
        assert answer.due_at == built_at
        assert answer.message_id_header
        assert reply.person == email.person
        assert reply.body == "Wonderful, thank you! May my daughter come in with me for the visit?"
        assert reply.body in page
        assert (email.waiting_since, email.unread) == (built_at, 1)


@pytest.mark.django_db
def test_the_demo_has_a_finished_recall_with_results_on_the_managers_home(
    client_for: Any,
) -> None:
    from carebond.accounts.models import User
    from carebond.messaging.campaign_selectors import campaign_results
    from carebond.messaging.models import Campaign

    build_demo(seed=42)
    recall = Campaign.objects.get(organization__slug="riverbend")
    assert recall.status == "finished"
    results = campaign_results(recall)
    assert results.sent >= 5
    assert results.by_status.get("blocked", 0) >= 1  # left out, each with its reason
    assert results.by_status.get("failed") == 1  # the landline
    assert (results.replied, results.opted_out) == (2, 1)
    home = client_for(User.objects.get(username="manager")).get("/").content.decode()
    assert "Check-up recall: no visit in 6 months" in home


@pytest.mark.django_db
def test_the_demo_schedule_holds_the_ehrs_appointments_and_its_reported_conflict() -> None:
    demo = build_demo(seed=42)
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
