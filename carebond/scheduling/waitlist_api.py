"""The waitlist API, under /scheduling/waitlist: the entries (with their offers), adding a
patient and taking one off. The same actions and rules as the page."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status

from carebond.accounts.auth import acting_user, policy_auth
from carebond.core.errors import InvalidInput, NotFound
from carebond.people.access import access_person
from carebond.scheduling.access import SCHEDULERS
from carebond.scheduling.models import WaitlistEntry
from carebond.scheduling.selectors import get_appointment_type, list_locations, list_providers
from carebond.scheduling.waitlist_actions import check_add_to_waitlist, check_remove_from_waitlist
from carebond.scheduling.waitlist_schemas import (
    WaitlistEntryIn,
    WaitlistEntryOut,
    WaitlistOfferOut,
    WaitlistQuery,
    WaitlistRemoveIn,
)
from carebond.scheduling.waitlist_selectors import get_waitlist_entry, list_waitlist

router = Router(tags=["scheduling"])
AUTH = policy_auth(SCHEDULERS)


def entry_out(entry: WaitlistEntry) -> WaitlistEntryOut:
    return WaitlistEntryOut(
        id=entry.public_id,
        patient_id=entry.patient.public_id,
        appointment_type=entry.appointment_type.key,
        providers=[p.public_id for p in entry.providers.all()],
        locations=[place.public_id for place in entry.locations.all()],
        weekdays=entry.weekdays,
        times_of_day=entry.times_of_day,
        earliest=entry.earliest,
        latest=entry.latest,
        note=entry.note,
        status=entry.status,
        added_at=entry.created_at,
        added_via=entry.added_via,
        appointment_id=entry.appointment.public_id if entry.appointment else None,
        removed_reason=entry.removed_reason,
        offers=[
            WaitlistOfferOut(
                id=offer.public_id,
                starts_at=offer.opening.starts_at,
                provider_id=offer.opening.provider.public_id,
                location_id=offer.opening.location.public_id,
                status=offer.status,
                sent_at=offer.sent_at,
                expires_at=offer.expires_at,
                answered_at=offer.answered_at,
            )
            for offer in entry.offers.all()
        ],
    )


@router.get(
    "",
    response=list[WaitlistEntryOut],
    auth=AUTH,
    summary="The waitlist: waiting (in waiting order), booked or removed entries, with their "
    "offers (audited read)",
)
def waitlist(request: HttpRequest, query: Query[WaitlistQuery]) -> list[WaitlistEntryOut]:
    rows = list_waitlist(user=acting_user(request), status=query.status)
    return [entry_out(row.entry) for row in rows]


@router.post(
    "",
    response={201: WaitlistEntryOut},
    auth=AUTH,
    summary="Put a patient on the waitlist for a visit type, with the providers, locations, "
    "days and times that suit them",
)
def add(request: HttpRequest, payload: WaitlistEntryIn) -> Status[WaitlistEntryOut]:
    user = acting_user(request)
    try:
        patient = access_person(user, payload.patient)
    except NotFound as error:
        raise InvalidInput(error.message, field="patient") from None
    try:
        appointment_type = get_appointment_type(user=user, public_id=payload.appointment_type)
    except NotFound as error:
        raise InvalidInput(error.message, field="appointment_type") from None
    providers = {p.public_id: p for p in list_providers(user=user)}
    locations = {place.public_id: place for place in list_locations(user=user)}
    if any(chosen not in providers for chosen in payload.providers):
        raise InvalidInput("Choose providers with a week in the schedule.", field="providers")
    if any(chosen not in locations for chosen in payload.locations):
        raise InvalidInput("Choose the practice's locations.", field="locations")
    entry = check_add_to_waitlist(
        patient,
        appointment_type=appointment_type,
        providers=[providers[chosen] for chosen in payload.providers],
        locations=[locations[chosen] for chosen in payload.locations],
        weekdays=payload.weekdays,
        times_of_day=payload.times_of_day,
        earliest=payload.earliest,
        latest=payload.latest,
        note=payload.note,
        acting_user=user,
        via="api",
    )
    return Status(201, entry_out(get_waitlist_entry(user=user, public_id=entry.public_id)))


@router.post(
    "/{entry_id}/remove",
    response=WaitlistEntryOut,
    auth=AUTH,
    summary="Take a patient off the waitlist (an offer they hold is withdrawn)",
)
def remove(request: HttpRequest, entry_id: UUID, payload: WaitlistRemoveIn) -> WaitlistEntryOut:
    user = acting_user(request)
    entry = get_waitlist_entry(user=user, public_id=entry_id)
    check_remove_from_waitlist(entry, reason=payload.reason, acting_user=user)
    return entry_out(get_waitlist_entry(user=user, public_id=entry.public_id))
