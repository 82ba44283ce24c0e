"""The surveys API, mounted at /surveys: instruments and their versions (as FHIR
Questionnaires too), importing a Questionnaire, invitations, identified responses (as FHIR
QuestionnaireResponses) and recovery cases. The same actions and rules as the pages.

Results are aggregates for the analyst; whatever names a person (invitations, responses,
cases) is for managers and administrators, audited. Anonymous responses are never served
one by one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Body, Path, Query, Router, Status

from carebond.accounts.auth import acting_user, policy_auth
from carebond.core.access import named_record as named
from carebond.people.access import access_person
from carebond.surveys.access import SURVEY_MANAGERS, SURVEY_READERS
from carebond.surveys.fhir import questionnaire_url
from carebond.surveys.fhir_actions import check_import_questionnaire
from carebond.surveys.invitation_actions import check_invite_by_hand
from carebond.surveys.models import Instrument, InstrumentVersion, Invitation, Response
from carebond.surveys.response_selectors import (
    InstrumentVersions,
    get_instrument_by_key,
    get_instrument_versions,
    get_questionnaire,
    get_response_resource,
    get_wave,
    list_instrument_versions,
    list_invitations,
    list_responses,
)
from carebond.surveys.schemas import (
    AnswerOut,
    CaseDetailOut,
    CaseOut,
    CaseQuery,
    FhirJson,
    ImportOut,
    InstrumentOut,
    InvitationIn,
    InvitationOut,
    InvitationQuery,
    ResponseOut,
    ResponseQuery,
    StepOut,
    VersionNumber,
    VersionOut,
)
from carebond.surveys.selectors import CaseRow, get_case, list_recovery_cases

router = Router(tags=["surveys"])
READERS = policy_auth(SURVEY_READERS)
MANAGERS = policy_auth(SURVEY_MANAGERS)


def _version_out(version: InstrumentVersion) -> VersionOut:
    return VersionOut(
        id=version.public_id,
        number=version.number,
        status=version.status,
        created_at=version.created_at,
        published_at=version.published_at,
    )


def instrument_out(found: InstrumentVersions) -> InstrumentOut:
    instrument: Instrument = found.instrument
    return InstrumentOut(
        id=instrument.public_id,
        key=instrument.key,
        name=instrument.name,
        name_es=instrument.name_es,
        kind=instrument.kind,
        moment=instrument.moment,
        anonymous=instrument.anonymous,
        languages=list(instrument.languages),
        fallback_language=instrument.fallback_language,
        built_in=instrument.built_in,
        description=instrument.description,
        url=questionnaire_url(instrument),
        versions=[_version_out(v) for v in found.versions],
    )


@router.get(
    "/instruments",
    response=list[InstrumentOut],
    auth=READERS,
    summary="The organisation's surveys, each with its versions",
)
def instruments(request: HttpRequest) -> list[InstrumentOut]:
    return [instrument_out(found) for found in list_instrument_versions(user=acting_user(request))]


# (before /instruments/{instrument_id}: the first path that matches answers)
@router.post(
    "/instruments/import",
    response={201: ImportOut},
    auth=MANAGERS,
    summary="Import a FHIR R4 Questionnaire: a new survey, or a new draft of the one its url names",
)
def import_questionnaire(request: HttpRequest, resource: Body[FhirJson]) -> Status[ImportOut]:
    user = acting_user(request)
    imported = check_import_questionnaire(user.organization, resource, acting_user=user)
    found = get_instrument_versions(user=user, public_id=imported.instrument.public_id)
    return Status(
        201,
        ImportOut(
            instrument=instrument_out(found),
            version=imported.version.number,
            created=imported.created,
            renamed=imported.renamed,
        ),
    )


@router.get(
    "/instruments/{instrument_id}",
    response=InstrumentOut,
    auth=READERS,
    summary="One survey with its versions",
)
def instrument(request: HttpRequest, instrument_id: UUID) -> InstrumentOut:
    return instrument_out(
        get_instrument_versions(user=acting_user(request), public_id=instrument_id)
    )


@router.get(
    "/instruments/{instrument_id}/versions/{number}/questionnaire",
    response=FhirJson,
    auth=READERS,
    summary="One version as a FHIR R4 Questionnaire (English and Spanish)",
)
def questionnaire(
    request: HttpRequest, instrument_id: UUID, number: Path[VersionNumber]
) -> FhirJson:
    return get_questionnaire(user=acting_user(request), instrument_id=instrument_id, number=number)


def invitation_out(invitation: Invitation) -> InvitationOut:
    instrument = invitation.wave.instrument
    response: Response | None = getattr(invitation, "response", None)
    return InvitationOut(
        id=invitation.public_id,
        person_id=invitation.person.public_id,
        instrument_id=instrument.public_id,
        instrument=instrument.key,
        version=invitation.version.number,
        wave_id=invitation.wave.public_id,
        wave=invitation.wave.label,
        channel=invitation.channel,
        language=invitation.language,
        status=invitation.status,
        not_sent_reason=invitation.not_sent_reason,
        created_at=invitation.created_at,
        send_after=invitation.send_after,
        sent_at=invitation.sent_at,
        reminded_at=invitation.reminded_at,
        expires_at=invitation.expires_at,
        responded=invitation.responded,
        response_id=response.public_id if response is not None else None,
    )


@router.get(
    "/invitations",
    response=list[InvitationOut],
    auth=MANAGERS,
    summary="Invitations, newest first, by wave and status (audited read)",
)
def invitations(request: HttpRequest, query: Query[InvitationQuery]) -> list[InvitationOut]:
    user = acting_user(request)
    wave_id = query.wave
    wave = named("wave", lambda: get_wave(user=user, public_id=wave_id)) if wave_id else None
    found = list_invitations(
        user=user, wave=wave, status=query.status, limit=query.limit, offset=query.offset
    )
    return [invitation_out(invitation) for invitation in found]


@router.post(
    "/invitations",
    response={201: InvitationOut},
    auth=MANAGERS,
    summary="Ask one person now (the organisation's frequency rule applies: 409 when it refuses)",
)
def invite(request: HttpRequest, payload: InvitationIn) -> Status[InvitationOut]:
    user = acting_user(request)
    person = named("person", lambda: access_person(user, payload.person))
    instrument = named(
        "instrument", lambda: get_instrument_by_key(user=user, key=payload.instrument)
    )
    invitation = check_invite_by_hand(person, instrument=instrument, acting_user=user)
    return Status(201, invitation_out(invitation))


def response_out(response: Response) -> ResponseOut:
    instrument = response.version.instrument
    return ResponseOut(
        id=response.public_id,
        instrument_id=instrument.public_id,
        instrument=instrument.key,
        version=response.version.number,
        person_id=response.person.public_id,
        status=response.status,
        language=response.language,
        started_at=response.started_at,
        updated_at=response.updated_at,
        submitted_at=response.submitted_at,
        may_contact=response.may_contact,
        location_id=response.location.public_id if response.location else None,
    )


@router.get(
    "/responses",
    response=list[ResponseOut],
    auth=MANAGERS,
    summary="Identified responses, last answered first (audited read; anonymous ones never)",
)
def responses(request: HttpRequest, query: Query[ResponseQuery]) -> list[ResponseOut]:
    user = acting_user(request)
    instrument = (
        named("instrument", lambda: get_instrument_by_key(user=user, key=query.instrument or ""))
        if query.instrument
        else None
    )
    found = list_responses(
        user=user,
        instrument=instrument,
        status=query.status,
        since=query.since,
        limit=query.limit,
        offset=query.offset,
    )
    return [response_out(response) for response in found]


@router.get(
    "/responses/{response_id}",
    response=FhirJson,
    auth=MANAGERS,
    summary="One identified response as a FHIR R4 QuestionnaireResponse (audited read)",
)
def response(request: HttpRequest, response_id: UUID) -> FhirJson:
    return get_response_resource(user=acting_user(request), public_id=response_id)


def _case_fields(row: CaseRow) -> dict[str, Any]:
    case = row.case
    return {
        "id": case.public_id,
        "person_id": case.person.public_id,
        "source": case.source,
        "status": case.status,
        "opened_at": case.opened_at,
        "due_at": case.due_at,
        "first_contact_at": case.first_contact_at,
        "escalated_at": case.escalated_at,
        "closed_at": case.closed_at,
        "outcome": case.outcome,
        "overdue": row.overdue,
        "is_grievance": case.is_grievance,
        "location_id": case.location.public_id if case.location else None,
        "owner": case.owner.username if case.owner else "",
        "response_id": case.response.public_id if case.response else None,
    }


@router.get(
    "/recovery-cases",
    response=list[CaseOut],
    auth=MANAGERS,
    summary="The recovery queue, due first (audited read)",
)
def recovery_cases(request: HttpRequest, query: Query[CaseQuery]) -> list[CaseOut]:
    found = list_recovery_cases(
        user=acting_user(request),
        status=query.status,
        mine=query.mine,
        limit=query.offset + query.limit,
    )
    return [CaseOut(**_case_fields(row)) for row in found[query.offset :]]


@router.get(
    "/recovery-cases/{case_id}",
    response=CaseDetailOut,
    auth=MANAGERS,
    summary="One recovery case with its steps and the answers behind it (audited read)",
)
def recovery_case(request: HttpRequest, case_id: UUID) -> CaseDetailOut:
    page = get_case(user=acting_user(request), public_id=case_id)
    case = page.case
    return CaseDetailOut(
        **_case_fields(CaseRow(case, page.overdue, case.escalated_at is not None)),
        summary=case.summary,
        grievance_received_on=case.grievance_received_on,
        grievance_due_on=case.grievance_due_on,
        written_response_on=case.written_response_on,
        steps=[
            StepOut(
                at=step.at,
                kind=step.kind,
                channel=step.channel,
                note=step.note,
                by=step.by.username if step.by else "",
            )
            for step in page.steps
        ],
        answers=[AnswerOut(question=q, answer=a) for q, a in page.response_answers],
    )
