"""The kiosk: a patient checks in by birth date and the first letters of their family name;
no match, two matches or a visit far off all say the same thing and are counted; too many
failures pause the kiosk; a link is good for a working day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.errors import InvalidInput, NotFound
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import check_book_appointment
from carebond.scheduling.kiosk_actions import (
    MAX_FAILURES,
    check_kiosk_check_in,
    kiosk_location,
    kiosk_token,
)
from carebond.scheduling.models import Appointment, AppointmentStatus
from carebond.scheduling.tests.conftest import MONDAY_MORNING, Clinic

BORN = date(1980, 5, 17)


def _visit(clinic: Clinic, family: str, hour: int, born: date = BORN) -> Appointment:
    patient = make_patient(clinic.organization, "Rosa", family, birth_date=born)
    return check_book_appointment(
        patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=MONDAY_MORNING.replace(hour=hour),
        acting_user=None,
    )


def test_a_patient_checks_in_with_birth_date_and_the_first_letters(clinic: Clinic) -> None:
    visit = _visit(clinic, "Núñez", 9)
    found = check_kiosk_check_in(clinic.location, birth_date=BORN, family_start="nu")
    assert found is not None
    assert (found.first_name, found.starts, found.provider) == ("Rosa", "09:00", "Priya Raman")
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.CHECKED_IN
    assert visit.arrived_at == clock.now()
    assert AuditEvent.objects.filter(action="appointment.checked-in").count() == 1


def test_no_match_two_matches_and_a_later_visit_are_the_same_answer(clinic: Clinic) -> None:
    _visit(clinic, "Diaz", 9)
    _visit(clinic, "Diaz", 10)  # (two Rosa Diaz born the same day: the desk sorts it out)
    _visit(clinic, "Lopez", 14)  # (six hours away: not yet)
    for family in ("Diaz", "Lopez", "Kim"):
        assert check_kiosk_check_in(clinic.location, birth_date=BORN, family_start=family) is None
    assert not Appointment.objects.exclude(status=AppointmentStatus.BOOKED).exists()
    assert AuditEvent.objects.filter(action="kiosk.not_found", patient_id="").count() == 3
    with pytest.raises(InvalidInput):
        check_kiosk_check_in(clinic.location, birth_date=BORN, family_start="D")


def test_too_many_failures_pause_the_kiosk_for_a_while(clinic: Clinic) -> None:
    visit = _visit(clinic, "Diaz", 9)
    for _ in range(MAX_FAILURES):
        check_kiosk_check_in(clinic.location, birth_date=date(1990, 1, 1), family_start="xx")
    # even the right answer is now sent to the desk
    assert check_kiosk_check_in(clinic.location, birth_date=BORN, family_start="di") is None
    with time_machine.travel(clock.now() + timedelta(minutes=11), tick=False):
        assert check_kiosk_check_in(clinic.location, birth_date=BORN, family_start="di")
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.CHECKED_IN


def test_a_kiosk_link_is_good_for_a_working_day(clinic: Clinic) -> None:
    token = kiosk_token(clinic.location)
    assert kiosk_location(token) == clinic.location
    with pytest.raises(NotFound):
        kiosk_location(token + "x")
    with (
        time_machine.travel(clock.now() + timedelta(hours=17), tick=False),
        pytest.raises(NotFound),
    ):
        kiosk_location(token)
