"""Typed edges of the people API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from ninja import Field, Schema

from carebond.core.schemas import (
    BirthDate,
    CleanStr,
    Column,
    InputSchema,
)
from carebond.people.models import ContactPoint, Identifier, Person

MAX_CONTACTS = 10
MAX_QUERY = 100  # as the search page's box
MAX_RESULTS = 100


class ContactOut(Schema):
    system: str
    value: str
    use: str
    rank: int


class IdentifierOut(Schema):
    system: str
    value: str
    type_code: str
    label: str


class ConsentOut(Schema):
    channel: str
    purpose: str
    status: str
    method: str
    recorded_at: datetime


class AlertOut(Schema):
    text: str
    tone: str


class PersonSummaryOut(Schema):
    id: UUID
    kind: str
    display_name: str
    birth_date: date | None


class AddressOut(Schema):
    use: str
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    country: str


class CareTeamOut(Schema):
    staff_id: UUID
    name: str
    role: str


class RelatedOut(Schema):
    id: UUID
    name: str
    relationship: str
    is_emergency_contact: bool
    may_discuss_care: bool


class HistoryOut(Schema):
    category: str
    code_system: str
    code: str
    display: str
    is_active: bool
    onset: date | None


class NoteOut(Schema):
    text: str
    author: str
    created_at: datetime


class ReferralProfileOut(Schema):
    source_type: str
    npi: str
    specialty: str
    practice_name: str
    affiliations: str
    preferred_contact: str
    liaison: str


class StaffProfileOut(Schema):
    job_title: str
    is_clinical: bool
    department: str
    location: str
    start_date: date | None


class PersonOut(PersonSummaryOut):
    """The person page's data: header, consent, panels and profile."""

    status: str
    prefix: str
    given_name: str
    middle_name: str
    family_name: str
    suffix: str
    preferred_name: str
    organization_name: str
    pronouns: str
    administrative_gender: str
    gender_identity: str
    preferred_language: str
    time_zone: str
    interpreter_needed: bool
    large_print: bool
    mobility_assistance: bool
    contacts: list[ContactOut]
    identifiers: list[IdentifierOut]
    addresses: list[AddressOut]
    consents: list[ConsentOut] = Field(description="The decision in force per channel/purpose.")
    alerts: list[AlertOut]
    care_team: list[CareTeamOut]
    related: list[RelatedOut]
    history: list[HistoryOut] | None = Field(
        description="The medical-history summary; null when your role may not read it."
    )
    notes: list[NoteOut] | None = Field(
        description="Personal notes; null when your role may not read them."
    )
    referral_profile: ReferralProfileOut | None
    staff_profile: StaffProfileOut | None
    merged_into: UUID | None


class ContactIn(InputSchema):
    system: Annotated[CleanStr, Column(ContactPoint, "system")] = Field(
        description="phone or email"
    )
    value: Annotated[CleanStr, Column(ContactPoint, "value")]
    use: Annotated[CleanStr, Column(ContactPoint, "use")] = "home"


class PatientIn(InputSchema):
    given_name: Annotated[CleanStr, Column(Person, "given_name")] = ""
    family_name: Annotated[CleanStr, Column(Person, "family_name")] = ""
    preferred_name: Annotated[CleanStr, Column(Person, "preferred_name")] = ""
    pronouns: Annotated[CleanStr, Column(Person, "pronouns")] = ""
    birth_date: BirthDate | None = None
    administrative_gender: Annotated[CleanStr, Column(Person, "administrative_gender")] = ""
    preferred_language: Annotated[CleanStr, Column(Person, "preferred_language")] = ""
    interpreter_needed: bool = False
    mrn: Annotated[CleanStr, Column(Identifier, "value")] = ""
    contacts: list[ContactIn] = Field(default=[], max_length=MAX_CONTACTS)


class PersonPatchIn(InputSchema):
    """Only the fields sent are changed; null means "leave as is" (send "" to clear a text)."""

    given_name: Annotated[CleanStr, Column(Person, "given_name")] | None = None
    middle_name: Annotated[CleanStr, Column(Person, "middle_name")] | None = None
    family_name: Annotated[CleanStr, Column(Person, "family_name")] | None = None
    preferred_name: Annotated[CleanStr, Column(Person, "preferred_name")] | None = None
    pronouns: Annotated[CleanStr, Column(Person, "pronouns")] | None = None
    birth_date: BirthDate | None = None
    administrative_gender: Annotated[CleanStr, Column(Person, "administrative_gender")] | None = (
        None
    )
    gender_identity: Annotated[CleanStr, Column(Person, "gender_identity")] | None = None
    preferred_language: Annotated[CleanStr, Column(Person, "preferred_language")] | None = None
    time_zone: Annotated[CleanStr, Column(Person, "time_zone")] | None = None
    interpreter_needed: bool | None = None
    large_print: bool | None = None
    mobility_assistance: bool | None = None
