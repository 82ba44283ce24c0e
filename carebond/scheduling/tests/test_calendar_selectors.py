"""The week calendar: a location's week by provider and day, in the location's time zone,
cancelled visits left out, audited as one read, never another organisation's."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import NotFound
from carebond.core.models import Location
from carebond.core.permissions import Role
from carebond.people.tests.factories import make_patient, make_staff
from carebond.scheduling.actions import check_book_appointment, check_cancel_appointment
from carebond.scheduling.calendar_selectors import list_week
from carebond.scheduling.models import Appointment
from carebond.scheduling.tests.conftest import Clinic, at

MONDAY = date(2026, 3, 2)


def _book(
    clinic: Clinic, given: str, day: date, hour: int, minute: int = 0, **kw: object
) -> Appointment:
    return check_book_appointment(
        make_patient(clinic.organization, given, "Week"),
        provider=kw.get("provider", clinic.doctor),  # type: ignore[arg-type]
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(day, hour, minute),
        acting_user=None,
    )


def test_the_week_shows_each_providers_visits_by_day_in_the_locations_time(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    # given visits on Monday and Wednesday for the doctor, one for the nurse, one cancelled
    _book(clinic, "Ana", MONDAY, 9)
    _book(clinic, "Ben", MONDAY + timedelta(days=2), 16, 30)
    _book(clinic, "Cy", MONDAY + timedelta(days=4), 10, provider=clinic.nurse)
    gone = _book(clinic, "Dee", MONDAY, 11)
    check_cancel_appointment(gone, cancelled_by="clinic", reason="Doctor away", acting_user=None)
    # when the front desk opens the week from its Wednesday
    week = list_week(
        user=users_a[Role.FRONT_DESK], location=clinic.location, day=MONDAY + timedelta(days=2)
    )
    # then the week runs Monday to Sunday, one row per provider with a week there
    assert week.days[0] == MONDAY
    assert len(week.days) == 7
    rows = {row.provider.pk: row for row in week.rows}
    assert set(rows) == {clinic.doctor.pk, clinic.nurse.pk}
    doctor = [[(v.starts, v.patient) for v in cell.visits] for cell in rows[clinic.doctor.pk].cells]
    assert doctor[0] == [("09:00", "Ana Week")]  # (the cancelled 11:00 is not shown)
    assert doctor[2] == [("16:30", "Ben Week")]  # (22:30 UTC: still Wednesday in Chicago)
    assert [len(c.visits) for c in rows[clinic.nurse.pk].cells] == [0, 0, 0, 0, 1, 0, 0]
    assert week.count == 3
    assert all(v.movable for c in rows[clinic.doctor.pk].cells for v in c.visits)
    # and it was one audited read
    assert AuditEvent.objects.filter(action="appointment.list").count() == 1


def test_one_providers_week_and_a_visiting_provider(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    # given a locum with no week at the location, booked there with an override
    locum = make_staff(clinic.organization, "Lou", "Locum")
    visit = _book(clinic, "Eve", MONDAY, 9)
    Appointment.objects.filter(pk=visit.pk).update(provider=locum)
    desk = users_a[Role.FRONT_DESK]
    # the location's week shows the locum's row too
    week = list_week(user=desk, location=clinic.location, day=MONDAY)
    assert [r.provider.display_name for r in week.rows] == [
        "Lou Locum",
        "Tom Okafor",
        "Priya Raman",
    ]
    # and one provider's week only theirs
    only = list_week(user=desk, location=clinic.location, day=MONDAY, provider=clinic.nurse)
    assert [r.provider for r in only.rows] == [clinic.nurse]
    assert only.count == 0


def test_no_week_for_the_analyst_or_another_organisations_place(
    clinic: Clinic, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    with pytest.raises(NotFound):
        list_week(user=users_a[Role.ANALYST], location=clinic.location, day=MONDAY)
    with pytest.raises(NotFound):
        list_week(user=users_b[Role.FRONT_DESK], location=clinic.location, day=MONDAY)
    other = Location.objects.create(organization=users_b[Role.FRONT_DESK].organization, name="X")
    with pytest.raises(NotFound):
        list_week(user=users_a[Role.FRONT_DESK], location=other, day=MONDAY)
