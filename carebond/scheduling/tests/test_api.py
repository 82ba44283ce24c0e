"""The scheduling API: open times, booking (a taken time is a 409 with the next times), moving,
cancelling and the visit's steps, with the same rules as the pages; never for the analyst or
another organisation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.permissions import Role
from carebond.people.tests.factories import make_patient
from carebond.scheduling.models import Appointment, AppointmentStatus
from carebond.scheduling.tests.conftest import Clinic, at

pytestmark = pytest.mark.django_db

API = "/api/v1/scheduling"
MONDAY = date(2026, 3, 2)


@pytest.fixture
def desk(users_a: dict[str, User], api_for: Callable[[User], Client]) -> Client:
    return api_for(users_a[Role.FRONT_DESK])


def _booking(clinic: Clinic, hour: int, **extra: Any) -> dict[str, Any]:
    return {
        "patient": str(clinic.patient.public_id),
        "provider": str(clinic.doctor.public_id),
        "location": str(clinic.location.public_id),
        "appointment_type": str(clinic.follow_up.public_id),
        "starts_at": at(MONDAY, hour).isoformat(),
        **extra,
    }


def test_a_client_finds_an_open_time_and_books_it(clinic: Clinic, desk: Client) -> None:
    # the first available across providers from Monday
    response = desk.get(
        f"{API}/open-times",
        {
            "location": str(clinic.location.public_id),
            "appointment_type": str(clinic.follow_up.public_id),
            "day": MONDAY.isoformat(),
        },
    )
    assert response.status_code == 200
    first = response.json()[0]
    assert first["starts_at"].startswith("2026-03-02T09:00")
    # booking it
    response = desk.post(
        f"{API}/appointments", _booking(clinic, 9), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["duration_minutes"], body["booked_via"]) == ("booked", 30, "api")
    assert Appointment.objects.get(public_id=body["id"]).patient == clinic.patient
    # the day's list has it
    listed = desk.get(
        f"{API}/appointments", {"location": str(clinic.location.public_id), "day": "2026-03-02"}
    ).json()
    assert [a["id"] for a in listed] == [body["id"]]
    # and reading it alone is an audited read naming the patient
    assert desk.get(f"{API}/appointments/{body['id']}").json()["id"] == body["id"]
    read = AuditEvent.objects.get(action="appointment.read")
    assert read.patient_id == str(clinic.patient.public_id)


def test_a_taken_time_is_a_409_with_the_next_times(clinic: Clinic, desk: Client) -> None:
    desk.post(f"{API}/appointments", _booking(clinic, 9), content_type="application/json")
    other = make_patient(clinic.organization, "Luis", "Mora")
    response = desk.post(
        f"{API}/appointments",
        _booking(clinic, 9, patient=str(other.public_id)),
        content_type="application/json",
    )
    assert response.status_code == 409
    message = str(response.json())
    assert "not an open time" in message
    assert "Next open: Mon 02 Mar 09:30" in message
    assert not Appointment.objects.filter(patient=other).exists()


def test_junk_is_refused_at_its_field_and_nothing_is_written(clinic: Clinic, desk: Client) -> None:
    response = desk.post(
        f"{API}/appointments",
        _booking(clinic, 9, starts_at="next tuesday"),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "starts_at" in str(response.json())
    response = desk.post(
        f"{API}/appointments",
        _booking(clinic, 9, starts_at="2026-03-02T09:00:00"),  # no zone
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not Appointment.objects.exists()


def test_move_cancel_and_steps_through_the_api(clinic: Clinic, desk: Client) -> None:
    booked = desk.post(
        f"{API}/appointments", _booking(clinic, 9), content_type="application/json"
    ).json()
    moved = desk.post(
        f"{API}/appointments/{booked['id']}/reschedule",
        {"starts_at": at(MONDAY, 14).isoformat()},
        content_type="application/json",
    )
    assert moved.status_code == 200
    assert moved.json()["starts_at"].startswith("2026-03-02T20:00")  # 14:00 in Chicago, in UTC
    arrived = desk.post(
        f"{API}/appointments/{booked['id']}/steps",
        {"step": "arrive"},
        content_type="application/json",
    )
    assert arrived.json()["status"] == "arrived"
    # an arrived visit cannot be cancelled: a 409 with the reason
    refused = desk.post(
        f"{API}/appointments/{booked['id']}/cancel",
        {"cancelled_by": "patient", "reason": "Busy"},
        content_type="application/json",
    )
    assert refused.status_code == 409
    assert Appointment.objects.get(public_id=booked["id"]).status == AppointmentStatus.ARRIVED


def test_the_analyst_and_another_organisation_get_nothing(
    clinic: Clinic,
    users_a: dict[str, User],
    users_b: dict[str, User],
    api_for: Callable[[User], Client],
    desk: Client,
) -> None:
    booked = desk.post(
        f"{API}/appointments", _booking(clinic, 9), content_type="application/json"
    ).json()
    analyst = api_for(users_a[Role.ANALYST])
    assert analyst.get(f"{API}/appointments/{booked['id']}").status_code == 403
    outsider = api_for(users_b[Role.FRONT_DESK])
    assert outsider.get(f"{API}/appointments/{booked['id']}").status_code == 404
    response = outsider.post(
        f"{API}/appointments/{booked['id']}/cancel",
        {"cancelled_by": "clinic", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Appointment.objects.get(public_id=booked["id"]).status == AppointmentStatus.BOOKED


def test_an_unknown_location_or_patient_is_a_422_at_its_field(clinic: Clinic, desk: Client) -> None:
    response = desk.get(
        f"{API}/appointments",
        {"location": "00000000-0000-4000-8000-000000000000", "day": "2026-03-02"},
    )
    assert (response.status_code, response.json()["field"]) == (422, "location")
    response = desk.post(
        f"{API}/appointments",
        _booking(clinic, 9, patient="00000000-0000-4000-8000-000000000000"),
        content_type="application/json",
    )
    assert (response.status_code, response.json()["field"]) == (422, "patient")
    assert not Appointment.objects.exists()


def test_days_and_times_at_the_edge_of_the_calendar_are_a_422_not_a_crash(
    clinic: Clinic, desk: Client, client_for: Any, users_a: dict[str, User]
) -> None:
    response = desk.get(
        f"{API}/appointments", {"location": str(clinic.location.public_id), "day": "9999-12-31"}
    )
    assert (response.status_code, response.json()["field"]) == (422, "day")
    response = desk.get(
        f"{API}/open-times",
        {
            "location": str(clinic.location.public_id),
            "appointment_type": str(clinic.follow_up.public_id),
            "day": "9999-12-31",
        },
    )
    assert (response.status_code, response.json()["field"]) == (422, "day")
    response = desk.post(
        f"{API}/appointments",
        _booking(clinic, 9, starts_at="9999-12-31T23:40:00-06:00"),
        content_type="application/json",
    )
    assert (response.status_code, response.json()["field"]) == (422, "starts_at")
    assert not Appointment.objects.exists()
    # and the pages fall back to today, or say what is wrong with the day
    pages = client_for(users_a[Role.FRONT_DESK])
    assert pages.get("/schedule/?day=9999-12-31").status_code == 200
    page = pages.get(
        "/schedule/book/",
        {
            "patient": str(clinic.patient.public_id),
            "appointment_type": str(clinic.follow_up.public_id),
            "provider": str(clinic.doctor.public_id),
            "day": "9999-12-31",
        },
    )
    assert page.status_code == 400
    assert "is after" in page.content.decode()


def test_a_client_lists_the_schedules_of_a_place_or_a_provider(
    clinic: Clinic, desk: Client
) -> None:
    # when a client lists the schedules at the clinic
    response = desk.get(f"{API}/schedules", {"location": str(clinic.location.public_id)})
    # then each provider has one there, open-ended since January
    assert response.status_code == 200
    found = response.json()
    assert {s["provider_id"] for s in found} == {
        str(clinic.doctor.public_id),
        str(clinic.nurse.public_id),
    }
    assert {(s["starts_on"], s["ends_on"], s["active"]) for s in found} == {
        ("2026-01-01", None, True)
    }
    # and one provider's, by the provider
    mine = desk.get(f"{API}/schedules", {"provider": str(clinic.doctor.public_id)}).json()
    assert [s["provider_id"] for s in mine] == [str(clinic.doctor.public_id)]


def test_schedules_are_neither_another_organisations_nor_the_analysts(
    clinic: Clinic,
    users_a: dict[str, User],
    outsider_b: User,
    api_for: Callable[[User], Client],
) -> None:
    place = {"location": str(clinic.location.public_id)}
    outside = api_for(outsider_b).get(f"{API}/schedules", place)
    assert outside.status_code == 422
    assert outside.json()["field"] == "location"
    assert api_for(outsider_b).get(f"{API}/schedules").json() == []
    assert api_for(users_a[Role.ANALYST]).get(f"{API}/schedules").status_code == 403
