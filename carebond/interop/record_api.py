"""A patient's right of access in the API: their whole record as a FHIR Bundle, and the
accounting of who accessed it. Mounted under /people (``/api/v1/people/{id}/record``), beside
the person, while its code lives with the FHIR mapping it reuses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from carebond.accounts.auth import acting_user, policy_auth
from carebond.audit.access import PATIENT_RIGHTS_HANDLERS
from carebond.audit.accounting import check_period, get_accounting_page
from carebond.core.schemas import RecordDate
from carebond.interop.record_export import access_patient_record, get_record_bundle, merged_ids

router = Router(tags=["right of access"])
AUTH = policy_auth(PATIENT_RIGHTS_HANDLERS)


@router.get(
    "/{person_id}/record",
    response=dict[str, Any],
    auth=AUTH,
    summary="A patient's whole record as a FHIR R4 collection Bundle (audited as a disclosure "
    "to the patient)",
)
def record(request: HttpRequest, person_id: UUID) -> dict[str, Any]:
    return get_record_bundle(user=acting_user(request), person_id=person_id)


class AccountingQuery(Schema):
    since: RecordDate | None = None
    until: RecordDate | None = None
    page: int = Field(default=1, ge=1, le=10_000)


class AccessEntryOut(Schema):
    at: datetime
    who: str
    what: str
    part: str
    why: str
    action: str
    outcome: str


class AccountingOut(Schema):
    since: date
    until: date
    page: int
    pages: int
    total: int
    entries: list[AccessEntryOut]


@router.get(
    "/{person_id}/accounting",
    response=AccountingOut,
    auth=AUTH,
    summary="Who read or changed a patient's record, newest first, 50 a page (default: the "
    "last six years; audited)",
)
def accounting(
    request: HttpRequest, person_id: UUID, query: Query[AccountingQuery]
) -> AccountingOut:
    user = acting_user(request)
    person = access_patient_record(user, person_id)
    found = get_accounting_page(
        user=user,
        patient_public_id=str(person.public_id),
        merged_ids=merged_ids(person),
        period=check_period(query.since, query.until),
        page=query.page,
    )
    return AccountingOut(
        since=found.period.since,
        until=found.period.until,
        page=found.number,
        pages=found.pages,
        total=found.total,
        entries=[AccessEntryOut(**vars(entry)) for entry in found.entries],
    )
