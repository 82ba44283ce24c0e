"""Calendar invitations: the booking's confirmation email carries an .ics the patient's
calendar accepts (read back here with icalendar from a real SMTP server); moving the visit
updates the same entry (same UID, higher SEQUENCE), cancelling removes it (METHOD:CANCEL).
Staff and the patient can download the file. Reminders go at each type's own offsets, a video
visit's carry the join link, and a reminder sent by a scan that runs twice goes once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, timedelta
from typing import Any

import pytest
from django.test import Client
from icalendar import Calendar

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.messaging.actions import check_add_sender
from carebond.messaging.dispatch_actions import dispatch_due_messages
from carebond.messaging.models import Message, MessageStatus
from carebond.people.actions import check_record_consent
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import (
    check_book_appointment,
    check_cancel_appointment,
    check_reschedule_appointment,
)
from carebond.scheduling.invitations import calendar_url, invitation_uid
from carebond.scheduling.models import Appointment, AppointmentType
from carebond.scheduling.tests.conftest import Clinic, at, video_type
from carebond.testing.fixtures import Mailbox
from carebond.testing.sms_provider import SmsProvider

MONDAY, TUESDAY, THURSDAY = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 5)
EMAIL = "lena.park@example.org"


@pytest.fixture
def emailed(clinic: Clinic) -> Person:
    """A patient reached by email only, and the clinic's email sender."""
    check_add_sender(
        clinic.organization,
        channel="email",
        address="visits@alder.example.org",
        label="Visits",
        purposes=["appointment"],
        per_second=100,
    )
    return make_patient(
        clinic.organization, "Lena", "Park", email=EMAIL, time_zone="America/Chicago"
    )


def book(clinic: Clinic, patient: Person, when: Any, kind: AppointmentType | None = None) -> Any:
    return check_book_appointment(
        patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=kind or clinic.follow_up,
        starts_at=when,
        acting_user=None,
    )


def calendars(mailbox: Mailbox) -> list[tuple[str, Calendar]]:
    """(subject, the invitation read back) of each email received, in order."""
    found = []
    for email in mailbox.to(EMAIL):
        [part] = list(email.iter_attachments())
        assert part.get_content_type() == "text/calendar"
        calendar = Calendar.from_ical(part.get_content())
        assert part.get_param("method") == str(calendar["METHOD"])
        found.append((str(email["Subject"]), calendar))
    return found


def the_event(calendar: Calendar) -> Any:
    [event] = calendar.walk("VEVENT")
    return event


def test_a_booking_emails_an_invitation_the_calendar_reads_with_the_minimum_necessary(
    clinic: Clinic, emailed: Person, smtp_server: Mailbox
) -> None:
    # when the patient is booked for a follow-up on Tuesday at 10:00 (Chicago)
    appointment = book(clinic, emailed, at(TUESDAY, 10))
    dispatch_due_messages()
    # then the email's invitation asks the calendar to add the visit, at its real time
    [(subject, calendar)] = calendars(smtp_server)
    assert subject == "Your visit at Alder Family Practice: Tue 3 Mar at 10:00 AM"
    assert str(calendar["METHOD"]) == "REQUEST"
    event = the_event(calendar)
    assert str(event["UID"]) == invitation_uid(appointment)
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == at(TUESDAY, 10).astimezone(UTC)
    assert event.decoded("DTEND") == at(TUESDAY, 10, 30).astimezone(UTC)
    assert str(event["SUMMARY"]) == "Visit at Alder Family Practice"
    assert str(event["LOCATION"]) == "Main clinic"
    assert str(event["ORGANIZER"]) == "mailto:visits@alder.example.org"
    assert str(event["ATTENDEE"]) == f"mailto:{EMAIL}"
    # and it names no visit type, provider or reason (minimum necessary)
    text = calendar.to_ical().decode()
    assert "Follow-up" not in text
    assert "Raman" not in text


def test_moving_updates_the_same_entry_and_cancelling_removes_it(
    clinic: Clinic, emailed: Person, smtp_server: Mailbox, users_a: dict[str, User]
) -> None:
    appointment = book(clinic, emailed, at(TUESDAY, 10))
    # when the visit is moved to 14:00, then cancelled by the clinic
    check_reschedule_appointment(appointment, starts_at=at(TUESDAY, 14), acting_user=None)
    appointment.refresh_from_db()
    check_cancel_appointment(
        appointment, cancelled_by="clinic", reason="Provider ill", acting_user=users_a["admin"]
    )
    dispatch_due_messages()
    # then three versions of one invitation arrived: booked, moved, cancelled
    received = calendars(smtp_server)
    methods = [str(c["METHOD"]) for _, c in received]
    events = [the_event(c) for _, c in received]
    assert methods == ["REQUEST", "REQUEST", "CANCEL"]
    assert {str(e["UID"]) for e in events} == {invitation_uid(appointment)}
    assert [e["SEQUENCE"] for e in events] == [0, 1, 2]
    assert events[1].decoded("DTSTART") == at(TUESDAY, 14).astimezone(UTC)
    assert str(events[2]["STATUS"]) == "CANCELLED"
    assert received[2][0] == "Cancelled: your visit at Alder Family Practice"


def test_a_patient_without_an_email_address_gets_no_invitation(clinic: Clinic) -> None:
    book(clinic, clinic.patient, at(TUESDAY, 10))
    assert not Message.objects.filter(channel="email").exists()


def test_a_video_visits_reminder_and_invitation_carry_the_join_link_in_the_patients_language(
    clinic: Clinic, emailed: Person, smtp_server: Mailbox, sms_provider: SmsProvider, settings: Any
) -> None:
    settings.BASE_URL = "https://care.alder.example.org"
    video = video_type(clinic.organization)
    clinic.patient.preferred_language = "es"
    clinic.patient.save()
    # when a Spanish-speaking patient with a phone and an English one with an email are booked
    texted = book(clinic, clinic.patient, at(THURSDAY, 10), video)
    mailed = book(clinic, emailed, at(THURSDAY, 11), video)
    # then the text reminder (72 hours ahead) carries the join link, in Spanish, within the
    # 160 characters a reminder without consent may have
    reminder = Message.objects.filter(
        person=clinic.patient, template_key="appointment_reminder_video"
    ).earliest("due_at")
    link = f"https://care.alder.example.org/visit/{texted.telehealth_token}/"
    assert link in reminder.body
    assert (
        reminder.body
        == f"Hola Rosa, consulta por video jue 5 mar a las 10:00: {link} C: confirmar. N: cancelar."
    )
    assert len(reminder.body) <= 160
    assert reminder.status == MessageStatus.QUEUED
    # and the invitation email names the join link, as does the calendar entry
    dispatch_due_messages()
    [email] = smtp_server.to(EMAIL)
    mailed_link = f"https://care.alder.example.org/visit/{mailed.telehealth_token}/"
    words = email.get_body(("plain",))
    assert words is not None
    assert mailed_link in words.get_content()
    event = the_event(calendars(smtp_server)[0][1])
    assert str(event["URL"]) == mailed_link
    assert str(event["LOCATION"]) == "Video visit"


def test_reminders_go_at_the_types_own_offsets(clinic: Clinic) -> None:
    clinic.follow_up.reminder_hours = [48, 2]
    clinic.follow_up.save()
    appointment = book(clinic, clinic.patient, at(THURSDAY, 10))
    due = sorted(
        Message.objects.filter(template_key="appointment_reminder").values_list("due_at", flat=True)
    )
    assert due == [appointment.starts_at - timedelta(hours=h) for h in (48, 2)]


def test_a_reminder_scan_that_runs_twice_sends_once(
    clinic: Clinic, sms_provider: SmsProvider, monday: Any
) -> None:
    book(clinic, clinic.patient, at(THURSDAY, 10))  # 72 hours ahead: Monday 10:00
    monday.move_to(at(MONDAY, 10, 1))
    dispatch_due_messages()
    dispatch_due_messages()
    texts = sms_provider.to("+13125550123")
    assert len(texts) == 1
    assert "Reply C to confirm, N to cancel" in texts[0]["body"]


def test_staff_and_the_patient_download_the_visits_file(
    clinic: Clinic,
    emailed: Person,
    client_for: Callable[[User], Client],
    users_a: dict[str, User],
    outsider_b: User,
) -> None:
    appointment: Appointment = book(clinic, emailed, at(TUESDAY, 10))
    staff_link = f"/schedule/appointments/{appointment.public_id}/visit.ics"
    # staff: an audited read of the appointment
    response = client_for(users_a["front_desk"]).get(staff_link)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(the_event(calendar)["UID"]) == invitation_uid(appointment)
    assert AuditEvent.objects.filter(
        action="appointment.read", target_id=str(appointment.public_id)
    ).exists()
    # another organisation's staff: as if it did not exist
    assert client_for(outsider_b).get(staff_link).status_code == 404
    # the patient: by the signed link in their email, audited as theirs
    response = Client().get(calendar_url(appointment))
    assert response.status_code == 200
    assert Calendar.from_ical(response.content)["METHOD"] == "PUBLISH"
    assert AuditEvent.objects.filter(action="appointment.invitation_downloaded").count() == 1
    # a tampered link says only that it is not valid
    tampered = Client().get(calendar_url(appointment)[:-3] + "xyz/")
    assert tampered.status_code == 404
    assert tampered.content.decode() == "This link is not valid. / Este enlace no es válido."


def test_the_day_shows_why_a_patients_reminder_will_not_go(
    clinic: Clinic, client_for: Callable[[User], Client], users_a: dict[str, User]
) -> None:
    # given a patient who revoked consent to texts, booked beside one who can be reminded
    check_record_consent(
        clinic.patient,
        channel="sms",
        purpose="appointment",
        status="revoked",
        method="verbal",
        acting_user=None,
    )
    stopped = book(clinic, clinic.patient, at(THURSDAY, 10))
    reachable = book(
        clinic,
        make_patient(clinic.organization, "Ana", "Ruiz", phone="+13125550177"),
        at(THURSDAY, 11),
    )
    # when the desk opens Thursday
    page = (
        client_for(users_a["front_desk"])
        .get(f"/schedule/?location={clinic.location.public_id}&day={THURSDAY.isoformat()}")
        .content.decode()
    )
    # then the stopped patient's visit says why no reminder goes; the other's says nothing
    assert (
        f'data-testid="reminder-problem-{stopped.public_id}">Reminder not sent: Opted out of '
        "text messages for appointment on 2026-03-02." in page
    )
    assert f"reminder-problem-{reachable.public_id}" not in page
