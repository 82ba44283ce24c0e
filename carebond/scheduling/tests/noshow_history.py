"""A clinic's synthetic history for the no-show tests: a few months of one provider's past
visits, in which a handful of patients often miss, patients aged 18 to 29 miss more than
others, and visits booked a month or more ahead are missed more often."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from carebond.core import clock
from carebond.core.models import Location
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient
from carebond.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    CancelledBy,
)

SLOTS = [time(9), time(9, 30), time(10), time(10, 30), time(11), time(13), time(13, 30), time(14)]
LEADS = (0, 1, 3, 7, 14, 30, 60)


@dataclass
class History:
    patients: list[Person]
    often_miss: list[Person]
    young: list[Person]
    visits: int
    missed: int


def make_history(
    *,
    provider: Person,
    location: Location,
    appointment_type: AppointmentType,
    days: int = 100,
    patients: int = 40,
    seed: int = 7,
) -> History:
    """``days`` of weekday visits before today (eight a day), written as they stand."""
    organization = provider.organization
    zone = ZoneInfo(location.time_zone)
    today = clock.now().astimezone(zone).date()
    rng = random.Random(seed)
    people = []
    for n in range(patients):
        born = date(2001, 5, 1) if n % 4 == 0 else date(1960 + n % 25, 3, 1)
        language = "es" if n % 3 == 0 else "en"
        people.append(
            make_patient(
                organization, f"Hist{n}", "Patient", birth_date=born, preferred_language=language
            )
        )
    often_miss = people[1:40:8]  # five patients (none of them young)
    young = people[0:patients:4]
    rows, missed, counter = [], 0, 0
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for slot in SLOTS:
            patient = people[(counter * 7) % patients]
            counter += 1
            lead = rng.choice(LEADS)
            chance = 0.06 + 0.5 * (patient in often_miss) + 0.2 * (patient in young)
            chance += 0.15 * (lead >= 30)
            starts = datetime.combine(day, slot, tzinfo=zone)
            is_missed = rng.random() < chance
            missed += is_missed
            late = is_missed and rng.random() < 0.3
            status = (
                AppointmentStatus.CANCELLED
                if late
                else AppointmentStatus.NOSHOW
                if is_missed
                else AppointmentStatus.FULFILLED
            )
            rows.append(
                Appointment(
                    organization=organization,
                    patient=patient,
                    provider=provider,
                    location=location,
                    appointment_type=appointment_type,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=appointment_type.duration_minutes),
                    duration_minutes=appointment_type.duration_minutes,
                    time_zone=str(zone),
                    status=status,
                    group_key=f"history-{counter}",
                    booked_at=starts - timedelta(days=lead, hours=1),
                    cancelled_by=CancelledBy.PATIENT if late else "",
                    cancelled_at=starts - timedelta(hours=3) if late else None,
                    late_cancellation=late,
                )
            )
    Appointment.objects.bulk_create(rows)
    return History(people, often_miss, young, len(rows), missed)
