"""Reads of the audit trail: filtered listings for admins, and chain verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from carebond.audit.models import (
    GENESIS_HASH,
    RETENTION_APPLIED,
    AuditEvent,
    Outcome,
    RetentionCut,
    chain_start,
)
from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.registry import audit_names

if TYPE_CHECKING:
    from carebond.accounts.models import User


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""
    target_type: str = ""
    patient_id: str = ""
    # A name, MRN or birth date typed into the patient filter, and the patients it found.
    patient: str = ""
    patient_ids: tuple[str, ...] = ()
    outcome: str = ""
    since: date | None = None
    until: date | None = None


def list_audit_events(*, user: User, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Newest first, only the user's organisation."""
    events = AuditEvent.objects.filter(organization_id=user.organization_id)
    if filters.action:
        events = events.filter(action__startswith=filters.action)
    if filters.actor:
        events = events.filter(actor_label=filters.actor)
    if filters.target_type:
        events = events.filter(target_type=filters.target_type)
    if filters.patient_id:
        events = events.filter(patient_id=filters.patient_id)
    if filters.patient:
        events = events.filter(patient_id__in=filters.patient_ids)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.since:
        events = events.filter(occurred_at__gte=datetime.combine(filters.since, time.min, UTC))
    if filters.until:
        events = events.filter(occurred_at__lte=datetime.combine(filters.until, time.max, UTC))
    return events.order_by("-id")


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    public_id: str
    reason: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_break: ChainBreak | None
    head_hash: str = GENESIS_HASH

    @property
    def intact(self) -> bool:
        return self.first_break is None


def verify_chain(*, chunk_size: int = 5000, using: str = "default") -> ChainReport:
    """Recompute every hash in id order. Names the first event whose row or link does not match.

    Edited row: its own hash no longer matches. Deleted row: the next id is missing and the next
    row's prev_hash points at a hash we never saw. Reordered rows: ids and links disagree.
    After retention removed the oldest events, the chain starts where its cut says (the first
    kept event and the hash it links to), and the trail must record that cut. ``using`` names
    another database: a backup checked before it is restored.
    """
    expected_id, expected_prev, cut = chain_start(using=using)
    checked = 0
    events = AuditEvent.objects.using(using).order_by("id")
    for event in events.iterator(chunk_size=chunk_size):
        if event.id != expected_id:
            reason = f"event id {expected_id} is missing (deleted or renumbered)"
            return ChainReport(checked, ChainBreak(event.id, str(event.public_id), reason))
        if event.prev_hash != expected_prev:
            reason = "its link to the previous event does not match (events removed or reordered)"
            return ChainReport(checked, ChainBreak(event.id, str(event.public_id), reason))
        if event.compute_hash() != event.hash:
            reason = "its contents no longer match its hash (the row was edited)"
            return ChainReport(checked, ChainBreak(event.id, str(event.public_id), reason))
        expected_prev, expected_id, checked = event.hash, expected_id + 1, checked + 1
    if cut is not None and not _cut_recorded(cut, using=using):
        reason = "the trail does not record the retention cut it starts from"
        return ChainReport(checked, ChainBreak(cut.first_kept_id or 0, str(cut.public_id), reason))
    return ChainReport(checked, None, expected_prev)


def _cut_recorded(cut: RetentionCut, *, using: str) -> bool:
    return (
        AuditEvent.objects.using(using)
        .filter(
            action=RETENTION_APPLIED, target_type="audit.retentioncut", target_id=str(cut.public_id)
        )
        .exists()
    )


@dataclass(frozen=True)
class AuditDay:
    """The administrator's home panel: how much was recorded in the last 24 hours."""

    events: int
    patient_reads: int
    failures: int


READS = Q(action__endswith=".read") | Q(action__endswith="_read")


def get_audit_day(*, user: User) -> AuditDay:
    since = clock.now() - timedelta(hours=24)
    events = AuditEvent.objects.filter(organization_id=user.organization_id, occurred_at__gte=since)
    counts = events.aggregate(
        events=Count("id"),
        patient_reads=Count("id", filter=READS & ~Q(patient_id="")),
        failures=Count("id", filter=~Q(outcome=Outcome.SUCCESS)),
    )
    return AuditDay(**counts)


PERSON = "people.person"
# A patient filter that finds this many patients may have found more: the page says so.
PATIENTS_FOUND_AT_MOST = 100


def find_patients(user: User, text: str) -> list[str]:
    """The patients a name typed into the trail's filter finds. The search shows who was
    looked at, so it is itself recorded (people.search, without the words typed)."""
    people = audit_names(PERSON)
    found = people.find(user.organization_id, text) if people and people.find else []
    record_access(actor=user, target=None, action="people.search", organization=user.organization)
    return found


@dataclass(frozen=True)
class NamedEvent:
    """An audit event with the names its ids stand for, as the trail shows it."""

    event: AuditEvent
    actor: str
    target: str
    patient: str


def name_events(events: list[AuditEvent], *, organization_id: int) -> list[NamedEvent]:
    """Names for the ids on one page of the trail, one query per kind of object, through the
    names each app registered (the audit trail itself knows no app above it)."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        if event.target_type and event.target_id:
            wanted.setdefault(event.target_type, set()).add(event.target_id)
        if event.patient_id:
            wanted.setdefault(PERSON, set()).add(event.patient_id)
    names: dict[tuple[str, str], str] = {}
    for target_type, ids in wanted.items():
        namer = audit_names(target_type)
        if namer is not None:
            for public_id, name in namer.names(organization_id, sorted(ids)).items():
                names[(target_type, public_id)] = name
    return [
        NamedEvent(
            event=event,
            actor=_actor_name(event),
            target=names.get((event.target_type, event.target_id), ""),
            patient=names.get((PERSON, event.patient_id), "") if event.patient_id else "",
        )
        for event in events
    ]


def _actor_name(event: AuditEvent) -> str:
    actor = event.actor
    if actor is None:
        return event.actor_label
    full = actor.get_full_name()
    return f"{full} ({actor.username})" if full else actor.username


def list_patient_access(
    *, user: User, patient_public_id: str, merged_ids: list[str], limit: int = 20
) -> list[NamedEvent]:
    """Who opened or changed one patient's record lately (the person page's access log),
    including the records merged into it (``merged_ids``)."""
    about_patient = AuditEvent.objects.filter(
        organization_id=user.organization_id, patient_id__in=[patient_public_id, *merged_ids]
    )
    events = list(about_patient.select_related("actor").order_by("-id")[:limit])
    return name_events(events, organization_id=user.organization_id)
