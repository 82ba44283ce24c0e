"""The waitlist API: list, add and remove entries with the same rules as the page; bad input is
a 422 at its field with nothing written; never for the analyst or another organisation."""

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
from carebond.scheduling.actions import check_book_appointment, check_cancel_appointment
from carebond.scheduling.models import WaitlistEntry, WaitlistStatus
from carebond.scheduling.tests.conftest import Clinic, at
from carebond.scheduling.waitlist_actions import scan_waitlist

pytestmark = pytest.mark.django_db

API = "/api/v1/scheduling/waitlist"


@pytest.fixture
def desk(users_a: dict[str, User], api_for: Callable[[User], Client]) -> Client:
    return api_for(users_a[Role.FRONT_DESK])


def _entry(clinic: Clinic, **extra: Any) -> dict[str, Any]:
    return {
        "patient": str(clinic.patient.public_id),
        "appointment_type": str(clinic.follow_up.public_id),
        "providers": [str(clinic.doctor.public_id)],
        "locations": [str(clinic.location.public_id)],
        "weekdays": [1, 2],
        "times_of_day": ["morning"],
        "latest": "2026-03-31",
        "note": "Can come at short notice",
        **extra,
    }


def test_a_client_adds_a_patient_lists_the_waitlist_with_offers_and_removes_them(
    clinic: Clinic, desk: Client
) -> None:
    # when a client puts the patient on the waitlist
    response = desk.post(API, _entry(clinic), content_type="application/json")
    # then the entry is written with what suits them
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["added_via"], body["appointment_type"]) == (
        "active",
        "api",
        "follow-up",
    )
    assert body["providers"] == [str(clinic.doctor.public_id)]
    assert (body["weekdays"], body["times_of_day"]) == ([1, 2], ["morning"])
    # and when a Tuesday morning frees, the list shows the offer she was sent
    booked = check_book_appointment(
        make_patient(clinic.organization, "Luis", "Mora"),
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(date(2026, 3, 3), 10),
        acting_user=None,
    )
    check_cancel_appointment(booked, cancelled_by="patient", reason="Away", acting_user=None)
    scan_waitlist()
    listed = desk.get(API).json()
    assert [e["id"] for e in listed] == [body["id"]]
    assert [(o["status"], o["starts_at"][:16]) for o in listed[0]["offers"]] == [
        ("sent", "2026-03-03T16:00")
    ]
    assert AuditEvent.objects.filter(action="waitlist_entry.list").exists()
    # when the client takes her off
    response = desk.post(
        f"{API}/{body['id']}/remove",
        {"reason": "Booked elsewhere"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "removed"
    assert response.json()["offers"][0]["status"] == "withdrawn"
    assert desk.get(API).json() == []
    assert [e["id"] for e in desk.get(API, {"status": "removed"}).json()] == [body["id"]]
    # and twice is a 409
    again = desk.post(f"{API}/{body['id']}/remove", {}, content_type="application/json")
    assert again.status_code == 409


def test_junk_is_refused_at_its_field_and_nothing_is_written(
    clinic: Clinic, desk: Client, users_b: dict[str, User]
) -> None:
    nobody = "00000000-0000-4000-8000-000000000000"
    for junk, field in (
        ({"patient": nobody}, "patient"),
        ({"appointment_type": nobody}, "appointment_type"),
        ({"providers": [nobody]}, "providers"),
        ({"locations": [str(users_b[Role.ADMIN].organization.public_id)]}, "locations"),
        ({"earliest": "2026-03-20", "latest": "2026-03-10"}, "latest"),
        ({"weekdays": [9]}, "weekdays"),
        ({"times_of_day": ["midnight"]}, "times_of_day"),
        ({"note": "x" * 1001}, "note"),
        ({"colour": "red"}, "colour"),
    ):
        response = desk.post(API, _entry(clinic, **junk), content_type="application/json")
        assert response.status_code == 422, (junk, response.content)
        assert field in (response.json()["field"] or ""), (junk, response.json())
    assert not WaitlistEntry.objects.exists()
    # a patient already waiting for the type: a 409 saying so
    assert desk.post(API, _entry(clinic), content_type="application/json").status_code == 201
    response = desk.post(API, _entry(clinic), content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (409, "already_waiting")
    assert WaitlistEntry.objects.count() == 1


def test_the_analyst_and_another_organisation_get_nothing(
    clinic: Clinic,
    users_a: dict[str, User],
    users_b: dict[str, User],
    api_for: Callable[[User], Client],
    desk: Client,
) -> None:
    added = desk.post(API, _entry(clinic), content_type="application/json").json()
    assert api_for(users_a[Role.ANALYST]).get(API).status_code == 403
    assert api_for(users_a[Role.LIAISON]).get(API).status_code == 403
    outsider = api_for(users_b[Role.FRONT_DESK])
    assert outsider.get(API).json() == []
    response = outsider.post(f"{API}/{added['id']}/remove", {}, content_type="application/json")
    assert response.status_code == 404
    response = outsider.post(API, _entry(clinic), content_type="application/json")
    assert (response.status_code, response.json()["field"]) == (422, "patient")
    assert WaitlistEntry.objects.get(public_id=added["id"]).status == WaitlistStatus.ACTIVE
