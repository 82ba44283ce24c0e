"""Reads for the surveys API: instruments with their versions, one version, invitations and
identified responses (managers; audited, as they name people), and a response as its FHIR
QuestionnaireResponse. Anonymous responses are never listed one by one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from carebond.audit.recording import record_access
from carebond.core.errors import NotFound
from carebond.people.fhir import person_if_patient
from carebond.surveys.access import access_instrument, access_response
from carebond.surveys.fhir import questionnaire_to_fhir, response_to_fhir
from carebond.surveys.models import (
    Instrument,
    InstrumentVersion,
    Invitation,
    Response,
    Wave,
)
from carebond.surveys.selectors import _managers_only, _readers_only

if TYPE_CHECKING:
    from carebond.accounts.models import User

MOST = 200  # rows per page of a list


@dataclass(frozen=True)
class InstrumentVersions:
    instrument: Instrument
    versions: list[InstrumentVersion]  # newest first


def list_instrument_versions(*, user: User) -> list[InstrumentVersions]:
    """Every instrument of the organisation with its versions (two queries)."""
    _readers_only(user)
    instruments = list(
        Instrument.objects.filter(organization_id=user.organization_id).order_by("name", "id")
    )
    versions: dict[int, list[InstrumentVersion]] = {}
    for version in InstrumentVersion.objects.filter(organization_id=user.organization_id).order_by(
        "instrument_id", "-number"
    ):
        versions.setdefault(version.instrument_id, []).append(version)
    return [InstrumentVersions(i, versions.get(i.id, [])) for i in instruments]


def get_instrument_versions(*, user: User, public_id: UUID | str) -> InstrumentVersions:
    _readers_only(user)
    instrument = access_instrument(user, public_id)
    return InstrumentVersions(
        instrument,
        list(InstrumentVersion.objects.filter(instrument=instrument).order_by("-number")),
    )


def get_instrument_by_key(*, user: User, key: str) -> Instrument:
    _readers_only(user)
    found = Instrument.objects.filter(organization_id=user.organization_id, key=key).first()
    if found is None:
        raise NotFound("No such survey.")
    return found


def get_questionnaire(*, user: User, instrument_id: UUID | str, number: int) -> dict[str, Any]:
    """One version as a FHIR Questionnaire (a form: no PHI, no audit)."""
    _readers_only(user)
    instrument = access_instrument(user, instrument_id)
    version = (
        InstrumentVersion.objects.filter(instrument=instrument, number=number)
        .select_related("instrument__organization")
        .first()
    )
    if version is None:
        raise NotFound("No such version.")
    return questionnaire_to_fhir(version)


def get_wave(*, user: User, public_id: UUID | str) -> Wave:
    _managers_only(user)
    wave = Wave.objects.filter(organization_id=user.organization_id, public_id=public_id).first()
    if wave is None:
        raise NotFound("No such wave.")
    return wave


def list_invitations(
    *,
    user: User,
    wave: Wave | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Invitation]:
    """Invitations, newest first: who was asked, by which channel, and what became of it.
    They name people: audited (survey.invitations_read)."""
    _managers_only(user)
    found = Invitation.objects.filter(organization_id=user.organization_id).select_related(
        "wave__instrument", "version", "person", "response"
    )
    if wave is not None:
        found = found.filter(wave=wave)
    if status:
        found = found.filter(status=status)
    rows = list(found.order_by("-created_at", "-id")[offset : offset + min(limit, MOST)])
    record_access(
        actor=user, target=None, organization=user.organization, action="survey.invitations_read"
    )
    return rows


def _day_start(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))


def list_responses(
    *,
    user: User,
    instrument: Instrument | None = None,
    status: str | None = None,
    since: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Response]:
    """Identified responses, last answered first (``since``: answered on or after that day in
    the organisation's time zone). Audited (survey.responses_read)."""
    _managers_only(user)
    found = Response.objects.filter(organization_id=user.organization_id).select_related(
        "version__instrument", "person", "location"
    )
    if instrument is not None:
        found = found.filter(version__instrument=instrument)
    if status:
        found = found.filter(status=status)
    if since is not None:
        found = found.filter(updated_at__gte=_day_start(since, user.organization.time_zone))
    rows = list(found.order_by("-updated_at", "-id")[offset : offset + min(limit, MOST)])
    record_access(
        actor=user, target=None, organization=user.organization, action="survey.responses_read"
    )
    return rows


def get_response_resource(*, user: User, public_id: UUID | str) -> dict[str, Any]:
    """One identified response as a FHIR QuestionnaireResponse, comments included (decrypted).
    Audited: survey_response.read, naming the person."""
    response = access_response(user, public_id)
    record_access(
        actor=user,
        target=response,
        patient=person_if_patient(response),
        action="survey_response.read",
    )
    return response_to_fhir(response)
