"""The demo's waitlist: ten patients waiting for an earlier visit, each with what suits them;
a time freed yesterday that the waitlist filled (one took it, one was told it was gone, one
said no), one that ran out unanswered, and a visit the front desk cancels now whose time is out
to the first three who wait for any follow-up. That batch goes through messaging as every
offer does: built at night, its texts wait for the morning and the offers' half hour starts
then (the worker itself never starts a batch at night)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from carebond.accounts.models import User
from carebond.core import clock
from carebond.core.models import Location, Organization
from carebond.people.models import Person
from carebond.scheduling.actions import (
    SlotTaken,
    check_book_appointment,
    check_cancel_appointment,
)
from carebond.scheduling.availability import first_available
from carebond.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    BookedVia,
    OfferStatus,
    OpeningStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOpening,
    WaitlistStatus,
)
from carebond.scheduling.waitlist_actions import check_add_to_waitlist, do_send_offer

NOTES = (
    "Prefers Dr Raman; can come at short notice",
    "Mornings, before work",
    "",
    "Needs a ride: Monday, Wednesday or Friday",
    "After the school pick-up",
    "",
    "Spanish interpreter",
    "Call the daughter first",
    "",
    "Works nights: any daytime visit",
)


def build_waitlist(
    organization: Organization,
    *,
    location: Location,
    providers: list[Person],
    types: dict[str, AppointmentType],
    patients: list[Person],
    users: dict[str, User],
) -> None:
    desk = users.get("frontdesk")
    zone = ZoneInfo(location.time_zone or organization.time_zone)
    today = clock.now().astimezone(zone).date()
    follow_up, physical = types["follow-up"], types["physical"]
    raman = providers[0]
    wants: list[tuple[AppointmentType, dict[str, Any]]] = [
        (follow_up, {"providers": [raman]}),
        (follow_up, {"times_of_day": ["morning"]}),
        (follow_up, {}),
        (physical, {"weekdays": [0, 2, 4]}),
        (follow_up, {"times_of_day": ["afternoon"], "latest": today + timedelta(days=21)}),
        (physical, {"providers": providers[1:2], "earliest": today + timedelta(days=3)}),
        (follow_up, {}),
        (follow_up, {"locations": [location]}),
        (follow_up, {}),
        (follow_up, {}),
    ]
    entries = [
        check_add_to_waitlist(patient, appointment_type=kind, note=note, acting_user=desk, **more)
        for patient, (kind, more), note in zip(patients, wants, NOTES, strict=False)
    ]
    history = patients[len(wants) : len(wants) + 5]
    if len(history) == 5:
        _filled_yesterday(organization, location, raman, follow_up, history[:3], desk)
        _ran_out(organization, location, raman, follow_up, history[3:], desk, zone, today)
    _cancelled_now(organization, follow_up, [e for e in entries if _any_time(e)], desk)


def _any_time(entry: WaitlistEntry) -> bool:
    return (
        entry.appointment_type.key == "follow-up"
        and not entry.weekdays
        and not entry.times_of_day
        and not entry.providers.exists()
    )


def _past_opening(
    organization: Organization,
    location: Location,
    provider: Person,
    kind: AppointmentType,
    answers: dict[Person, str],
    desk: User | None,
    *,
    starts: datetime,
    freed_at: datetime,
    **state: Any,
) -> list[WaitlistEntry]:
    """A time freed in the past, offered to these waiting patients, and how each offer ended,
    written as it stands (its messages went long ago)."""
    entries = [
        check_add_to_waitlist(patient, appointment_type=kind, acting_user=desk)
        for patient in answers
    ]
    opening = WaitlistOpening.objects.create(
        organization=organization,
        provider=provider,
        location=location,
        starts_at=starts,
        ends_at=starts + kind.duration,
        freed_at=freed_at,
        batches=1,
        **state,
    )
    for n, (entry, status) in enumerate(zip(entries, answers.values(), strict=True)):
        WaitlistOffer.objects.create(
            organization_id=organization.pk,
            opening=opening,
            entry=entry,
            batch=1,
            token=secrets.token_urlsafe(16),
            status=status,
            message_key=f"waitlist-offer:{opening.public_id}:{entry.public_id}",
            sent_at=freed_at,
            expires_at=freed_at + timedelta(minutes=30),
            answered_at=freed_at + timedelta(minutes=6 + n)
            if status in (OfferStatus.ACCEPTED, OfferStatus.DECLINED)
            else None,
        )
    return entries


def _filled_yesterday(
    organization: Organization,
    location: Location,
    provider: Person,
    kind: AppointmentType,
    patients: list[Person],
    desk: User | None,
) -> None:
    """Yesterday a time three days ahead freed; the first of three took it through the booking
    action, the second was told it was gone, the third said no."""
    # Times three days ahead, as they will look then; a same-day hold released by that day is
    # not open yet today, so the first time the booking rules accept now is taken.
    found = first_available(
        location=location,
        providers=[provider],
        appointment_type=kind,
        now=clock.now() + timedelta(days=3),
        count=12,
    )
    visit = None
    for time_found in found:
        try:
            visit = check_book_appointment(
                patients[0],
                provider=provider,
                location=location,
                appointment_type=kind,
                starts_at=time_found.starts_at,
                acting_user=None,
                via=BookedVia.ONLINE,
            )
        except SlotTaken:
            continue
        break
    if visit is None:
        return
    answers = (OfferStatus.ACCEPTED, OfferStatus.TAKEN, OfferStatus.DECLINED)
    took, *_ = _past_opening(
        organization,
        location,
        provider,
        kind,
        dict(zip(patients, answers, strict=True)),
        desk,
        starts=visit.starts_at,
        freed_at=clock.now() - timedelta(days=1),
        status=OpeningStatus.FILLED,
        appointment=visit,
    )
    WaitlistEntry.objects.filter(pk=took.pk).update(status=WaitlistStatus.BOOKED, appointment=visit)


def _ran_out(
    organization: Organization,
    location: Location,
    provider: Person,
    kind: AppointmentType,
    patients: list[Person],
    desk: User | None,
    zone: ZoneInfo,
    today: date,
) -> None:
    """Two days ago a time of yesterday freed; nobody answered, and it came too close."""
    starts = datetime.combine(today - timedelta(days=1), time(15, 20), tzinfo=zone)
    _past_opening(
        organization,
        location,
        provider,
        kind,
        dict.fromkeys(patients, OfferStatus.EXPIRED),
        desk,
        starts=starts,
        freed_at=starts - timedelta(hours=26),
        status=OpeningStatus.CLOSED,
        closed_reason="Too close to its time to offer.",
    )


def _cancelled_now(
    organization: Organization,
    kind: AppointmentType,
    entries: list[WaitlistEntry],
    desk: User | None,
) -> None:
    """The desk cancels the next follow-up booked from tomorrow on; its time goes out to the
    first three who wait for any follow-up and can be reached."""
    visit = (
        Appointment.objects.filter(
            organization=organization,
            appointment_type=kind,
            status=AppointmentStatus.BOOKED,
            starts_at__gte=clock.now() + timedelta(days=1),
        )
        .select_related("patient", "location__organization", "appointment_type", "provider")
        .order_by("starts_at")
        .first()
    )
    if visit is None:
        return
    check_cancel_appointment(
        visit, cancelled_by="patient", reason="Work conflict", acting_user=desk
    )
    opening = WaitlistOpening.objects.select_related(
        "location__organization", "provider", "organization"
    ).get(freed_by=visit)
    WaitlistOpening.objects.filter(pk=opening.pk).update(batches=1)
    now, sent = clock.now(), 0
    for entry in entries:  # (one who opted out of texts is passed over, as the worker does)
        sent += do_send_offer(opening, entry, batch=1, now=now).status == OfferStatus.SENT
        if sent == 3:
            break
