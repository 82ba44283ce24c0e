"""The people API: search, a person (the 360 view's data), the timeline, and writes."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status

from carebond.accounts.auth import acting_user, policy_auth
from carebond.core.permissions import PHI_READERS
from carebond.people import actions
from carebond.people.access import access_person
from carebond.people.models import Person, PersonKind
from carebond.people.schemas import (
    AlertOut,
    ConsentOut,
    ContactOut,
    IdentifierOut,
    PatientIn,
    PersonOut,
    PersonPatchIn,
    PersonSummaryOut,
    TimelineOut,
    TimelineQuery,
    TouchpointIn,
    TouchpointOut,
)
from carebond.people.selectors import (
    PersonOverview,
    get_person_overview,
    get_staff_person,
    search_people,
)
from carebond.touchpoints.actions import check_log_touchpoint
from carebond.touchpoints.models import Touchpoint
from carebond.touchpoints.selectors import TimelineFilters, get_person_timeline

router = Router(tags=["people"])
AUTH = policy_auth(PHI_READERS)


def _summary(person: Person) -> PersonSummaryOut:
    return PersonSummaryOut(
        id=person.public_id,
        kind=person.kind,
        display_name=person.display_name,
        birth_date=person.birth_date,
    )


def _person_out(overview: PersonOverview) -> PersonOut:
    person = overview.person
    latest = {(c.channel, c.purpose): c for c in reversed(overview.consent_history)}
    return PersonOut(
        **_summary(person).model_dump(),
        status=person.status,
        given_name=person.given_name,
        family_name=person.family_name,
        preferred_name=person.preferred_name,
        organization_name=person.organization_name,
        pronouns=person.pronouns,
        preferred_language=person.preferred_language,
        interpreter_needed=person.interpreter_needed,
        contacts=[
            ContactOut(system=c.system, value=c.value, use=c.use, rank=c.rank)
            for c in person.contact_points.all()
        ],
        identifiers=[
            IdentifierOut(system=i.system, value=i.value, type_code=i.type_code, label=i.label)
            for i in person.identifiers.all()
        ],
        consents=[
            ConsentOut(
                channel=c.channel,
                purpose=c.purpose,
                status=c.status,
                method=c.method,
                recorded_at=c.recorded_at,
            )
            for c in latest.values()
        ],
        alerts=[AlertOut(text=a.text, tone=a.tone) for a in overview.alerts],
        merged_into=person.merged_into.public_id if person.merged_into else None,
    )


def _touchpoint_out(touchpoint: Touchpoint) -> TouchpointOut:
    return TouchpointOut(
        id=touchpoint.public_id,
        kind=touchpoint.kind,
        channel=touchpoint.channel,
        direction=touchpoint.direction,
        occurred_at=touchpoint.occurred_at,
        moment_of_truth=touchpoint.moment_of_truth,
        sentiment=touchpoint.sentiment,
        outcome=touchpoint.outcome,
        summary=touchpoint.summary,
        staff_id=touchpoint.staff.public_id if touchpoint.staff else None,
        source_type=touchpoint.source_type,
        source_id=touchpoint.source_id,
    )


@router.get(
    "/search",
    response=list[PersonSummaryOut],
    auth=AUTH,
    summary="Search people by name (one typo allowed), birth date, MRN, phone or email",
)
def search(request: HttpRequest, q: str, limit: int = 20) -> list[PersonSummaryOut]:
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
    return Status(201, _person_out(get_person_overview(user=user, public_id=person.public_id)))


@router.get("/{person_id}", response=PersonOut, auth=AUTH, summary="One person (audited read)")
def person(request: HttpRequest, person_id: UUID) -> PersonOut:
    return _person_out(get_person_overview(user=acting_user(request), public_id=person_id))


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
    return _person_out(get_person_overview(user=user, public_id=person_id))


@router.get(
    "/{person_id}/timeline",
    response=TimelineOut,
    auth=AUTH,
    summary="A person's touchpoints, newest first (audited read)",
)
def timeline(request: HttpRequest, person_id: UUID, query: Query[TimelineQuery]) -> TimelineOut:
    page = get_person_timeline(
        user=acting_user(request),
        public_id=person_id,
        page=query.page,
        filters=TimelineFilters(
            kind=query.kind,
            channel=query.channel,
            staff_id=str(query.staff or ""),
            since=query.since,
            until=query.until,
        ),
    )
    return TimelineOut(
        items=[_touchpoint_out(t) for t in page.items], page=page.page, has_next=page.has_next
    )


@router.post(
    "/{person_id}/touchpoints",
    response={201: TouchpointOut},
    auth=AUTH,
    summary="Log a touchpoint by hand",
)
def log_touchpoint(
    request: HttpRequest, person_id: UUID, payload: TouchpointIn
) -> Status[TouchpointOut]:
    user = acting_user(request)
    person = access_person(user, person_id)
    touchpoint = check_log_touchpoint(
        person, acting_user=user, staff=get_staff_person(user=user), **payload.model_dump()
    )
    return Status(201, _touchpoint_out(touchpoint))
