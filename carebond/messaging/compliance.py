"""The rules every send passes, in one place (DESIGN §4, lawful outreach).

``decide(...)`` answers, for one person, channel and purpose at one moment: may this message be
sent, under which basis (a consent record in force, or the healthcare exemption), and when (now,
or deferred past quiet hours). The outbox calls it when a message is queued and again just
before it is handed to the provider, so a revocation that arrives in between always wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from carebond.messaging.models import (
    CONSENT_PURPOSE,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    OptedOutNumber,
)
from carebond.messaging.reassigned import reassigned_since
from carebond.people.models import Address, ConsentRecord, ConsentStatus, Person, PersonStatus
from carebond.people.selectors import (
    consent_in_force,
    consents_in_force,
    first_address,
    first_addresses,
)

# Appointment and care reminders may go without a consent record (the healthcare exemption,
# FCC 2015 TCPA order): short, and at most one a day and three a week per person.
EXEMPT_PURPOSES = frozenset({MessagePurpose.APPOINTMENT, MessagePurpose.CARE})
EXEMPT_MAX_SMS_CHARACTERS = 160
URGENT_PURPOSES = frozenset({MessagePurpose.APPOINTMENT, MessagePurpose.CARE, MessagePurpose.REPLY})
EXEMPT_PER_DAY = 1
EXEMPT_PER_WEEK = 3

# States whose telephone-solicitation laws allow marketing texts in a shorter window.
STATE_MARKETING_HOURS: dict[str, tuple[time, time]] = {
    "FL": (time(8), time(20)),  # Florida Telephone Solicitation Act, Fla. Stat. 501.616
    "OK": (time(8), time(20)),  # Oklahoma Telephone Solicitation Act
}
# When a recipient's time zone is unknown, every zone they might be in must be inside the window.
COUNTRY_ZONES: dict[str, tuple[str, ...]] = {
    "US": (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
    ),
}
COUNTED = (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str  # consent, exempt, or why not: merged, deceased, opted_out, no_consent, cap...
    reason: str  # in words, for the outbox and the campaign preview (no PHI)
    send_at: datetime | None = None  # later than asked when quiet hours defer it

    @property
    def exempt(self) -> bool:
        return self.code == "exempt"


def refuse(code: str, reason: str) -> Decision:
    return Decision(False, code, reason)


@dataclass
class Ledger:
    """What ``decide`` reads about a set of people (their consent decisions, the numbers that
    texted STOP, their first address), loaded in three queries: the worker checks a batch of
    sends this way instead of with a few queries per message. It loads the ledger after it
    claims the batch, so a revocation recorded before then always wins; one recorded during
    the batch's second or so applies from the next batch (DESIGN §4 asks for 60 seconds)."""

    people: set[int] = field(default_factory=set)
    consents: dict[tuple[int, str, str], ConsentRecord] = field(default_factory=dict)
    stopped: dict[tuple[int, str, str], OptedOutNumber] = field(default_factory=dict)
    addresses: dict[int, Address] = field(default_factory=dict)

    @classmethod
    def load(cls, people: Iterable[Person], numbers: Iterable[str]) -> Ledger:
        people = list(people)
        ids = {person.pk for person in people}
        stopped = OptedOutNumber.objects.filter(
            organization_id__in={person.organization_id for person in people},
            address__in=set(numbers),
        )
        return cls(
            people=ids,
            consents=consents_in_force(ids),
            stopped={(s.organization_id, s.address, s.purpose): s for s in stopped},
            addresses=first_addresses(ids),
        )

    def knows(self, person: Person) -> bool:
        return person.pk in self.people


def _consent(
    person: Person, channel: str, purpose: str, ledger: Ledger | None
) -> ConsentRecord | None:
    if ledger is not None and ledger.knows(person):
        return ledger.consents.get((person.pk, channel, purpose))
    return consent_in_force(person.pk, channel=channel, purpose=purpose)


def _stopped_number(
    person: Person, address: str, purpose: str, ledger: Ledger | None
) -> OptedOutNumber | None:
    if ledger is not None and ledger.knows(person):
        return ledger.stopped.get((person.organization_id, address, purpose))
    return OptedOutNumber.objects.filter(
        organization_id=person.organization_id, address=address, purpose=purpose
    ).first()


def _first_address(person: Person, ledger: Ledger | None) -> Address | None:
    if ledger is not None and ledger.knows(person):
        return ledger.addresses.get(person.pk)
    return first_address(person)


def decide(
    person: Person,
    *,
    channel: str,
    purpose: str,
    body: str,
    at: datetime,
    urgent: bool = False,
    replying: bool = False,
    count_caps: bool = True,
    address: str = "",
    check_reassigned: bool = True,
    ledger: Ledger | None = None,
) -> Decision:
    """May this message go to this person, and when? Checked in the order a person would ask.

    ``replying``: staff answer a message the person sent (no consent record needed, but an
    opt-out still wins). ``count_caps``: off for the re-check just before sending, when the
    message itself is already one of those counted. ``address``: the number it goes to, which
    may have texted STOP before anyone knew whose it was. ``ledger``: the person's records,
    loaded beforehand for a batch (see Ledger); read from the database when not given."""
    if person.status == PersonStatus.MERGED:
        return refuse("merged", "The record was merged into another; send to the survivor.")
    if person.status == PersonStatus.DECEASED or person.deceased_date is not None:
        return refuse("deceased", "The person has died.")
    if channel == MessageChannel.SMS and address and purpose != MessagePurpose.REPLY:
        stopped = _stopped_number(person, address, CONSENT_PURPOSE[purpose], ledger)
        newer = _consent(person, channel, CONSENT_PURPOSE[purpose], ledger)
        if stopped is not None and (newer is None or newer.recorded_at <= stopped.created_at):
            # (a consent the person gave since, recorded on their ledger, wins)
            when = stopped.created_at.date().isoformat()
            return refuse("opted_out", f"The number {address} texted STOP on {when}.")
    basis = _basis(
        person,
        channel=channel,
        purpose=purpose,
        body=body,
        at=at,
        replying=replying,
        count_caps=count_caps,
        address=address,
        check_reassigned=check_reassigned and not replying,
        ledger=ledger,
    )
    if not basis.allowed:
        return basis
    capped = _over_cap(person, purpose=purpose, at=at) if count_caps and not replying else None
    if capped is not None:
        return capped
    # Urgent skips quiet hours only for care itself: never for marketing or surveys (TCPA).
    skip_quiet = urgent and purpose in URGENT_PURPOSES
    send_at = at if skip_quiet else next_allowed_time(person, purpose=purpose, at=at, ledger=ledger)
    return Decision(True, basis.code, basis.reason, send_at)


def _basis(
    person: Person,
    *,
    channel: str,
    purpose: str,
    body: str,
    at: datetime,
    replying: bool,
    count_caps: bool,
    address: str = "",
    check_reassigned: bool = True,
    ledger: Ledger | None = None,
) -> Decision:
    """A consent record in force (to a number not reassigned since), or the healthcare
    exemption; a revocation always wins."""
    consent_purpose = CONSENT_PURPOSE[purpose]
    record = _consent(person, channel, consent_purpose, ledger)
    label = MessageChannel(channel).label.lower()
    if record is not None and record.status == ConsentStatus.REVOKED:
        when = record.recorded_at.date().isoformat()
        return refuse("opted_out", f"Opted out of {label}s for {consent_purpose} on {when}.")
    if record is not None:
        if check_reassigned and count_caps and address and channel == MessageChannel.SMS:
            since = record.recorded_at.date()
            if reassigned_since(address, since):
                return refuse(
                    "reassigned",
                    f"The number was disconnected after consent was given on "
                    f"{since.isoformat()}: it may be someone else's now.",
                )
        return Decision(True, "consent", f"Consent for {consent_purpose} by {label}.")
    if replying:
        return Decision(True, "reply", "An answer to the person's own message.")
    if purpose not in EXEMPT_PURPOSES:
        return refuse("no_consent", f"No consent for {consent_purpose} by {label}.")
    if channel == MessageChannel.SMS and len(body) > EXEMPT_MAX_SMS_CHARACTERS:
        return refuse(
            "too_long",
            f"Without a consent record a reminder must be {EXEMPT_MAX_SMS_CHARACTERS} "
            f"characters or fewer (this one has {len(body)}).",
        )
    # The exemption's caps are the FCC's, for calls and texts: an email (a booking's calendar
    # invitation) neither meets them nor counts towards them.
    if not count_caps or channel != MessageChannel.SMS:
        return Decision(True, "exempt", "Healthcare reminder (no consent record needed).")
    exempt_sent = Message.objects.filter(
        person=person,
        exempt=True,
        channel=MessageChannel.SMS,
        status__in=COUNTED,
        due_at__gt=at - timedelta(days=7),
    )
    if exempt_sent.filter(due_at__gt=at - timedelta(days=1)).count() >= EXEMPT_PER_DAY:
        return refuse("cap", "Already one reminder without consent today (the most allowed).")
    if exempt_sent.count() >= EXEMPT_PER_WEEK:
        return refuse("cap", "Already three reminders without consent this week.")
    return Decision(True, "exempt", "Healthcare reminder (no consent record needed).")


def _over_cap(person: Person, *, purpose: str, at: datetime) -> Decision | None:
    """The organisation's frequency cap per person and purpose (settings.MESSAGING_CAPS)."""
    cap = settings.MESSAGING_CAPS.get(purpose)
    if cap is None:
        return None
    most, days = cap
    sent = Message.objects.filter(
        person=person,
        purpose=purpose,
        direction="outbound",
        status__in=COUNTED,
        due_at__gt=at - timedelta(days=days),
    ).count()
    if sent >= most:
        return refuse("cap", f"Already {sent} {purpose} messages in {days} days (the cap).")
    return None


def quiet_window(
    person: Person, *, purpose: str, ledger: Ledger | None = None
) -> tuple[time, time]:
    start, end = settings.MESSAGING_QUIET_HOURS
    window = (time(start), time(end))
    if purpose == MessagePurpose.MARKETING:
        address = _first_address(person, ledger)
        state = (address.state or "").strip().upper() if address else ""
        if state in STATE_MARKETING_HOURS:
            window = (
                max(window[0], STATE_MARKETING_HOURS[state][0]),
                min(window[1], STATE_MARKETING_HOURS[state][1]),
            )
    return window


def recipient_zones(person: Person) -> tuple[ZoneInfo, ...]:
    """The person's own time zone, or every zone they might be in (the most restrictive)."""
    if person.time_zone:
        return (ZoneInfo(person.time_zone),)
    organization = person.organization
    names = COUNTRY_ZONES.get(organization.country, ())
    return tuple(ZoneInfo(name) for name in (*names, organization.time_zone))


def next_allowed_time(
    person: Person, *, purpose: str, at: datetime, ledger: Ledger | None = None
) -> datetime:
    window = quiet_window(person, purpose=purpose, ledger=ledger)
    return first_time_in_window(at, recipient_zones(person), window)


def in_window(moment: datetime, zones: tuple[ZoneInfo, ...], window: tuple[time, time]) -> bool:
    start, end = window
    return all(start <= moment.astimezone(zone).time() < end for zone in zones)


def first_time_in_window(
    at: datetime, zones: tuple[ZoneInfo, ...], window: tuple[time, time]
) -> datetime:
    """The first moment from ``at`` that is inside the window in every zone. Walks in five-minute
    steps from the next whole five minutes, which handles DST changes without special cases."""
    if in_window(at, zones, window):
        return at
    step = timedelta(minutes=5)
    moment = at.replace(second=0, microsecond=0) + step - timedelta(minutes=at.minute % 5)
    for _ in range(14 * 24 * 12):
        if in_window(moment, zones, window):
            return moment
        moment += step
    raise ValueError("The quiet hours leave no time to send in any of these time zones.")
