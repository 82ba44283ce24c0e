"""A provider's absence over booked visits: recorded (open times skip it), its visits listed to
rebook, their patients asked once to call for a new time, bad absences refused with the reason."""

from __future__ import annotations

from datetime import date

import pytest

from carebond.accounts.models import User
from carebond.core.errors import InvalidInput
from carebond.core.permissions import Role
from carebond.messaging.models import Message
from carebond.people.actions import check_record_consent
from carebond.people.tests.factories import make_patient
from carebond.scheduling.absence_actions import check_add_absence, check_message_absence_patients
from carebond.scheduling.absence_selectors import list_absence_worklist, list_absences
from carebond.scheduling.actions import check_book_appointment
from carebond.scheduling.availability import open_times
from carebond.scheduling.models import Appointment
from carebond.scheduling.tests.conftest import CHICAGO, MONDAY_MORNING, Clinic, at

TUESDAY = date(2026, 3, 3)


def _visit(clinic: Clinic, given: str, hour: int, **kw: object) -> Appointment:
    patient = make_patient(clinic.organization, given, "Away", phone=f"+131255501{hour:02d}")
    check_record_consent(
        patient,
        channel="sms",
        purpose="appointment",
        status="granted",
        method="written",
        acting_user=None,
    )
    return check_book_appointment(
        patient,
        provider=kw.get("provider", clinic.doctor),  # type: ignore[arg-type]
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(TUESDAY, hour),
        acting_user=None,
    )


def test_an_absence_lists_the_visits_it_falls_on_and_their_patients_are_asked_once(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    manager, desk = users_a[Role.MANAGER], users_a[Role.FRONT_DESK]
    morning, afternoon = _visit(clinic, "Ana", 9), _visit(clinic, "Ben", 14)
    _visit(clinic, "Cy", 10, provider=clinic.nurse)  # (the nurse is in)
    # when the doctor's Tuesday morning is recorded as away
    absence = check_add_absence(
        location=clinic.location,
        provider=clinic.doctor,
        starts_at=at(TUESDAY, 8),
        ends_at=at(TUESDAY, 12),
        reason="Hospital rounds",
        acting_user=manager,
    )
    # then her morning is no longer open, and the one visit in it is on the worklist
    free = open_times(
        location=clinic.location,
        providers=[clinic.doctor],
        appointment_type=clinic.follow_up,
        first_day=TUESDAY,
        last_day=TUESDAY,
        now=MONDAY_MORNING,
    )
    assert free
    assert all(t.starts_at.astimezone(CHICAGO).hour >= 13 for t in free)
    [row] = list_absences(user=desk, location=clinic.location)
    assert (row.who, row.to_rebook) == ("Priya Raman", 1)
    worklist = list_absence_worklist(user=desk, absence=absence, location=clinic.location)
    assert [(r.appointment, r.messaged) for r in worklist] == [(morning, False)]
    # asking the patients to call: one message, and never twice
    first = check_message_absence_patients(absence, location=clinic.location, acting_user=desk)
    again = check_message_absence_patients(absence, location=clinic.location, acting_user=desk)
    assert (first.queued, first.blocked, again.queued, again.already) == (1, 0, 0, 1)
    [message] = Message.objects.filter(template_key="appointment_rebook")
    assert message.person == morning.patient
    assert "Please call" in message.body
    assert list_absence_worklist(user=desk, absence=absence, location=clinic.location)[0].messaged
    assert afternoon.status == "booked"


def test_bad_absences_are_refused_with_the_reason(clinic: Clinic, users_a: dict[str, User]) -> None:
    manager = users_a[Role.MANAGER]

    def add(**kw: object) -> object:
        values: dict[str, object] = {
            "location": clinic.location,
            "provider": clinic.doctor,
            "starts_at": at(TUESDAY, 8),
            "ends_at": at(TUESDAY, 12),
            "reason": "Leave",
            "acting_user": manager,
        }
        return check_add_absence(**(values | kw))  # type: ignore[arg-type]

    for change, field in (
        ({"ends_at": at(TUESDAY, 7)}, "ends_at"),
        ({"starts_at": at(date(2026, 2, 1), 8), "ends_at": at(date(2026, 2, 1), 9)}, "ends_at"),
        ({"reason": "  "}, "reason"),
        ({"provider": clinic.patient}, "provider"),
    ):
        with pytest.raises(InvalidInput) as refused:
            add(**change)
        assert refused.value.field == field
    assert list_absences(user=users_a[Role.FRONT_DESK], location=clinic.location) == []
