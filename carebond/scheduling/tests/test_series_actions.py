"""Several visits booked as one: a recurring series whose tenth visit collides is refused (or
that visit moved to the nearest open time that day), never overlapped; a series keeps its local
time across the change to daylight saving; "cancel this and the following"; a household booked
back to back, all or none."""

from __future__ import annotations

from datetime import UTC, date, time, timedelta

import pytest

from carebond.core.errors import RuleViolation
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import check_book_appointment
from carebond.scheduling.models import Appointment, AppointmentStatus
from carebond.scheduling.series_actions import (
    check_book_household,
    check_book_series,
    check_cancel_series_from,
    check_move_series_from,
)
from carebond.scheduling.tests.conftest import CHICAGO, Clinic, at

MONDAY = date(2026, 3, 2)  # (daylight saving starts on Sunday 8 March in Chicago)


def _weekly(clinic: Clinic, on_conflict: str) -> tuple[list[Appointment], list[object]]:
    return check_book_series(  # type: ignore[return-value]
        clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        first_starts_at=at(MONDAY, 9),
        every_days=7,
        occurrences=10,
        on_conflict=on_conflict,
        acting_user=None,
    )


def _taken_on_the_tenth_monday(clinic: Clinic) -> Appointment:
    return check_book_appointment(
        make_patient(clinic.organization, "Other", "Patient"),
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(MONDAY + timedelta(weeks=9), 9),
        acting_user=None,
    )


def test_a_series_whose_tenth_visit_collides_is_refused_naming_it(clinic: Clinic) -> None:
    _taken_on_the_tenth_monday(clinic)
    with pytest.raises(RuleViolation) as refused:
        _weekly(clinic, "refuse")
    assert "visit 10 (Mon 04 May 09:00): taken" in refused.value.message
    assert not Appointment.objects.filter(patient=clinic.patient).exists()


def test_adjusted_the_tenth_visit_moves_to_the_nearest_open_time_that_day(clinic: Clinic) -> None:
    other = _taken_on_the_tenth_monday(clinic)
    booked, moved = _weekly(clinic, "adjust")
    assert len(booked) == 10
    assert [o.number for o in moved] == [10]  # type: ignore[attr-defined]
    tenth = booked[-1]
    assert tenth.starts_at == at(MONDAY + timedelta(weeks=9), 9, 30)  # (right after the other)
    assert tenth.starts_at >= other.ends_at
    # the others keep 09:00 local, across the change to daylight saving
    assert [b.starts_at for b in booked[:9]] == [
        at(MONDAY + timedelta(weeks=n), 9) for n in range(9)
    ]
    # (in real time the week between them is an hour short)
    first, second = (b.starts_at.astimezone(UTC) for b in booked[:2])
    assert second - first == timedelta(days=7, hours=-1)
    assert len({b.series_id for b in booked}) == 1


def test_cancel_this_and_the_following(clinic: Clinic) -> None:
    booked, _ = _weekly(clinic, "refuse")
    cancelled = check_cancel_series_from(
        booked[7], cancelled_by="clinic", reason="Course ended early", acting_user=None
    )
    assert [c.pk for c in cancelled] == [b.pk for b in booked[7:]]
    statuses = list(
        Appointment.objects.filter(series=booked[0].series)
        .order_by("starts_at")
        .values_list("status", flat=True)
    )
    assert statuses == [AppointmentStatus.BOOKED] * 7 + [AppointmentStatus.CANCELLED] * 3


def test_a_household_is_booked_back_to_back_or_not_at_all(clinic: Clinic) -> None:
    child = make_patient(clinic.organization, "Tito", "Diaz")
    # the child's time, right after the mother's, is taken: nobody is booked
    check_book_appointment(
        make_patient(clinic.organization, "Other", "Patient"),
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(MONDAY, 9, 30),
        acting_user=None,
    )
    with pytest.raises(RuleViolation) as refused:
        check_book_household(
            [clinic.patient, child],
            provider=clinic.doctor,
            location=clinic.location,
            appointment_type=clinic.follow_up,
            starts_at=at(MONDAY, 9),
            acting_user=None,
        )
    assert "Tito Diaz at Mon 02 Mar 09:30: taken" in refused.value.message
    assert not Appointment.objects.filter(patient__in=[clinic.patient, child]).exists()
    # at 10:00 both fit
    booked = check_book_household(
        [clinic.patient, child],
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(MONDAY, 10),
        acting_user=None,
    )
    assert [(b.patient, b.starts_at) for b in booked] == [
        (clinic.patient, at(MONDAY, 10)),
        (child, at(MONDAY, 10, 30)),
    ]


def test_this_and_the_later_visits_move_to_another_time_of_day_or_none_do(
    clinic: Clinic,
) -> None:
    booked, _ = _weekly(clinic, "refuse")
    # the fourth Monday at 14:00 is taken: moving from the third to 14:00 moves nothing
    check_book_appointment(
        make_patient(clinic.organization, "Other", "Patient"),
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(MONDAY + timedelta(weeks=3), 14),
        acting_user=None,
    )
    with pytest.raises(RuleViolation) as refused:
        check_move_series_from(
            booked[2],
            starts_at=at(MONDAY + timedelta(weeks=2), 14),
            provider=clinic.doctor,
            acting_user=None,
        )
    assert "Mon 23 Mar 09:00: taken" in refused.value.message

    def local_times() -> list[time]:
        visits = Appointment.objects.filter(series=booked[0].series).order_by("starts_at")
        return [v.starts_at.astimezone(CHICAGO).time() for v in visits]

    assert local_times() == [time(9)] * 10
    # from the fifth on, to 15:00: those six move, the first four stay
    moved = check_move_series_from(
        booked[4],
        starts_at=at(MONDAY + timedelta(weeks=4), 15),
        provider=clinic.doctor,
        acting_user=None,
    )
    assert len(moved) == 6
    assert local_times() == [time(9)] * 4 + [time(15)] * 6
