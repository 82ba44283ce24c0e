"""Open times come from the applied template, minus breaks, exceptions and what is booked,
within the type's rules, in the location's time zone across daylight-saving changes."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from carebond.core import clock
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import do_book_appointment
from carebond.scheduling.availability import first_available, open_times
from carebond.scheduling.models import (
    AppointmentType,
    BlockKind,
    ScheduleException,
    TemplateBlock,
)
from carebond.scheduling.tests.conftest import Clinic, at

MONDAY = date(2026, 3, 2)


def starts(
    clinic: Clinic, appointment_type: AppointmentType, day: date, **kwargs: Any
) -> list[str]:
    found = open_times(
        location=clinic.location,
        providers=[kwargs.pop("provider", clinic.doctor)],
        appointment_type=appointment_type,
        first_day=day,
        last_day=day,
        now=clock.now(),
        **kwargs,
    )
    return [f"{t.starts_at:%H:%M}" for t in found]


def test_a_day_offers_every_start_of_its_open_blocks_and_none_in_the_break(clinic: Clinic) -> None:
    found = starts(clinic, clinic.follow_up, MONDAY)
    assert found[:3] == ["09:00", "09:15", "09:30"]
    assert "11:30" in found
    assert "11:45" not in found  # a 30-minute visit would run into the break
    assert not any(t.startswith("12:") for t in found)
    assert found[-1] == "16:30"
    assert len(found) == 11 + 15
    # and the weekend has none
    assert starts(clinic, clinic.follow_up, MONDAY - timedelta(days=1)) == []


def test_a_booked_visit_takes_its_time_and_only_its_time(clinic: Clinic) -> None:
    do_book_appointment(
        clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(MONDAY, 10),
        acting_user=None,
        via="staff",
    )
    found = starts(clinic, clinic.follow_up, MONDAY)
    assert "09:30" in found  # ends as the booked visit begins
    assert {"09:45", "10:00", "10:15"}.isdisjoint(found)
    assert "10:30" in found
    # and the other provider's day is untouched
    assert "10:00" in starts(clinic, clinic.follow_up, MONDAY, provider=clinic.nurse)


def test_an_exception_closes_its_hours(clinic: Clinic) -> None:
    ScheduleException.objects.create(
        organization=clinic.organization,
        provider=clinic.doctor,
        starts_at=at(MONDAY, 13),
        ends_at=at(MONDAY, 17),
        reason="Training",
    )
    found = starts(clinic, clinic.follow_up, MONDAY)
    assert found[-1] == "11:30"
    # a location's holiday closes it for every provider
    ScheduleException.objects.create(
        organization=clinic.organization,
        location=clinic.location,
        starts_at=at(MONDAY + timedelta(days=1), 0),
        ends_at=at(MONDAY + timedelta(days=2), 0),
        reason="Holiday",
    )
    tuesday = MONDAY + timedelta(days=1)
    assert starts(clinic, clinic.follow_up, tuesday, provider=clinic.nurse) == []


def test_a_same_day_hold_opens_on_the_day_at_its_release_time(clinic: Clinic, monday: Any) -> None:
    afternoons = TemplateBlock.objects.filter(
        template__provider=clinic.doctor, kind=BlockKind.OPEN, starts=time(13)
    )
    afternoons.update(kind=BlockKind.HOLD, released_at=time(11))
    # before 11:00 the afternoon is held; a later Monday's afternoon is never offered ahead
    assert starts(clinic, clinic.follow_up, MONDAY)[-1] == "11:30"
    assert starts(clinic, clinic.follow_up, MONDAY + timedelta(days=7))[-1] == "11:30"
    # from 11:00 on the day, it is open
    monday.move_to(at(MONDAY, 11, 5))
    assert starts(clinic, clinic.follow_up, MONDAY)[-1] == "16:30"


def test_times_stay_on_the_wall_clock_across_the_daylight_saving_change(clinic: Clinic) -> None:
    # 8 March 2026: Chicago moves from UTC-6 to UTC-5
    before = open_times(
        location=clinic.location,
        providers=[clinic.doctor],
        appointment_type=clinic.follow_up,
        first_day=MONDAY,
        last_day=MONDAY,
        now=clock.now(),
    )[0]
    after = open_times(
        location=clinic.location,
        providers=[clinic.doctor],
        appointment_type=clinic.follow_up,
        first_day=MONDAY + timedelta(days=7),
        last_day=MONDAY + timedelta(days=7),
        now=clock.now(),
    )[0]
    assert (before.starts_at.hour, after.starts_at.hour) == (9, 9)
    assert before.starts_at.utcoffset() == timedelta(hours=-6)
    assert after.starts_at.utcoffset() == timedelta(hours=-5)


def test_a_group_visit_stays_open_until_its_seats_are_taken(clinic: Clinic) -> None:
    for n in range(2):
        do_book_appointment(
            make_patient(clinic.organization, f"Pat{n}", "Class"),
            provider=clinic.doctor,
            location=clinic.location,
            appointment_type=clinic.group_class,
            starts_at=at(MONDAY, 10),
            acting_user=None,
            via="staff",
        )
    found = open_times(
        location=clinic.location,
        providers=[clinic.doctor],
        appointment_type=clinic.group_class,
        first_day=MONDAY,
        last_day=MONDAY,
        now=clock.now(),
    )
    ten = next(t for t in found if t.starts_at == at(MONDAY, 10))
    assert ten.seats_left == 1
    # a one-to-one visit cannot start inside the class
    assert "10:00" not in starts(clinic, clinic.follow_up, MONDAY)


def test_the_types_rules_shape_what_patients_are_offered(clinic: Clinic) -> None:
    clinic.follow_up.not_same_day = True
    clinic.follow_up.max_days_ahead = 7
    clinic.follow_up.save()
    assert starts(clinic, clinic.follow_up, MONDAY) == []
    assert starts(clinic, clinic.follow_up, MONDAY + timedelta(days=1)) != []
    assert starts(clinic, clinic.follow_up, MONDAY + timedelta(days=8)) == []
    # staff looking past the rules still see the schedule
    assert starts(clinic, clinic.follow_up, MONDAY, apply_rules=False) != []


def test_first_available_looks_across_providers(clinic: Clinic) -> None:
    ScheduleException.objects.create(
        organization=clinic.organization,
        provider=clinic.doctor,
        starts_at=at(MONDAY, 0),
        ends_at=at(MONDAY + timedelta(days=30), 0),
        reason="Leave",
    )
    found = first_available(
        location=clinic.location,
        providers=[clinic.doctor, clinic.nurse],
        appointment_type=clinic.follow_up,
        now=clock.now(),
        count=3,
    )
    assert [t.provider_id for t in found] == [clinic.nurse.pk] * 3
    assert found[0].starts_at == at(MONDAY, 9)


def test_a_buffer_keeps_a_visit_clear_of_leave_that_starts_just_after_the_block(
    clinic: Clinic,
) -> None:
    # a 10-minute buffer after each afternoon visit, and leave from 17:05
    TemplateBlock.objects.filter(template__provider=clinic.doctor, starts=time(13)).update(
        buffer_minutes=10
    )
    ScheduleException.objects.create(
        organization=clinic.organization,
        provider=clinic.doctor,
        starts_at=at(MONDAY, 17, 5),
        ends_at=at(MONDAY, 18),
        reason="Meeting",
    )
    found = starts(clinic, clinic.follow_up, MONDAY)
    # 16:30-17:00 would need its buffer until 17:10, into the meeting
    assert found[-1] == "16:15"
