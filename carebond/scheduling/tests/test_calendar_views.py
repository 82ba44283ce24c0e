"""Moving a visit from the week calendar: a junk time, a time that is not open and a visit
that is no longer booked each get a clear message, and nothing moves."""

from __future__ import annotations

from datetime import date

from django.test import Client

from carebond.accounts.models import User
from carebond.core.permissions import Role
from carebond.scheduling.actions import check_book_appointment, check_cancel_appointment
from carebond.scheduling.models import Appointment
from carebond.scheduling.tests.conftest import Clinic, at
from carebond.testing.fixtures import sign_in

MONDAY = date(2026, 3, 2)


def _visit(clinic: Clinic) -> Appointment:
    return check_book_appointment(
        clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(MONDAY, 9),
        acting_user=None,
    )


def _move(client: Client, visit: Appointment, **data: str) -> list[str]:
    answer = client.post(f"/schedule/appointments/{visit.public_id}/move/", data, follow=True)
    assert answer.status_code == 200, answer.content.decode()[-3000:]
    return [str(m) for m in answer.context["messages"]]


def test_a_move_to_a_time_that_is_not_open_or_unreadable_says_why_and_moves_nothing(
    clinic: Clinic, users_a: dict[str, User], client: Client
) -> None:
    visit = _visit(clinic)
    sign_in(client, users_a[Role.FRONT_DESK])
    doctor = str(clinic.doctor.public_id)
    # a time that cannot be read
    assert _move(client, visit, provider=doctor, starts_at="next tuesday") == [
        "That time could not be read: choose it again."
    ]
    # the lunch break is not open
    said = _move(client, visit, provider=doctor, starts_at=at(MONDAY, 12, 15).isoformat())
    assert len(said) == 1
    assert "12:15 is not an open time" in said[0]
    # a provider of no one's
    said = _move(
        client,
        visit,
        provider="00000000-0000-0000-0000-000000000000",
        starts_at=at(MONDAY, 10).isoformat(),
    )
    assert said == ["No such provider."]
    visit.refresh_from_db()
    assert visit.starts_at == at(MONDAY, 9)
    assert visit.provider == clinic.doctor
    # and an open time moves it, to another provider too
    said = _move(
        client, visit, provider=str(clinic.nurse.public_id), starts_at=at(MONDAY, 14).isoformat()
    )
    assert said == [f"Moved: Rosa Diaz, now {said[0].split('now ', 1)[1]}"]
    visit.refresh_from_db()
    assert (visit.starts_at, visit.provider) == (at(MONDAY, 14), clinic.nurse)


def test_a_cancelled_visit_cannot_be_moved(
    clinic: Clinic, users_a: dict[str, User], client: Client
) -> None:
    visit = _visit(clinic)
    check_cancel_appointment(visit, cancelled_by="clinic", reason="Closed", acting_user=None)
    sign_in(client, users_a[Role.FRONT_DESK])
    page = client.get(f"/schedule/appointments/{visit.public_id}/move/")
    assert page.status_code == 400
    assert "Only a booked visit can be moved." in page.content.decode()
    assert _move(
        client, visit, provider=str(clinic.doctor.public_id), starts_at=at(MONDAY, 10).isoformat()
    ) == ["Only a booked appointment can be moved."]


def test_the_week_page_falls_back_to_this_week_for_a_day_it_cannot_read(
    clinic: Clinic, users_a: dict[str, User], client: Client
) -> None:
    sign_in(client, users_a[Role.FRONT_DESK])
    for day in ("9999-12-31", "yesterday", ""):
        page = client.get(
            "/schedule/week/", {"location": str(clinic.location.public_id), "day": day}
        )
        assert page.status_code == 200
        assert page.context["week"].days[0] == MONDAY
