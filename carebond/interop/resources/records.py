"""What the import writes: the record a type module's ``read`` makes of a resource. Plain data
whose references are left as ``Ref`` for the import's resolver; each kind of record has its
writer in the import (people, places, practitioners' roles, then what points at patients).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from carebond.core.fhir.parsing import Ref
from carebond.core.fhir.type_module import RowRecord
from carebond.people.actions import AddressInput, ContactInput, IdentifierInput
from carebond.people.models import RelationshipType


@dataclass
class PersonRecord:
    resource_type: str
    kind: str
    fields: dict[str, Any]  # Person scalar fields
    identifiers: list[IdentifierInput] = field(default_factory=list)
    contacts: list[ContactInput] = field(default_factory=list)
    addresses: list[AddressInput] = field(default_factory=list)
    patient: Ref | None = None  # RelatedPerson.patient
    relationship: str = RelationshipType.OTHER
    referral_type: str = ""  # practitioner / organization for referral sources


@dataclass
class LocationRecord:
    name: str
    address: str
    phone: str
    identifiers: list[IdentifierInput] = field(default_factory=list)


@dataclass
class RoleRecord:
    practitioner: Ref | None
    specialty: str
    practice_name: str


@dataclass
class TouchpointRecord:
    patient: Ref
    kind: str
    channel: str
    direction: str
    occurred_at: datetime
    moment_of_truth: str
    staff: Ref | None
    location: Ref | None
    outcome: str
    summary: str
    details: dict[str, Any]
    # Business identifiers (system, value): the same one for the same patient is the same row.
    identifiers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class HistoryRecord:
    patient: Ref
    category: str
    code_system: str
    code: str
    display: str
    is_active: bool
    onset: date | None
    # Business identifiers (system, value): the same one for the same patient is the same row.
    identifiers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class StoredRecord:
    patients: list[Ref]  # candidates; the first that resolves to a patient is the one
    status: str
    occurred_at: datetime | None
    body: dict[str, Any]
    # Business identifiers (system, value): the same one for the same patient is the same row.
    identifiers: list[tuple[str, str]] = field(default_factory=list)


# RowRecord: a type whose app writes its own rows (scheduling's Appointment; type_module).
Record = (
    PersonRecord
    | LocationRecord
    | RoleRecord
    | TouchpointRecord
    | HistoryRecord
    | StoredRecord
    | RowRecord
)
RECORD_KINDS = (
    PersonRecord,
    LocationRecord,
    RoleRecord,
    TouchpointRecord,
    HistoryRecord,
    StoredRecord,
    RowRecord,
)
