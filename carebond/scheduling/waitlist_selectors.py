"""Reads of the waitlist: the entries with their offers, the freed times being offered and what
came of them, an offer by its link's token, and what the front desk's home panel shows. Each
names patients: reads for staff are audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.access import one_or_not_found
from carebond.core.errors import InvalidInput, NotFound
from carebond.scheduling.access import SCHEDULERS
from carebond.scheduling.availability import location_zone
from carebond.scheduling.models import (
    OfferStatus,
    OpeningStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOpening,
    WaitlistStatus,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TIMES_OF_DAY = {"morning": "mornings", "afternoon": "afternoons", "evening": "evenings"}
# Openings shown on the page: those still offered, and those freed this many days back.
SHOWN_FOR = timedelta(days=14)


def _offers_with_openings() -> Prefetch[str, QuerySet[WaitlistOffer]]:
    return Prefetch(
        "offers",
        queryset=WaitlistOffer.objects.select_related(
            "opening__provider", "opening__location__organization"
        ).order_by("sent_at", "id"),
    )


def get_waitlist_entry(
    *, user: User, public_id: UUID | str, for_update: bool = False
) -> WaitlistEntry:
    """An entry of the user's organisation (missing and another organisation's look the same)."""
    if not SCHEDULERS.allows(user.role):
        raise NotFound("No such waitlist entry.")
    found = WaitlistEntry.objects.filter(organization_id=user.organization_id, public_id=public_id)
    if for_update:
        found = found.select_for_update(of=("self",))
    return one_or_not_found(
        found.select_related("patient__organization", "appointment_type").prefetch_related(
            "providers", "locations", _offers_with_openings()
        ),
        "No such waitlist entry.",
    )


def when(moment: datetime, opening: WaitlistOpening) -> str:
    """ "Tue 10 Mar 09:00" in the location's time zone."""
    return f"{moment.astimezone(location_zone(opening.location)):%a %d %b %H:%M}"


def describe_wants(entry: WaitlistEntry) -> str:
    """What suits the patient, in words: "Priya Raman · mornings · Mon, Tue · from 10 Mar"."""
    parts = [
        " or ".join(p.display_name for p in entry.providers.all()) or "Any provider",
        " or ".join(place.name for place in entry.locations.all()) or "any location",
    ]
    if entry.weekdays:
        parts.append(", ".join(WEEKDAYS[day] for day in entry.weekdays))
    if entry.times_of_day:
        parts.append(" or ".join(TIMES_OF_DAY[t] for t in entry.times_of_day))
    if entry.earliest and entry.latest:
        parts.append(f"{entry.earliest:%d %b} to {entry.latest:%d %b %Y}")
    elif entry.earliest:
        parts.append(f"from {entry.earliest:%d %b %Y}")
    elif entry.latest:
        parts.append(f"by {entry.latest:%d %b %Y}")
    return " · ".join(parts)


@dataclass
class OfferRow:
    offer: WaitlistOffer
    when: str
    provider_name: str
    status: str
    waiting: bool  # still waiting for the patient's answer


def offer_row(offer: WaitlistOffer, now: datetime) -> OfferRow:
    opening = offer.opening
    waiting = offer.status == OfferStatus.SENT and offer.expires_at > now
    status = offer.get_status_display()
    if waiting:
        status = f"Waiting for an answer until {when(offer.expires_at, opening)[-5:]}"
    elif offer.status == OfferStatus.SENT:
        status = OfferStatus.EXPIRED.label
    name = opening.provider.display_name
    return OfferRow(offer, when(opening.starts_at, opening), name, status, waiting)


@dataclass
class WaitlistRow:
    entry: WaitlistEntry
    wants: str
    offers: list[OfferRow]


WAITLIST_VIEWS = tuple(WaitlistStatus.values)


def list_waitlist(
    *, user: User, status: str = WaitlistStatus.ACTIVE, limit: int = 200
) -> list[WaitlistRow]:
    """The entries of one status, in waiting order (booked and removed ones, the latest
    first), each with its offers. Audited: waitlist_entry.list."""
    if not SCHEDULERS.allows(user.role):
        raise NotFound("No such page.")
    if status not in WAITLIST_VIEWS:
        raise InvalidInput(f"Show one of: {', '.join(WAITLIST_VIEWS)}.", field="status")
    entries = (
        WaitlistEntry.objects.filter(organization_id=user.organization_id, status=status)
        .select_related("patient", "appointment_type", "added_by", "appointment")
        .prefetch_related("providers", "locations", _offers_with_openings())
    )
    if status != WaitlistStatus.ACTIVE:
        entries = entries.order_by("-updated_at", "-id")
    now = clock.now()
    rows = [
        WaitlistRow(entry, describe_wants(entry), [offer_row(o, now) for o in entry.offers.all()])
        for entry in entries[:limit]
    ]
    record_access(
        actor=user, target=None, action="waitlist_entry.list", organization=user.organization
    )
    return rows


@dataclass
class OpeningRow:
    opening: WaitlistOpening
    when: str
    status: str
    offers: list[OfferRow]


def list_openings(*, user: User, limit: int = 50) -> list[OpeningRow]:
    """The freed times still being offered and those of the last two weeks, the soonest
    first, with whom each was offered to and what they said. Audited: waitlist_opening.list."""
    if not SCHEDULERS.allows(user.role):
        raise NotFound("No such page.")
    now = clock.now()
    openings = (
        WaitlistOpening.objects.filter(organization_id=user.organization_id)
        .filter(Q(status=OpeningStatus.OPEN) | Q(freed_at__gte=now - SHOWN_FOR))
        .select_related("provider", "location__organization", "appointment__patient")
        .prefetch_related(
            Prefetch(
                "offers",
                queryset=WaitlistOffer.objects.select_related(
                    "entry__patient", "opening__provider", "opening__location__organization"
                ).order_by("sent_at", "id"),
            )
        )
        .order_by("-status", "starts_at")[:limit]
    )
    rows = []
    for opening in openings:
        status = opening.get_status_display()
        if opening.status == OpeningStatus.FILLED and opening.appointment is not None:
            status = f"Booked for {opening.appointment.patient.display_name}"
        elif opening.status == OpeningStatus.CLOSED and opening.closed_reason:
            status = f"Closed: {opening.closed_reason}"
        elif opening.status == OpeningStatus.OPEN and not opening.batches:
            status = "Waiting for a patient it suits"
        rows.append(
            OpeningRow(
                opening,
                f"{when(opening.starts_at, opening)} with {opening.provider.display_name}",
                status,
                [offer_row(o, now) for o in opening.offers.all()],
            )
        )
    record_access(
        actor=user, target=None, action="waitlist_opening.list", organization=user.organization
    )
    return rows


@dataclass
class WaitlistSummary:
    waiting: int
    offers: list[OfferRow]  # waiting for an answer
    booked_this_week: int


def waitlist_summary(*, user: User) -> WaitlistSummary | None:
    """For the front desk's home: the offers out now (who, which time, until when), how many
    wait, and how many the waitlist booked this week. None when no offer is out."""
    if not SCHEDULERS.allows(user.role):
        return None
    now = clock.now()
    offers = list(
        WaitlistOffer.objects.filter(
            organization_id=user.organization_id, status=OfferStatus.SENT, expires_at__gt=now
        )
        .select_related("entry__patient", "opening__provider", "opening__location__organization")
        .order_by("expires_at")[:10]
    )
    if not offers:
        return None
    record_access(
        actor=user, target=None, action="waitlist_offer.list", organization=user.organization
    )
    waiting = WaitlistEntry.objects.filter(
        organization_id=user.organization_id, status=WaitlistStatus.ACTIVE
    ).count()
    booked = WaitlistOpening.objects.filter(
        organization_id=user.organization_id,
        status=OpeningStatus.FILLED,
        freed_at__gte=now - timedelta(days=7),
    ).count()
    return WaitlistSummary(waiting, [offer_row(o, now) for o in offers], booked)


def find_offer(token: str) -> WaitlistOffer | None:
    """The offer a link names (None for a link that names none)."""
    if not 16 <= len(token) <= 64:
        return None
    return (
        WaitlistOffer.objects.filter(token=token)
        .select_related(
            "entry__patient__organization",
            "entry__appointment_type",
            "opening__location__organization",
            "opening__provider",
            "opening__organization",
        )
        .first()
    )


def offer_state(offer: WaitlistOffer) -> str:
    """What the patient's page says: open (they may answer), accepted, declined, taken or
    ended."""
    if offer.status == OfferStatus.SENT:
        if offer.opening.status != OpeningStatus.OPEN:
            return "taken"
        return "open" if offer.expires_at > clock.now() else "ended"
    return {
        OfferStatus.ACCEPTED: "accepted",
        OfferStatus.DECLINED: "declined",
        OfferStatus.TAKEN: "taken",
    }.get(OfferStatus(offer.status), "ended")
