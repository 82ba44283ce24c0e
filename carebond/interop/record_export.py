"""A patient's copy of their record (HIPAA 164.524, the right of access): everything CareBond
keeps about them as one FHIR R4 Bundle, made by the same type modules the facade and the bulk
export use, so the copy holds what an EHR reading /fhir/R4 would find.

Every registered type that can be searched by ``patient`` gives the patient's rows (the
Patient itself by ``_id``); the practitioners, places and organisations those point at follow,
so the copy names who the patient saw and where. The audit trail is not part of the record: the
patient gets it as the accounting of access (carebond/audit/accounting.py).

Each copy handed out is a disclosure to the patient, recorded once, after the copy was made
(``right_of_access.fhir_disclosed`` / ``right_of_access.pdf_disclosed``); nothing is logged.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import QuerySet

from carebond.audit.accounting import AccessEntry, Period, entries_for
from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.errors import NotFound
from carebond.core.fhir.building import FhirResource
from carebond.core.fhir.type_module import FhirRows
from carebond.interop.exporting.export import read_snapshot
from carebond.interop.fhir_types import fhir_type, fhir_types, ranked_export_types
from carebond.interop.record_copy import check_language
from carebond.people.access import access_person
from carebond.people.models import Person, PersonKind

if TYPE_CHECKING:
    from carebond.accounts.models import User

# Given separately, as the accounting of access.
NOT_IN_THE_RECORD = frozenset({"AuditEvent"})
# What the patient's resources point at and the copy includes, so that it names them.
POINTED_AT = ("Practitioner", "Location", "Organization")
CHUNK = 500


def access_patient_record(user: User, person_id: UUID | str) -> Person:
    """A patient of the user's organisation; anyone else (staff, a referral source, another
    organisation's patient, a merged record) is NotFound."""
    person = access_person(user, person_id)
    if person.kind != PersonKind.PATIENT or person.merged_into_id is not None:
        raise NotFound("No such patient.")
    return person


def merged_ids(person: Person) -> list[str]:
    """The records merged into this one: their history is this patient's."""
    return [str(pid) for pid in person.merged_records.values_list("public_id", flat=True)]


def _resources(source: FhirRows, rows: QuerySet[Any]) -> Iterator[FhirResource]:
    chunk: list[Any] = []
    for row in rows.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield from source.resources(chunk)
            chunk = []
    yield from source.resources(chunk)


def _type_order() -> list[str]:
    """Patient first, then the types in the order an importer reads them, then the rest."""
    ranked = ranked_export_types()
    rest = [name for name in fhir_types() if name not in ranked]
    return ["Patient", *[name for name in [*ranked, *rest] if name != "Patient"]]


def _pointed_at(resources: list[FhirResource]) -> dict[str, set[str]]:
    """The ids of the POINTED_AT resources referenced anywhere in ``resources``."""
    found: dict[str, set[str]] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            reference = value.get("reference")
            if isinstance(reference, str) and reference.count("/") == 1:
                resource_type, resource_id = reference.split("/")
                if resource_type in POINTED_AT:
                    found.setdefault(resource_type, set()).add(resource_id)
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(resources)
    return found


def record_resources(person: Person) -> list[FhirResource]:
    """Every resource of the patient's record, then the ones they point at. Read from one
    snapshot on PostgreSQL, as the bulk export is."""
    organization_id, patient = person.organization_id, str(person.public_id)
    resources: list[FhirResource] = []
    with read_snapshot():
        for name in _type_order():
            spec = fhir_type(name)
            if spec is None or name in NOT_IN_THE_RECORD:
                continue
            for source in spec.sources:
                about = source.param("_id" if name == "Patient" else "patient")
                if about is None:
                    continue
                rows = source.rows(organization_id).filter(
                    about.build(organization_id, "", [patient])
                )
                resources.extend(_resources(source, rows))
        for name, ids in _pointed_at(resources).items():
            spec = fhir_type(name)
            for source in spec.sources if spec else ():
                by_id = source.param("_id")
                if by_id is not None:
                    rows = source.rows(organization_id).filter(
                        by_id.build(organization_id, "", sorted(ids))
                    )
                    resources.extend(_resources(source, rows))
    return resources


def record_bundle(resources: list[FhirResource]) -> dict[str, Any]:
    """A ``collection`` Bundle: the patient's resources, as they are now."""
    now = clock.now().isoformat(timespec="seconds")
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": now},
        "type": "collection",
        "timestamp": now,
        "entry": [{"resource": resource} for resource in resources],
    }


def get_record_bundle(*, user: User, person_id: UUID | str) -> dict[str, Any]:
    """The patient's record as a FHIR Bundle. Audited: right_of_access.fhir_disclosed."""
    person = access_patient_record(user, person_id)
    bundle = record_bundle(record_resources(person))
    record_access(
        actor=user, target=person, patient=person, action="right_of_access.fhir_disclosed"
    )
    return bundle


@dataclass(frozen=True)
class RecordCopy:
    """What the printed copy holds: the patient, their resources, and the accounting."""

    person: Person
    resources: list[FhirResource]
    accounting: list[AccessEntry]
    period: Period
    language: str


def get_record_copy(
    *, user: User, person_id: UUID | str, period: Period, language: str = ""
) -> RecordCopy:
    """The patient's record and the accounting of access over ``period``, for printing in
    ``language`` (blank: the patient's own). Audited once, accounting included:
    right_of_access.pdf_disclosed."""
    person = access_patient_record(user, person_id)
    language = check_language(language, person.preferred_language)
    copy = RecordCopy(
        person=person,
        resources=record_resources(person),
        accounting=list(
            entries_for(
                user=user,
                patient_ids=[str(person.public_id), *merged_ids(person)],
                period=period,
                language=language,
            )
        ),
        period=period,
        language=language,
    )
    record_access(actor=user, target=person, patient=person, action="right_of_access.pdf_disclosed")
    return copy
