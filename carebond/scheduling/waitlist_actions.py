"""The waitlist: patients waiting for an earlier visit, the times that free, and the offers.

A cancellation or a visit moved away notes an opening in its own transaction
(``note_freed_time``), so a freed time is never missed. The worker's scan (``scan_waitlist``)
ends the offers that ran out and, for each opening with no offer waiting for an answer, sends
the next batch: ``SCHEDULING_WAITLIST_BATCH`` waiting patients, in the order they were added,
for whom the time suits and is bookable. Never at night: a batch starts only in the practice's
day, and only to patients outside their quiet hours, since an offer held until morning would
have expired by then.

Accepting locks the opening, so of two patients accepting at once the second waits and finds it
filled. The winner's booking goes through the booking action, which checks again that the time
is open and the type's rules (and the database refuses a double booking); the others who still
hold an offer for it are told it is gone, and stay on the list.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.claims import claim
from carebond.core.dates import RECORD_DATES
from carebond.core.errors import CareBondError, InvalidInput, RuleViolation
from carebond.core.models import Location
from carebond.messaging.actions import check_queue_message
from carebond.messaging.selectors import quiet_hours_until
from carebond.people.models import ContactSystem, Person, PersonKind, PersonStatus
from carebond.people.selectors import contact_address
from carebond.scheduling.actions import (
    SlotTaken,
    booking_rules_broken,
    check_book_appointment,
    is_established,
)
from carebond.scheduling.availability import location_zone, open_times
from carebond.scheduling.models import (
    LIVE_STATUSES,
    Appointment,
    AppointmentType,
    BookedVia,
    OfferStatus,
    OpeningStatus,
    PatientRule,
    TimeOfDay,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOpening,
    WaitlistProvider,
    WaitlistStatus,
)
from carebond.touchpoints.actions import record_touchpoint
from carebond.touchpoints.models import MomentOfTruth

if TYPE_CHECKING:
    from carebond.accounts.models import User

logger = logging.getLogger("carebond.scheduling")

MAX_NOTE = 1000
# No new batch for a time closer than the offer's life and this margin: the patient needs a
# moment to come.
LAST_BATCH_MARGIN = timedelta(minutes=15)


def offer_life() -> timedelta:
    return timedelta(minutes=settings.SCHEDULING_WAITLIST_OFFER_MINUTES)


def time_of_day(moment: time) -> str:
    if moment < time(12):
        return TimeOfDay.MORNING
    return TimeOfDay.AFTERNOON if moment < time(17) else TimeOfDay.EVENING


# --- the list --------------------------------------------------------------------------------


def check_add_to_waitlist(
    patient: Person,
    *,
    appointment_type: AppointmentType,
    providers: Sequence[Person] = (),
    locations: Sequence[Location] = (),
    weekdays: Sequence[int] = (),
    times_of_day: Sequence[str] = (),
    earliest: date | None = None,
    latest: date | None = None,
    note: str = "",
    acting_user: User | None,
    via: str = BookedVia.STAFF,
) -> WaitlistEntry:
    """Put a patient on the waitlist for a type, with what suits them. Audit:
    waitlist_entry.added."""
    organization_id = patient.organization_id
    if patient.kind != PersonKind.PATIENT or patient.status in (
        PersonStatus.DECEASED,
        PersonStatus.MERGED,
    ):
        raise RuleViolation("Only living patients are put on the waitlist.", code="patient")
    if appointment_type.organization_id != organization_id or not appointment_type.active:
        raise InvalidInput("Choose an appointment type in use.", field="appointment_type")
    offered_by = set(appointment_type.providers.values_list("id", flat=True))
    for provider in providers:
        if provider.kind != PersonKind.STAFF or provider.organization_id != organization_id:
            raise InvalidInput("Choose the practice's providers.", field="providers")
        if offered_by and provider.pk not in offered_by:
            raise InvalidInput(
                f"{provider.display_name} does not offer {appointment_type.name}.",
                field="providers",
            )
    if any(location.organization_id != organization_id for location in locations):
        raise InvalidInput("Choose the practice's locations.", field="locations")
    if any(day not in range(7) for day in weekdays):
        raise InvalidInput("Weekdays are 0 (Monday) to 6 (Sunday).", field="weekdays")
    if any(part not in TimeOfDay.values for part in times_of_day):
        raise InvalidInput("Times of day are morning, afternoon or evening.", field="times_of_day")
    _check_dates(earliest, latest, today=clock.now().date())
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"Keep the note under {MAX_NOTE:,} characters.", field="note")
    waiting = WaitlistEntry.objects.filter(
        patient=patient, appointment_type=appointment_type, status=WaitlistStatus.ACTIVE
    ).first()
    if waiting is not None:
        raise RuleViolation(
            f"{patient.display_name} is already waiting for {appointment_type.name} (since "
            f"{waiting.created_at:%d %b %Y}): change or remove that entry.",
            code="already_waiting",
        )
    return do_add_to_waitlist(
        patient,
        appointment_type=appointment_type,
        providers=list(dict.fromkeys(providers)),
        locations=list(dict.fromkeys(locations)),
        weekdays=sorted(set(weekdays)),
        times_of_day=[t for t in TimeOfDay.values if t in times_of_day],
        earliest=earliest,
        latest=latest,
        note=note,
        acting_user=acting_user,
        via=via,
    )


def _check_dates(earliest: date | None, latest: date | None, *, today: date) -> None:
    for name, day in (("earliest", earliest), ("latest", latest)):
        if day is not None:
            RECORD_DATES.check(day, field=name)
    if latest is not None and latest < today:
        raise InvalidInput("That date has passed: choose a later one.", field="latest")
    if earliest is not None and latest is not None and latest < earliest:
        raise InvalidInput("The latest day comes before the earliest.", field="latest")


@transaction.atomic
def do_add_to_waitlist(
    patient: Person,
    *,
    appointment_type: AppointmentType,
    providers: list[Person],
    locations: list[Location],
    weekdays: list[int],
    times_of_day: list[str],
    earliest: date | None,
    latest: date | None,
    note: str,
    acting_user: User | None,
    via: str,
) -> WaitlistEntry:
    entry = WaitlistEntry.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        appointment_type=appointment_type,
        weekdays=weekdays,
        times_of_day=times_of_day,
        earliest=earliest,
        latest=latest,
        note=note,
        added_via=via,
        added_by=acting_user,
    )
    WaitlistProvider.objects.bulk_create(
        WaitlistProvider(entry=entry, provider=provider) for provider in providers
    )
    entry.locations.set(locations)
    _record(
        entry,
        action="waitlist_entry.added",
        acting_user=acting_user,
        summary=f"Added to the waitlist: {appointment_type.name}",
    )
    return entry


def _record(
    entry: WaitlistEntry,
    *,
    action: str,
    acting_user: User | None,
    summary: str,
    changed_fields: Sequence[str] = (),
) -> None:
    """A change to an entry: its audit event and a line on the patient's timeline."""
    record_audit(
        actor=acting_user,
        action=action,
        target=entry,
        organization=entry.patient.organization,
        patient=entry.patient,
        changed_fields=changed_fields,
    )
    record_touchpoint(
        entry.patient,
        kind="scheduling",
        channel="in_person",
        direction="outbound",
        occurred_at=clock.now(),
        moment_of_truth=MomentOfTruth.SCHEDULING,
        summary=summary,
        source=entry,
        recorded_by=acting_user,
    )


def check_remove_from_waitlist(
    entry: WaitlistEntry, *, reason: str, acting_user: User | None
) -> WaitlistEntry:
    """Take a patient off the waitlist; an offer they hold is withdrawn (its link says so).
    Audit: waitlist_entry.removed."""
    if entry.status != WaitlistStatus.ACTIVE:
        raise RuleViolation(
            f"This entry is {entry.get_status_display().lower()}: only a waiting one can be "
            "removed.",
            code="not_waiting",
        )
    return do_remove_from_waitlist(entry, reason=reason.strip()[:200], acting_user=acting_user)


@transaction.atomic
def do_remove_from_waitlist(
    entry: WaitlistEntry, *, reason: str, acting_user: User | None
) -> WaitlistEntry:
    changed = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistStatus.ACTIVE).update(
        status=WaitlistStatus.REMOVED, removed_at=clock.now(), removed_reason=reason
    )
    if not changed:
        raise RuleViolation("This entry was changed a moment ago: look again.", code="stale")
    entry.refresh_from_db()
    for offer in entry.offers.filter(status=OfferStatus.SENT):
        _end_offer(offer, OfferStatus.WITHDRAWN, reason="The patient was taken off the waitlist.")
    _record(
        entry,
        action="waitlist_entry.removed",
        acting_user=acting_user,
        summary=f"Taken off the waitlist: {entry.appointment_type.name}"
        + (f" ({reason})" if reason else ""),
        changed_fields=["status", "removed_reason"],
    )
    return entry


# --- freed times -----------------------------------------------------------------------------


def note_freed_time(
    appointment: Appointment, *, starts_at: datetime, ends_at: datetime, provider_id: int
) -> WaitlistOpening | None:
    """A booked time became free (cancelled, or the visit moved away): noted in the caller's
    transaction, for the waitlist scan to offer. A time already passed, or an overbooked visit
    (it held no time of its own), frees nothing."""
    now = clock.now()
    if starts_at <= now or appointment.overbooked:
        return None
    already = WaitlistOpening.objects.filter(
        provider_id=provider_id, starts_at=starts_at, status=OpeningStatus.OPEN
    ).first()
    if already is not None:
        return already  # freed, booked again and freed again: one opening for it
    return WaitlistOpening.objects.create(
        organization_id=appointment.organization_id,
        provider_id=provider_id,
        location_id=appointment.location_id,
        starts_at=starts_at,
        ends_at=ends_at,
        freed_at=now,
        freed_by=appointment,
    )


# --- offers ----------------------------------------------------------------------------------


def scan_waitlist() -> int:
    """The worker's turn: end the offers that ran out, close the openings too close to offer,
    and send the next batch for each opening with no offer waiting. Returns what it handled."""
    handled = expire_offers() + end_past_entries()
    openings = WaitlistOpening.objects.filter(status=OpeningStatus.OPEN).order_by("starts_at")
    for opening_id in openings.values_list("pk", flat=True)[:200]:
        try:
            handled += offer_opening(opening_id)
        except Exception:  # one opening's trouble must not hold up the others
            logger.exception("Waitlist opening %s could not be offered", opening_id)
    return handled


def end_past_entries() -> int:
    """Entries whose latest day has passed (in the organisation's time zone) come off the list:
    no time can suit them any more. Audit: waitlist_entry.removed."""
    ended = 0
    for entry in WaitlistEntry.objects.filter(
        status=WaitlistStatus.ACTIVE, latest__lt=clock.now().date()
    ).select_related("patient__organization", "appointment_type", "organization"):
        today = clock.now().astimezone(ZoneInfo(entry.organization.time_zone)).date()
        if entry.latest is not None and entry.latest < today:
            try:
                do_remove_from_waitlist(entry, reason="Past the latest day.", acting_user=None)
                ended += 1
            except RuleViolation:
                continue  # changed a moment ago
    return ended


def expire_offers() -> int:
    """Offers whose time ran out: expired (the patient stays on the list). Audit:
    waitlist_offer.expired."""
    ended = 0
    for offer in WaitlistOffer.objects.filter(
        status=OfferStatus.SENT, expires_at__lte=clock.now()
    ).select_related("entry__patient__organization"):
        with transaction.atomic():
            ended += _end_offer(offer, OfferStatus.EXPIRED, reason="No answer in time.")
    return ended


def offer_opening(opening_id: int) -> int:
    """Send the next batch of offers for one opening, if it is its turn. Two workers at once:
    one raises the opening's batch count and sends; the other sends nothing."""
    opening = WaitlistOpening.objects.select_related(
        "location__organization", "provider", "organization"
    ).get(pk=opening_id)
    now = clock.now()
    if opening.status != OpeningStatus.OPEN:
        return 0
    if opening.offers.filter(status=OfferStatus.SENT).exists():
        return 0  # a batch is waiting for its answers
    if opening.starts_at - now < offer_life() + LAST_BATCH_MARGIN:
        return do_close_opening(opening, reason="Too close to its time to offer.")
    if not practice_day(opening.location, now):
        return 0  # never start a batch at night
    batch = settings.SCHEDULING_WAITLIST_BATCH
    with transaction.atomic():
        if not claim(
            WaitlistOpening,
            opening.pk,
            where={"status": OpeningStatus.OPEN, "batches": opening.batches},
            change={"batches": opening.batches + 1},
        ):
            return 0
        sent = tried = 0
        for entry in eligible_entries(opening, now=now):
            offer = do_send_offer(opening, entry, batch=opening.batches + 1, now=now)
            tried += 1
            sent += offer.status == OfferStatus.SENT
            if sent >= batch:
                break
        if not tried:
            transaction.set_rollback(True)  # nobody to offer it to now: look again later
    return sent


def practice_day(location: Location, now: datetime) -> bool:
    """Within the messaging day (``MESSAGING_QUIET_HOURS``) at the location."""
    start, end = settings.MESSAGING_QUIET_HOURS
    return time(start) <= now.astimezone(location_zone(location)).time() < time(end)


def eligible_entries(opening: WaitlistOpening, *, now: datetime) -> Iterator[WaitlistEntry]:
    """The waiting patients, in waiting order, for whom this time suits (provider, place, day,
    time of day, dates), who can be booked at it (the type fits there, its rules, new or
    established, not elsewhere then), who have no other offer waiting, and who can be reached
    now (outside their quiet hours)."""
    zone = location_zone(opening.location)
    local = opening.starts_at.astimezone(zone)
    day = local.date()
    any_provider = ~Exists(WaitlistProvider.objects.filter(entry=OuterRef("pk")))
    this_provider = Exists(
        WaitlistProvider.objects.filter(entry=OuterRef("pk"), provider_id=opening.provider_id)
    )
    places = WaitlistEntry.locations.through.objects
    any_place = ~Exists(places.filter(waitlistentry_id=OuterRef("pk")))
    this_place = Exists(
        places.filter(waitlistentry_id=OuterRef("pk"), location_id=opening.location_id)
    )
    entries = (
        WaitlistEntry.objects.filter(
            organization_id=opening.organization_id, status=WaitlistStatus.ACTIVE
        )
        .filter(any_provider | this_provider, any_place | this_place)
        .filter(Q(earliest__isnull=True) | Q(earliest__lte=day))
        .filter(Q(latest__isnull=True) | Q(latest__gte=day))
        .exclude(patient__status__in=(PersonStatus.DECEASED, PersonStatus.MERGED))
        .exclude(Exists(WaitlistOffer.objects.filter(entry=OuterRef("pk"), opening=opening)))
        .exclude(
            Exists(WaitlistOffer.objects.filter(entry=OuterRef("pk"), status=OfferStatus.SENT))
        )
        .select_related("patient__organization", "appointment_type")
        .order_by("created_at", "id")
    )
    fits: dict[int, bool] = {}
    for entry in entries:
        if (entry.weekdays and day.weekday() not in entry.weekdays) or (
            entry.times_of_day and time_of_day(local.time()) not in entry.times_of_day
        ):
            continue
        kind = entry.appointment_type
        if kind.pk not in fits:
            fits[kind.pk] = _fits(opening, kind, now=now)
        if fits[kind.pk] and _bookable_for(entry, opening, now=now) and _reachable(entry, now):
            yield entry


def _fits(opening: WaitlistOpening, kind: AppointmentType, *, now: datetime) -> bool:
    """The type is offered by the provider and its whole visit is open at the opening's start
    (within the type's notice and furthest day)."""
    offered_by = set(kind.providers.values_list("id", flat=True))
    if not kind.active or (offered_by and opening.provider_id not in offered_by):
        return False
    day = opening.starts_at.astimezone(location_zone(opening.location)).date()
    return any(
        t.starts_at == opening.starts_at
        for t in open_times(
            location=opening.location,
            providers=[opening.provider],
            appointment_type=kind,
            first_day=day,
            last_day=day,
            now=now,
        )
    )


def _bookable_for(entry: WaitlistEntry, opening: WaitlistOpening, *, now: datetime) -> bool:
    patient, kind = entry.patient, entry.appointment_type
    if booking_rules_broken(patient, kind, opening.starts_at, opening.location, now=now):
        return False
    if kind.patients != PatientRule.ANY:
        established = is_established(patient, kind.specialty, now=now)
        if established != (kind.patients == PatientRule.ESTABLISHED):
            return False
    return not Appointment.objects.filter(
        patient=patient,
        status__in=LIVE_STATUSES,
        starts_at__lt=opening.starts_at + kind.duration,
        ends_at__gt=opening.starts_at,
    ).exists()


def _channel(patient: Person) -> str:
    return "sms" if contact_address(patient, system=ContactSystem.PHONE) else "email"


def _reachable(entry: WaitlistEntry, now: datetime) -> bool:
    patient = entry.patient
    if not (
        contact_address(patient, system=ContactSystem.PHONE)
        or contact_address(patient, system=ContactSystem.EMAIL)
    ):
        return False
    return quiet_hours_until(patient, purpose="appointment", at=now) is None


def offer_url(token: str) -> str:
    """The offer's page: absolute when CAREBOND_BASE_URL is set (as for every message link)."""
    path = reverse("visits:waitlist_offer", kwargs={"token": token})
    return settings.BASE_URL.rstrip("/") + path


def do_send_offer(
    opening: WaitlistOpening, entry: WaitlistEntry, *, batch: int, now: datetime
) -> WaitlistOffer:
    """One offer and its message, in the batch's transaction. A message messaging's rules
    refuse (no consent and the day's reminder already sent, a STOP...) leaves the offer
    unreachable, and the batch goes on to the next patient. Audit: waitlist_offer.sent (or
    .unreachable) and message.queued."""
    patient = entry.patient
    token = secrets.token_urlsafe(16)  # 128 bits: unguessable, and short enough for a text
    key = f"waitlist-offer:{opening.public_id}:{entry.public_id}"
    message = check_queue_message(
        patient,
        purpose="appointment",
        channel=_channel(patient),
        template_key="waitlist_offer",
        idempotency_key=key,
        extra={
            "location": opening.location.name,
            "appointment_time": opening.starts_at,
            "link": offer_url(token),
        },
        acting_user=None,
    )
    sent = message.status == "queued"
    offer = WaitlistOffer.objects.create(
        organization_id=opening.organization_id,
        opening=opening,
        entry=entry,
        batch=batch,
        token=token,
        status=OfferStatus.SENT if sent else OfferStatus.UNREACHABLE,
        status_reason="" if sent else message.status_reason[:300],
        message_key=key,
        sent_at=now,
        # held by messaging past ``now`` (it should not be): the offer's time starts then
        expires_at=max(now, message.due_at) + offer_life(),
    )
    record_audit(
        actor=None,
        action="waitlist_offer.sent" if sent else "waitlist_offer.unreachable",
        target=offer,
        organization=opening.organization,
        patient=patient,
    )
    return offer


def _end_offer(offer: WaitlistOffer, status: str, *, reason: str = "") -> int:
    """End an offer still waiting for its answer (a conditional update: an answer that came a
    moment before wins). Audit: waitlist_offer.<status>."""
    changed = WaitlistOffer.objects.filter(pk=offer.pk, status=OfferStatus.SENT).update(
        status=status, status_reason=reason
    )
    if changed:
        record_audit(
            actor=None,
            action=f"waitlist_offer.{status}",
            target=offer,
            organization=offer.entry.patient.organization,
            patient=offer.entry.patient,
        )
    return changed


def _tell_taken(offer: WaitlistOffer, opening: WaitlistOpening) -> None:
    """The time an offer was for is gone: end the offer and say so (the patient stays on the
    list). Messaging's rules decide when: at night the message waits for the morning."""
    if not _end_offer(offer, OfferStatus.TAKEN, reason="Another patient took the time."):
        return
    patient = offer.entry.patient
    check_queue_message(
        patient,
        purpose="appointment",
        channel=_channel(patient),
        template_key="waitlist_taken",
        idempotency_key=f"{offer.message_key}:taken",
        extra={"appointment_time": opening.starts_at},
        acting_user=None,
    )


@transaction.atomic
def do_close_opening(opening: WaitlistOpening, *, reason: str) -> int:
    """Stop offering a time (it is too close, or it was booked some other way); whoever still
    holds an offer for it is told it is gone."""
    if not WaitlistOpening.objects.filter(pk=opening.pk, status=OpeningStatus.OPEN).update(
        status=OpeningStatus.CLOSED, closed_reason=reason[:200]
    ):
        return 0
    for offer in opening.offers.filter(status=OfferStatus.SENT).select_related(
        "entry__patient__organization"
    ):
        _tell_taken(offer, opening)
    return 1


# --- the patient's answer --------------------------------------------------------------------


def check_accept_offer(offer: WaitlistOffer) -> Appointment:
    """The patient takes the offered time. The opening is locked first, so of two acceptances
    at once one books and the other finds it filled; eligibility is checked again (the offer
    still open, the patient still waiting) and the booking action checks the rest (the time
    still open, the type's rules, new or established). A time booked some other way meanwhile
    closes the opening; a patient the rules now refuse loses this offer only, and the time
    stays offered to the others. Audit: waitlist_offer.accepted and appointment.booked."""
    with transaction.atomic():
        # Lock order, the same for everyone: the opening, then the offer and its entry.
        opening = (
            WaitlistOpening.objects.select_for_update()
            .select_related("location__organization", "provider", "organization")
            .get(pk=offer.opening_id)
        )
        offer = (
            WaitlistOffer.objects.select_for_update()
            .select_related("entry__patient__organization", "entry__appointment_type")
            .get(pk=offer.pk)
        )
        entry = WaitlistEntry.objects.select_for_update().get(pk=offer.entry_id)
        _check_still_open(offer, opening, entry)
        try:
            with transaction.atomic():
                return do_accept_offer(offer, opening=opening, entry=offer.entry)
        except CareBondError as refused:
            kind = offer.entry.appointment_type
            if isinstance(refused, SlotTaken) and not _fits(opening, kind, now=clock.now()):
                do_close_opening(opening, reason="Booked outside the waitlist.")
                gone = RuleViolation("This time has just been taken.", code="taken")
            else:
                _end_offer(offer, OfferStatus.WITHDRAWN, reason=refused.message[:300])
                gone = RuleViolation(
                    "This time cannot be booked for you online: please call the practice.",
                    code="not_bookable",
                )
    raise gone


def _check_still_open(offer: WaitlistOffer, opening: WaitlistOpening, entry: WaitlistEntry) -> None:
    if offer.status == OfferStatus.ACCEPTED:
        raise RuleViolation("You took this time already.", code="accepted")
    if opening.status != OpeningStatus.OPEN or offer.status == OfferStatus.TAKEN:
        raise RuleViolation("This time has just been taken.", code="taken")
    if offer.status != OfferStatus.SENT or offer.expires_at <= clock.now():
        raise RuleViolation("This offer has ended.", code="ended")
    if entry.status != WaitlistStatus.ACTIVE:
        raise RuleViolation("You are no longer on the waitlist.", code="not_waiting")


def do_accept_offer(
    offer: WaitlistOffer, *, opening: WaitlistOpening, entry: WaitlistEntry
) -> Appointment:
    """In the caller's transaction, with the opening locked."""
    appointment = check_book_appointment(
        entry.patient,
        provider=opening.provider,
        location=opening.location,
        appointment_type=entry.appointment_type,
        starts_at=opening.starts_at,
        acting_user=None,
        via=BookedVia.ONLINE,
    )
    now = clock.now()
    WaitlistOffer.objects.filter(pk=offer.pk).update(status=OfferStatus.ACCEPTED, answered_at=now)
    WaitlistOpening.objects.filter(pk=opening.pk).update(
        status=OpeningStatus.FILLED, appointment=appointment
    )
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        status=WaitlistStatus.BOOKED, appointment=appointment
    )
    _record_by_patient(offer, "waitlist_offer.accepted")
    for other in opening.offers.filter(status=OfferStatus.SENT).select_related(
        "entry__patient__organization"
    ):
        _tell_taken(other, opening)
    return appointment


def check_decline_offer(offer: WaitlistOffer) -> WaitlistOffer:
    """The patient says no to this time; they stay on the list, and the next batch need not
    wait for the offer to run out. Audit: waitlist_offer.declined."""
    if offer.status != OfferStatus.SENT or offer.expires_at <= clock.now():
        raise RuleViolation("This offer has ended.", code="ended")
    return do_decline_offer(offer)


@transaction.atomic
def do_decline_offer(offer: WaitlistOffer) -> WaitlistOffer:
    if not WaitlistOffer.objects.filter(pk=offer.pk, status=OfferStatus.SENT).update(
        status=OfferStatus.DECLINED, answered_at=clock.now()
    ):
        raise RuleViolation("This offer has ended.", code="ended")
    offer.refresh_from_db()
    _record_by_patient(offer, "waitlist_offer.declined")
    return offer


def do_open_offer_page(offer: WaitlistOffer) -> None:
    """The patient opened their offer's page (a read of their own offer, by its link). Audit:
    waitlist_offer.opened."""
    _record_by_patient(offer, "waitlist_offer.opened")


def _record_by_patient(offer: WaitlistOffer, action: str) -> None:
    """What the patient did by their offer's link (no staff user: the link names them)."""
    record_audit(
        actor=None,
        action=action,
        target=offer,
        organization=offer.entry.patient.organization,
        patient=offer.entry.patient,
        actor_label="patient (offer link)",
    )
