"""A clinic's week for the scheduling tests: one location in Chicago, two providers with the
same applied template (weekdays 09:00-12:00 and 13:00-17:00), a 30-minute follow-up, a new-patient
visit and a group class, and a patient with a phone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carebond.core.models import Location, Organization
from carebond.messaging.actions import check_add_sender, ensure_built_in_templates
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient, make_staff
from carebond.scheduling.models import (
    AppointmentType,
    BlockKind,
    PatientRule,
    ScheduleTemplate,
    TemplateBlock,
    TemplateStatus,
    VisitMode,
)

CHICAGO = ZoneInfo("America/Chicago")
# Monday 2 March 2026, 08:00 in Chicago: the week ahead is empty.
MONDAY_MORNING = datetime(2026, 3, 2, 8, 0, tzinfo=CHICAGO)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CHICAGO)


@pytest.fixture
def monday(db: Any) -> Any:
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        yield traveller


def weekly_template(provider: Person, location: Location, *, starts_on: date) -> ScheduleTemplate:
    template = ScheduleTemplate.objects.create(
        organization_id=provider.organization_id,
        provider=provider,
        location=location,
        name="Standard week",
        starts_on=starts_on,
        status=TemplateStatus.APPLIED,
    )
    for weekday in range(5):
        for starts, ends, kind in (
            (time(9), time(12), BlockKind.OPEN),
            (time(12), time(13), BlockKind.BREAK),
            (time(13), time(17), BlockKind.OPEN),
        ):
            TemplateBlock.objects.create(
                organization_id=provider.organization_id,
                template=template,
                weekday=weekday,
                starts=starts,
                ends=ends,
                kind=kind,
            )
    return template


def video_type(organization: Organization) -> AppointmentType:
    """A 20-minute video follow-up."""
    return AppointmentType.objects.create(
        organization=organization,
        key="video",
        name="Video follow-up",
        duration_minutes=20,
        mode=VisitMode.TELEHEALTH,
    )


@dataclass
class Clinic:
    organization: Organization
    location: Location
    doctor: Person
    nurse: Person
    follow_up: AppointmentType
    new_visit: AppointmentType
    group_class: AppointmentType
    patient: Person


@pytest.fixture
def clinic(org_a: Organization, monday: Any) -> Clinic:
    location = Location.objects.create(
        organization=org_a, name="Main clinic", time_zone="America/Chicago"
    )
    ensure_built_in_templates(org_a)
    check_add_sender(
        org_a,
        channel="sms",
        address="+13125550100",
        label="Clinic line",
        purposes=["appointment", "care"],
        per_second=100,
    )
    doctor = make_staff(org_a, "Priya", "Raman")
    nurse = make_staff(org_a, "Tom", "Okafor", job_title="Nurse practitioner")
    for provider in (doctor, nurse):
        weekly_template(provider, location, starts_on=date(2026, 1, 1))

    def kind(key: str, name: str, minutes: int, **rules: Any) -> AppointmentType:
        return AppointmentType.objects.create(
            organization=org_a,
            key=key,
            name=name,
            duration_minutes=minutes,
            specialty="Family medicine",
            **rules,
        )

    return Clinic(
        organization=org_a,
        location=location,
        doctor=doctor,
        nurse=nurse,
        follow_up=kind("follow-up", "Follow-up", 30),
        new_visit=kind("new", "New patient visit", 60, patients=PatientRule.NEW),
        group_class=kind("diabetes-class", "Diabetes class", 60, capacity=3),
        patient=make_patient(
            org_a, "Rosa", "Diaz", phone="+13125550123", time_zone="America/Chicago"
        ),
    )
