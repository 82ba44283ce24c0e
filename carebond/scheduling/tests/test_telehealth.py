"""Telehealth: a video visit gets an unguessable room on the configured video service; the
patient's join page (no sign-in, English or Spanish) opens shortly before the visit and closes
with it, and an unknown link reveals nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from carebond.audit.models import AuditEvent
from carebond.scheduling.actions import check_book_appointment, check_cancel_appointment
from carebond.scheduling.models import Appointment
from carebond.scheduling.tests.conftest import Clinic, at, video_type

MONDAY = date(2026, 3, 2)


@pytest.fixture
def video_visit(clinic: Clinic, settings: Any) -> Appointment:
    settings.SCHEDULING_VIDEO_BASE_URL = "https://video.clinic.example/"
    video = video_type(clinic.organization)
    clinic.patient.preferred_language = "es"
    clinic.patient.save()
    return check_book_appointment(
        clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=video,
        starts_at=at(MONDAY, 10),
        acting_user=None,
    )


def test_each_video_visit_gets_its_own_unguessable_room(
    clinic: Clinic, video_visit: Appointment
) -> None:
    assert len(video_visit.telehealth_token) >= 32
    in_person = check_book_appointment(
        clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(MONDAY, 14),
        acting_user=None,
    )
    assert in_person.telehealth_token == ""


def test_the_join_page_opens_shortly_before_and_closes_with_the_visit(
    client: Client, video_visit: Appointment, monday: Any, users_a: Any
) -> None:
    link = f"/visit/{video_visit.telehealth_token}/"
    # at 08:00 for a 10:00 visit: in Spanish (the patient's language), not open yet
    page = client.get(link).content.decode()
    assert "Su consulta por video" in page
    assert "La sala abre a las 09:45" in page
    assert "video.clinic.example" not in page
    assert AuditEvent.objects.filter(action="appointment.join_page_opened").count() == 1
    # from 09:45 the room is open, on the configured service
    monday.move_to(at(MONDAY, 9, 46))
    page = client.get(link + "?lang=en").content.decode()
    assert "The room is open." in page
    assert f"https://video.clinic.example/carebond-{video_visit.telehealth_token}" in page
    # once the visit is cancelled, closed
    check_cancel_appointment(
        video_visit, cancelled_by="clinic", reason="Provider ill", acting_user=users_a["admin"]
    )
    page = client.get(link + "?lang=en").content.decode()
    assert "This visit has ended or was cancelled" in page
    assert "carebond-" not in page


def test_an_unknown_link_reveals_nothing(client: Client, video_visit: Appointment) -> None:
    response = client.get("/visit/not-a-real-token-at-all-0123456789/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "This link is not valid." in body
    assert video_visit.organization.name not in body


def test_without_a_video_service_the_patient_is_told_what_happens(
    client: Client, video_visit: Appointment, monday: Any, settings: Any
) -> None:
    settings.SCHEDULING_VIDEO_BASE_URL = ""
    monday.move_to(at(MONDAY, 9, 50))
    page = client.get(f"/visit/{video_visit.telehealth_token}/?lang=en").content.decode()
    assert "The practice will send you the video link" in page
    assert "Join the video visit" not in page
