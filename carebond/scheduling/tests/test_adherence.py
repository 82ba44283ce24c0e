"""Adherence figures from worked numbers: show, no-show and late-cancel rates, median lead time
and waiting time, per group; for managers and the analyst (no patient named), not the desk."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.core import clock
from carebond.core.errors import InvalidInput, NotFound
from carebond.core.permissions import Role
from carebond.people.tests.factories import make_patient
from carebond.scheduling.models import Appointment, AppointmentStatus
from carebond.scheduling.selectors import list_adherence
from carebond.scheduling.tests.conftest import Clinic, at

MONDAY = date(2026, 3, 2)


def visits(clinic: Clinic) -> None:
    """Last week, with Dr Raman: three completed (waits 5, 10, 30 minutes; booked 2, 4, 10 days
    ahead), one no-show (booked 7 days ahead), one cancelled late by the patient (1 day ahead)."""
    rows = [
        (AppointmentStatus.FULFILLED, 2, 5, False),
        (AppointmentStatus.FULFILLED, 4, 10, False),
        (AppointmentStatus.FULFILLED, 10, 30, False),
        (AppointmentStatus.NOSHOW, 7, None, False),
        (AppointmentStatus.CANCELLED, 1, None, True),
    ]
    for n, (status, lead, wait, late) in enumerate(rows):
        starts = at(MONDAY - timedelta(days=7), 9 + n)
        arrived = starts - timedelta(minutes=5) if wait is not None else None
        Appointment.objects.create(
            organization=clinic.organization,
            patient=make_patient(clinic.organization, f"P{n}", "Pastorelli"),
            provider=clinic.doctor,
            location=clinic.location,
            appointment_type=clinic.follow_up,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            duration_minutes=30,
            time_zone="America/Chicago",
            status=status,
            group_key=f"g{n}",
            booked_at=starts - timedelta(days=lead),
            late_cancellation=late,
            arrived_at=arrived,
            roomed_at=arrived + timedelta(minutes=wait) if arrived and wait is not None else None,
        )


def test_the_figures_match_the_worked_numbers(clinic: Clinic, users_a: dict[str, User]) -> None:
    visits(clinic)
    # and one still to come this morning: not counted yet
    Appointment.objects.create(
        organization=clinic.organization,
        patient=clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(MONDAY, 9),
        ends_at=at(MONDAY, 9, 30),
        duration_minutes=30,
        time_zone="America/Chicago",
        group_key="future",
        booked_at=clock.now(),
    )
    (row,) = list_adherence(user=users_a[Role.ANALYST], group_by="provider", days=30)
    assert row.group == "Priya Raman"
    assert (row.visits, row.completed, row.no_shows, row.late_cancellations) == (5, 3, 1, 1)
    # of the five due (none cancelled in time): 3 kept, 1 missed, 1 cancelled late
    assert row.show_rate == pytest.approx(0.6)
    assert row.no_show_rate == pytest.approx(0.2)
    assert row.late_cancel_rate == pytest.approx(0.2)
    assert row.lead_days == 4.0  # median of 2, 4, 10, 7, 1
    assert row.wait_minutes == 10.0  # median of 5, 10, 30
    assert row.shown == {"show": "60%", "no_show": "20%", "late_cancel": "20%"}


def test_who_may_read_them_and_bad_choices(clinic: Clinic, users_a: dict[str, User]) -> None:
    with pytest.raises(NotFound):
        list_adherence(user=users_a[Role.FRONT_DESK], group_by="provider", days=30)
    with pytest.raises(InvalidInput):
        list_adherence(user=users_a[Role.MANAGER], group_by="patient", days=30)
    with pytest.raises(InvalidInput):
        list_adherence(user=users_a[Role.MANAGER], group_by="provider", days=7)


def test_the_page_and_the_api_show_them(
    clinic: Clinic, users_a: dict[str, User], client_for: Any, api_for: Callable[[User], Client]
) -> None:
    visits(clinic)
    page = client_for(users_a[Role.ANALYST]).get("/schedule/adherence/?group_by=location&days=90")
    assert page.status_code == 200
    assert "Main clinic" in page.content.decode()
    assert "60%" in page.content.decode()
    assert "Pastorelli" not in page.content.decode()  # no patient named
    response = api_for(users_a[Role.ANALYST]).get(
        "/api/v1/scheduling/adherence", {"group_by": "appointment_type", "days": "30"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body[0]["group"] == "Follow-up"
    assert body[0]["show_rate"] == pytest.approx(0.6)
