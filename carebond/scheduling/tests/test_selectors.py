"""A day's schedule for staff: in time order, audited as one read, never another
organisation's or the analyst's."""

from __future__ import annotations

from datetime import date

import pytest

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import NotFound
from carebond.core.permissions import Role
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import check_book_appointment
from carebond.scheduling.availability import OpenTime
from carebond.scheduling.selectors import list_day_appointments, list_open_times
from carebond.scheduling.tests.conftest import Clinic, at

MONDAY = date(2026, 3, 2)


def test_the_days_list_is_in_time_order_and_audited(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    for hour, given in ((14, "Late"), (9, "Early")):
        check_book_appointment(
            make_patient(clinic.organization, given, "Visit"),
            provider=clinic.doctor,
            location=clinic.location,
            appointment_type=clinic.follow_up,
            starts_at=at(MONDAY, hour),
            acting_user=None,
        )
    day = list_day_appointments(user=users_a[Role.FRONT_DESK], location=clinic.location, day=MONDAY)
    assert [a.patient.given_name for a in day] == ["Early", "Late"]
    assert AuditEvent.objects.filter(action="appointment.list").count() == 1
    # a day with nothing is empty, not an error
    assert (
        list_day_appointments(
            user=users_a[Role.FRONT_DESK], location=clinic.location, day=date(2026, 3, 3)
        )
        == []
    )


def test_the_analyst_and_another_organisation_see_no_schedule(
    clinic: Clinic, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    for user in (users_a[Role.ANALYST], users_b[Role.FRONT_DESK]):
        with pytest.raises(NotFound):
            list_day_appointments(user=user, location=clinic.location, day=MONDAY)
        with pytest.raises(NotFound):
            list_open_times(
                user=user,
                location=clinic.location,
                appointment_type=clinic.follow_up,
                providers=[clinic.doctor],
                day=MONDAY,
            )


def test_staff_see_the_days_open_times_and_past_the_rules_on_request(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    clinic.follow_up.not_same_day = True
    clinic.follow_up.save()

    def offered(*, past_the_rules: bool = False) -> list[OpenTime]:
        return list_open_times(
            user=users_a[Role.FRONT_DESK],
            location=clinic.location,
            appointment_type=clinic.follow_up,
            providers=[clinic.doctor],
            day=MONDAY,
            past_the_rules=past_the_rules,
        )

    assert offered() == []
    assert offered(past_the_rules=True)[0].starts_at == at(MONDAY, 9)
