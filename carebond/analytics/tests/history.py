"""Hand-made patient histories for the relationship-health tests: visits written in one
insert, days counted back from the scheduling tests' Monday (2 March 2026, Chicago)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from carebond.people.models import Person
from carebond.people.tests.factories import make_patient
from carebond.scheduling.models import Appointment
from carebond.scheduling.tests.conftest import MONDAY_MORNING, Clinic, at

TODAY = MONDAY_MORNING.date()
STATUS = {"completed": "fulfilled", "noshow": "noshow", "booked": "booked"}


def day_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


_SLOTS = itertools.count()


def add_visits(clinic: Clinic, patient: Person, history: list[tuple[int, str]]) -> None:
    """(days before today, "completed" | "noshow" | "booked") visits, each booked two weeks
    ahead, at a half hour of the day no other patient of these tests has."""
    rows = []
    slot = next(_SLOTS) % 16
    for days, outcome in history:
        starts = at(day_ago(days), 9) + timedelta(minutes=30 * slot)
        rows.append(
            Appointment(
                organization=clinic.organization,
                patient=patient,
                provider=clinic.doctor,
                location=clinic.location,
                appointment_type=clinic.follow_up,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=30),
                duration_minutes=30,
                time_zone="America/Chicago",
                status=STATUS[outcome],
                group_key=f"{patient.pk}-{days}",
                booked_at=starts - timedelta(days=14),
            )
        )
    Appointment.objects.bulk_create(rows)


REGULAR = (750, 660, 570, 480, 390, 300, 210, 120, 30)


def regular_patient(clinic: Clinic, given: str, *, phone: str = "") -> Person:
    """Seen every 90 days for two years, the last a month ago, every visit kept: strong on
    visits alone."""
    patient = make_patient(clinic.organization, given, "Regular", phone=phone)
    add_visits(clinic, patient, [(days, "completed") for days in REGULAR])
    return patient


def drifting_patient(clinic: Clinic, given: str, *, shift: int = 0, phone: str = "") -> Person:
    """Seen 900 and 500 days ago, then three no-shows (all ``shift`` days earlier): at risk,
    not lapsed yet."""
    patient = make_patient(
        clinic.organization, given, "Drifting", phone=phone, time_zone="America/Chicago"
    )
    add_visits(
        clinic,
        patient,
        [
            (shift + days, outcome)
            for days, outcome in (
                (900, "completed"),
                (500, "completed"),
                (400, "noshow"),
                (300, "noshow"),
                (100, "noshow"),
            )
        ],
    )
    return patient
