"""Reads of the audit trail: filtered listings for admins, and chain verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from carebond.audit.models import GENESIS_HASH, AuditEvent, Outcome
from carebond.core import clock

if TYPE_CHECKING:
    from carebond.accounts.models import User


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""
    target_type: str = ""
    patient_id: str = ""
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


def verify_chain(*, chunk_size: int = 5000) -> ChainReport:
    """Recompute every hash in id order. Names the first event whose row or link does not match.

    Edited row: its own hash no longer matches. Deleted row: the next id is missing and the next
    row's prev_hash points at a hash we never saw. Reordered rows: ids and links disagree.
    """
    expected_prev, expected_id, checked = GENESIS_HASH, 1, 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
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
    return ChainReport(checked, None, expected_prev)


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
