"""What the relationship-health score reads from the people registry (docs/analytics.md,
"Relationship health"): the patients with the facts that end a relationship other than a lapse
(death, a record made inactive when the patient moved away or transferred their care), their
contact points and consent history, and the staff by department.

No access check here: the caller (analytics) holds its own policy and audits the read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from django.core.exceptions import ValidationError

from carebond.people.models import (
    ConsentRecord,
    ContactPoint,
    Person,
    PersonKind,
    PersonStatus,
    StaffProfile,
)


@dataclass(frozen=True)
class PatientBasics:
    id: int
    public_id: str
    name: str
    birth_date: date | None
    language: str
    status: str
    # When the relationship ended for a reason other than a lapse: the recorded death, or the
    # day the record was made inactive (moved away, care transferred). None while it goes on.
    died_on: date | None
    transferred_on: date | None


def list_patient_basics(
    organization_id: int, *, person_ids: Iterable[int] | None = None
) -> list[PatientBasics]:
    """Every live patient of the organisation (or those of ``person_ids``), by id."""
    people = Person.objects.live().filter(organization_id=organization_id, kind=PersonKind.PATIENT)
    if person_ids is not None:
        people = people.filter(id__in=set(person_ids))
    rows = people.order_by("id").values_list(
        "id",
        "public_id",
        "given_name",
        "family_name",
        "preferred_name",
        "name_text",
        "organization_name",
        "birth_date",
        "preferred_language",
        "status",
        "deceased_date",
        "updated_at",
    )
    found = []
    for row in rows:
        pk, public_id, given, family, preferred, text, org_name, born, language = row[:9]
        status, died, changed = row[9:]
        found.append(
            PatientBasics(
                id=pk,
                public_id=str(public_id),
                name=Person.name_for(given, family, preferred, text, org_name),
                birth_date=born,
                language=language,
                status=status,
                died_on=(died or changed.date()) if status == PersonStatus.DECEASED else None,
                # The registry keeps no date of its own for an inactive record: its last change
                # is the nearest there is (an EHR import marks it inactive and nothing else).
                transferred_on=changed.date() if status == PersonStatus.INACTIVE else None,
            )
        )
    return found


@dataclass(frozen=True)
class ConsentEvent:
    channel: str
    purpose: str
    status: str
    recorded_at: datetime


def consent_histories(person_ids: Iterable[int]) -> dict[int, list[ConsentEvent]]:
    """Every consent decision of these people, oldest first: what was in force on any day."""
    history: dict[int, list[ConsentEvent]] = defaultdict(list)
    records = ConsentRecord.objects.filter(person_id__in=set(person_ids)).order_by(
        "recorded_at", "id"
    )
    for person_id, channel, purpose, status, recorded_at in records.values_list(
        "person_id", "channel", "purpose", "status", "recorded_at"
    ):
        history[person_id].append(ConsentEvent(channel, purpose, status, recorded_at))
    return history


def contact_systems(person_ids: Iterable[int]) -> dict[int, set[str]]:
    """Which kinds of contact point (phone, email) each person has."""
    systems: dict[int, set[str]] = defaultdict(set)
    for person_id, system in ContactPoint.objects.filter(person_id__in=set(person_ids)).values_list(
        "person_id", "system"
    ):
        systems[person_id].add(system)
    return systems


@dataclass(frozen=True)
class StaffRow:
    department_id: int
    department: str
    active: bool
    joined_on: date
    left_on: date | None


def list_staff_by_department(organization_id: int) -> list[StaffRow]:
    """The staff members who belong to a department, with when they joined (the start date,
    else the record's creation) and, for a record no longer active, when it was last changed."""
    rows = StaffProfile.objects.filter(
        organization_id=organization_id, department__isnull=False
    ).exclude(person__status=PersonStatus.MERGED)
    found = []
    for department_id, name, status, start, created, changed in rows.order_by("id").values_list(
        "department_id",
        "department__name",
        "person__status",
        "start_date",
        "person__created_at",
        "person__updated_at",
    ):
        active = status == PersonStatus.ACTIVE
        found.append(
            StaffRow(
                department_id=department_id,
                department=name,
                active=active,
                joined_on=start or created.date(),
                left_on=None if active else changed.date(),
            )
        )
    return found


def get_patient(organization_id: int, public_id: UUID | str) -> Person | None:
    """A live patient of the organisation by public id, or None (a bad id included)."""
    try:
        return (
            Person.objects.live()
            .filter(organization_id=organization_id, kind=PersonKind.PATIENT, public_id=public_id)
            .first()
        )
    except (ValueError, TypeError, ValidationError):
        return None
