"""What relationship health reads from scheduling: each visit's local day and what became of
it (kept, missed, cancelled late or in time, still booked); entries in error are no visits."""

from __future__ import annotations

from datetime import date, timedelta

from carebond.people.tests.factories import make_patient
from carebond.scheduling.models import Appointment
from carebond.scheduling.relationship_selectors import VisitRecord, visit_records
from carebond.scheduling.tests.conftest import Clinic, at


def test_visits_are_read_with_their_local_day_and_outcome(clinic: Clinic) -> None:
    patient = make_patient(clinic.organization, "Rosa", "Diaz")
    rows = [
        # 22:30 in Chicago is the next day in UTC: the local day counts
        (date(2026, 1, 5), 22, "fulfilled", False, ""),
        (date(2026, 1, 12), 9, "noshow", False, ""),
        (date(2026, 1, 19), 9, "cancelled", True, "patient"),
        (date(2026, 1, 26), 9, "cancelled", False, "clinic"),
        (date(2026, 2, 2), 9, "entered-in-error", False, ""),
        (date(2026, 3, 9), 9, "booked", False, ""),
    ]
    Appointment.objects.bulk_create(
        Appointment(
            organization=clinic.organization,
            patient=patient,
            provider=clinic.doctor,
            location=clinic.location,
            appointment_type=clinic.follow_up,
            starts_at=at(day, hour, 30),
            ends_at=at(day, hour, 30) + timedelta(minutes=20),
            duration_minutes=20,
            time_zone="America/Chicago",
            status=status,
            late_cancellation=late,
            cancelled_by=by,
            group_key=f"g{day}",
            booked_at=at(day, 8) - timedelta(days=7),
        )
        for day, hour, status, late, by in rows
    )
    found = visit_records(clinic.organization.pk, since=date(2026, 1, 1), person_ids=[patient.pk])
    location = clinic.location.pk
    assert found[patient.pk] == [
        VisitRecord(date(2026, 1, 5), "completed", "", date(2025, 12, 29), location),
        VisitRecord(date(2026, 1, 12), "noshow", "", date(2026, 1, 5), location),
        VisitRecord(date(2026, 1, 19), "late_cancel", "patient", date(2026, 1, 12), location),
        VisitRecord(date(2026, 1, 26), "cancelled", "clinic", date(2026, 1, 19), location),
        VisitRecord(date(2026, 3, 9), "booked", "", date(2026, 3, 2), location),
    ]
