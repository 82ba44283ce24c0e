"""The people API: search, a person (the 360 view's data), and writes."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Status

from carebond.accounts.auth import acting_user, policy_auth
from carebond.accounts.models import User
from carebond.core.permissions import PHI_READERS
from carebond.people import actions
from carebond.people.access import access_person
from carebond.people.models import Person, PersonKind
from carebond.people.schemas import (
    MAX_QUERY,
    MAX_RESULTS,
    AddressOut,
    AlertOut,
    CareTeamOut,
    ConsentOut,
    ContactOut,
    HistoryOut,
    IdentifierOut,
    NoteOut,
    PatientIn,
    PersonOut,
    PersonPatchIn,
    PersonSummaryOut,
    ReferralProfileOut,
    RelatedOut,
    StaffProfileOut,
)
from carebond.people.selectors import (
    PersonOverview,
    get_person_overview,
    search_people,
)

router = Router(tags=["people"])
AUTH = policy_auth(PHI_READERS)


def _summary(person: Person) -> PersonSummaryOut:
    return PersonSummaryOut(
        id=person.public_id,
        kind=person.kind,
        display_name=person.display_name,
        birth_date=person.birth_date,
    )


def _person_out(overview: PersonOverview, user: User) -> PersonOut:
    person = overview.person
    latest = {(c.channel, c.purpose): c for c in reversed(overview.consent_history)}
    referral = getattr(person, "referral_profile", None)
    staff = getattr(person, "staff_profile", None)
    return PersonOut(
        **_summary(person).model_dump(),
        **{
            name: getattr(person, name)
            for name in (
                "status",
                "prefix",
                "given_name",
                "middle_name",
                "family_name",
                "suffix",
                "preferred_name",
                "organization_name",
                "pronouns",
                "administrative_gender",
                "gender_identity",
                "preferred_language",
                "time_zone",
                "interpreter_needed",
                "large_print",
                "mobility_assistance",
            )
        },
        contacts=[ContactOut.model_validate(c) for c in person.contact_points.all()],
        identifiers=[IdentifierOut.model_validate(i) for i in person.identifiers.all()],
        addresses=[AddressOut.model_validate(a) for a in person.addresses.all()],
        consents=[ConsentOut.model_validate(c) for c in latest.values()],
        alerts=[AlertOut(text=a.text, tone=a.tone) for a in overview.alerts],
        care_team=[
            CareTeamOut(staff_id=m.staff.public_id, name=m.staff.display_name, role=m.role)
            for m in person.care_team.all()
        ],
        related=[
            RelatedOut(
                id=r.related.public_id,
                name=r.related.display_name,
                relationship=r.relationship,
                is_emergency_contact=r.is_emergency_contact,
                may_discuss_care=r.may_discuss_care,
            )
            for r in person.relationships.all()
        ],
        # Minimum necessary: null (not an empty list, which would read as "no allergies")
        # when the caller's role may not read that part of the record.
        history=[HistoryOut.model_validate(h) for h in person.history.all()]
        if overview.parts and overview.parts.history
        else None,
        notes=[
            NoteOut(text=n.text, author=n.author.username, created_at=n.created_at)
            for n in person.personal_notes.all()
        ]
        if overview.parts and overview.parts.notes
        else None,
        referral_profile=ReferralProfileOut(
            source_type=referral.source_type,
            npi=referral.npi,
            specialty=referral.specialty,
            practice_name=referral.practice_name,
            affiliations=referral.affiliations,
            preferred_contact=referral.preferred_contact,
            liaison=referral.liaison.username if referral.liaison else "",
        )
        if referral
        else None,
        staff_profile=StaffProfileOut(
            job_title=staff.job_title,
            is_clinical=staff.is_clinical,
            department=staff.department.name if staff.department else "",
            location=staff.location.name if staff.location else "",
            start_date=staff.start_date,
        )
        if staff
        else None,
        merged_into=person.merged_into.public_id if person.merged_into else None,
    )


@router.get(
    "/search",
    response=list[PersonSummaryOut],
    auth=AUTH,
    summary="Search people by name (one typo allowed), birth date, MRN, phone or email",
)
def search(
    request: HttpRequest,
    q: Annotated[str, Field(max_length=MAX_QUERY)],
    limit: Annotated[int, Field(ge=1, le=MAX_RESULTS)] = 20,
) -> list[PersonSummaryOut]:
    results = search_people(user=acting_user(request), q=q, limit=limit)
    return [_summary(result.person) for result in results]


@router.post("", response={201: PersonOut}, auth=AUTH, summary="Register a patient")
def create_patient(request: HttpRequest, payload: PatientIn) -> Status[PersonOut]:
    user = acting_user(request)
    data = payload.model_dump(exclude={"mrn", "contacts"})
    person = actions.check_create_person(
        user.organization,
        actions.PersonInput(
            kind=PersonKind.PATIENT,
            **data,
            contacts=[actions.ContactInput(c.system, c.value, c.use) for c in payload.contacts],
            identifiers=[actions.IdentifierInput(actions.MRN_SYSTEM, payload.mrn, "MR", "MRN")]
            if payload.mrn
            else [],
        ),
        acting_user=user,
    )
    return Status(
        201,
        _person_out(
            get_person_overview(user=user, public_id=person.public_id, everything=True), user
        ),
    )


@router.get("/{person_id}", response=PersonOut, auth=AUTH, summary="One person (audited read)")
def person(request: HttpRequest, person_id: UUID) -> PersonOut:
    user = acting_user(request)
    return _person_out(get_person_overview(user=user, public_id=person_id, everything=True), user)


@router.patch(
    "/{person_id}",
    response=PersonOut,
    auth=AUTH,
    summary="Change a person's details (only the fields sent)",
)
def update_person(request: HttpRequest, person_id: UUID, payload: PersonPatchIn) -> PersonOut:
    user = acting_user(request)
    person = access_person(user, person_id)
    actions.check_update_person(
        person, payload.model_dump(exclude_unset=True, exclude_none=True), acting_user=user
    )
    return _person_out(get_person_overview(user=user, public_id=person_id, everything=True), user)
