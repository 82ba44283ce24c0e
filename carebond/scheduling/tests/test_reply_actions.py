"""Replies to reminders, through the text provider's signed webhook: "C" confirms, "N" cancels
and frees the time (never within the notice: "please call"), CANCEL stays a revocation, and a
reply that could mean several visits (one patient's, or a shared number's) is asked "which?"
before anything changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.messaging.dispatch_actions import dispatch_due_messages
from carebond.messaging.models import Conversation, MessageStatus
from carebond.messaging.models import Message as TextMessage
from carebond.people.models import Person
from carebond.people.selectors import consent_in_force
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import check_book_appointment
from carebond.scheduling.availability import open_times
from carebond.scheduling.models import Appointment, AppointmentStatus
from carebond.scheduling.tests.conftest import Clinic, at
from carebond.testing.sms_provider import SmsProvider, provider_signature

THURSDAY, FRIDAY = date(2026, 3, 5), date(2026, 3, 6)
CLINIC_LINE, ROSA = "+13125550100", "+13125550123"
URL = "http://testserver/messaging/sms/inbound"


def text_in(body: str, *, sid: str = "") -> None:
    params = {"From": ROSA, "To": CLINIC_LINE, "Body": body, "MessageSid": sid or uuid.uuid4().hex}
    response = Client().post(
        "/messaging/sms/inbound", params, HTTP_X_TWILIO_SIGNATURE=provider_signature(URL, params)
    )
    assert response.status_code == 200


def book(clinic: Clinic, patient: Person, when: Any) -> Appointment:
    return check_book_appointment(
        patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=when,
        acting_user=None,
    )


def answers(sms_provider: SmsProvider) -> list[str]:
    dispatch_due_messages()
    return [m["body"] for m in sms_provider.to(ROSA) if "reminder" not in m["body"]]


def waiting() -> bool:
    return Conversation.objects.get().waiting_since is not None


@pytest.mark.parametrize("word", ["C", "yes", " Sí. ", "confirm"])
def test_a_confirming_reply_confirms_the_visit_and_answers(
    word: str, clinic: Clinic, sms_provider: SmsProvider
) -> None:
    visit = book(clinic, clinic.patient, at(THURSDAY, 10))
    # when the patient replies to the reminder
    text_in(word)
    # then the visit is confirmed, audited and on the timeline, and the patient is thanked
    visit.refresh_from_db()
    assert visit.confirmed_at is not None
    assert AuditEvent.objects.filter(action="appointment.confirmed").count() == 1
    assert clinic.patient.touchpoints.filter(kind="scheduling", channel="sms").exists()
    assert answers(sms_provider) == [
        "Alder Family Practice: thank you, your visit on Thu 5 Mar at 10:00 AM is confirmed."
    ]
    # and nothing waits for staff
    assert not waiting()


def test_the_providers_retry_confirms_once(clinic: Clinic, sms_provider: SmsProvider) -> None:
    book(clinic, clinic.patient, at(THURSDAY, 10))
    text_in("C", sid="SM-same")
    text_in("C", sid="SM-same")
    assert AuditEvent.objects.filter(action="appointment.confirmed").count() == 1
    assert len(answers(sms_provider)) == 1


def test_n_cancels_the_visit_by_the_patient_and_frees_the_time(
    clinic: Clinic, sms_provider: SmsProvider
) -> None:
    clinic.location.phone = "+1 312 555 0100"
    clinic.location.save()
    visit = book(clinic, clinic.patient, at(THURSDAY, 10))
    # when
    text_in("N")
    # then the visit is cancelled by the patient, its reminders withdrawn, the time open again
    visit.refresh_from_db()
    assert (visit.status, visit.cancelled_by, visit.late_cancellation) == (
        AppointmentStatus.CANCELLED,
        "patient",
        False,
    )
    assert not TextMessage.objects.filter(
        template_key="appointment_reminder", status=MessageStatus.QUEUED
    ).exists()
    free = open_times(
        location=clinic.location,
        providers=[clinic.doctor],
        appointment_type=clinic.follow_up,
        first_day=THURSDAY,
        last_day=THURSDAY,
        now=at(THURSDAY, 8),
    )
    assert at(THURSDAY, 10) in [t.starts_at for t in free]
    assert answers(sms_provider) == [
        "Alder Family Practice: your visit on Thu 5 Mar at 10:00 AM is cancelled. To book "
        "another, call +1 312 555 0100."
    ]
    # and consent to texts is untouched (N is no revocation)
    assert consent_in_force(clinic.patient.pk, channel="sms", purpose="appointment") is None


def test_too_late_to_cancel_by_text_asks_for_a_call_and_waits_for_staff(
    clinic: Clinic, sms_provider: SmsProvider
) -> None:
    # given a visit this afternoon (within the 24 hours' notice)
    visit = book(clinic, clinic.patient, at(date(2026, 3, 2), 15))
    # when
    text_in("no")
    # then nothing changed, the patient is asked to call, and staff see the text
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.BOOKED
    [answer] = answers(sms_provider)
    assert "too soon to cancel by text. Please call" in answer
    assert waiting()


def test_cancel_is_a_revocation_never_a_cancellation(
    clinic: Clinic, sms_provider: SmsProvider
) -> None:
    visit = book(clinic, clinic.patient, at(THURSDAY, 10))
    text_in("CANCEL")
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.BOOKED
    record = consent_in_force(clinic.patient.pk, channel="sms", purpose="appointment")
    assert record is not None
    assert record.status == "revoked"


def test_several_visits_are_asked_about_and_the_number_chosen_is_confirmed(
    clinic: Clinic, sms_provider: SmsProvider
) -> None:
    first = book(clinic, clinic.patient, at(THURSDAY, 10))
    second = book(clinic, clinic.patient, at(FRIDAY, 9))
    # when the patient replies C: they are asked which, and nothing is confirmed yet
    text_in("C")
    assert answers(sms_provider) == [
        "Alder Family Practice: which visit? Reply with its number: 1 Thu 5 Mar at 10:00 AM, "
        "Main clinic; 2 Fri 6 Mar at 9:00 AM, Main clinic"
    ]
    assert not Appointment.objects.filter(confirmed_at__isnull=False).exists()
    # when they answer 2: the second is confirmed, the first is not
    text_in("2")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.confirmed_at, second.confirmed_at is not None) == (None, True)
    assert answers(sms_provider)[-1].endswith("your visit on Fri 6 Mar at 9:00 AM is confirmed.")
    # and a number with no question open is left to staff
    text_in("1")
    assert first.confirmed_at is None
    assert waiting()


def test_a_shared_number_is_asked_which_persons_visit(
    clinic: Clinic, sms_provider: SmsProvider
) -> None:
    son = make_patient(clinic.organization, "Leo", "Diaz", phone=ROSA)
    rosas = book(clinic, clinic.patient, at(THURSDAY, 10))
    leos = book(clinic, son, at(THURSDAY, 11))
    # when the shared number replies N: the question names each person's first name
    text_in("N")
    [question] = answers(sms_provider)
    assert "1 Rosa, Thu 5 Mar at 10:00 AM, Main clinic; 2 Leo, Thu 5 Mar at 11:00 AM" in question
    # when they answer 2: Leo's visit is cancelled, Rosa's stays
    text_in(" 2 ")
    rosas.refresh_from_db()
    leos.refresh_from_db()
    assert (rosas.status, leos.status) == (AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED)
    assert leos.cancelled_by == "patient"


def test_a_reply_with_no_visit_ahead_is_left_to_staff(
    clinic: Clinic, sms_provider: SmsProvider
) -> None:
    text_in("C")
    assert answers(sms_provider) == []
    assert waiting()


def test_the_api_says_when_the_patient_confirmed(
    clinic: Clinic,
    sms_provider: SmsProvider,
    api_for: Callable[[User], Client],
    users_a: dict[str, User],
) -> None:
    visit = book(clinic, clinic.patient, at(THURSDAY, 10))
    client = api_for(users_a["front_desk"])
    url = f"/api/v1/scheduling/appointments/{visit.public_id}"
    assert client.get(url).json()["confirmed_at"] is None
    text_in("C")
    assert client.get(url).json()["confirmed_at"] == "2026-03-02T14:00:00Z"
