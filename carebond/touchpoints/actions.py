"""record_touchpoint(): the one way onto a person's timeline. Other apps call it from their
actions; staff log calls, visits and notes by hand through check_log_touchpoint()."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.dates import PAST_TIMES
from carebond.core.errors import InvalidInput
from carebond.core.models import Location
from carebond.core.registry import touchpoint_kinds
from carebond.people.models import Person, PersonKind, PersonStatus
from carebond.touchpoints.models import (
    Direction,
    MomentOfTruth,
    Touchpoint,
    TouchpointChannel,
    TouchpointKind,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User

# What a hand-logged touchpoint of each kind usually is, so that logging takes two clicks.
DEFAULTS: dict[str, tuple[str, str, str]] = {
    TouchpointKind.CALL: (
        TouchpointChannel.PHONE,
        Direction.OUTBOUND,
        MomentOfTruth.COMMUNICATIONS,
    ),
    TouchpointKind.MESSAGE: (
        TouchpointChannel.SMS,
        Direction.OUTBOUND,
        MomentOfTruth.COMMUNICATIONS,
    ),
    TouchpointKind.VISIT: (
        TouchpointChannel.IN_PERSON,
        Direction.INBOUND,
        MomentOfTruth.CLINICAL_CARE,
    ),
    TouchpointKind.NOTE: (TouchpointChannel.SYSTEM, Direction.OUTBOUND, ""),
}


def registered_kinds() -> set[str]:
    return {kind.value for kind in touchpoint_kinds()}


def record_touchpoint(
    person: Person,
    *,
    kind: str,
    channel: str,
    direction: str,
    occurred_at: datetime | None = None,
    staff: Person | None = None,
    location: Location | None = None,
    moment_of_truth: str = "",
    sentiment: float | None = None,
    outcome: str = "",
    summary: str = "",
    source: Any = None,
    recorded_by: User | None = None,
) -> Touchpoint:
    """Write one timeline entry. The caller audits (it knows what happened); this only records.

    Every app writes through here, so the tenancy of what it links is checked here too."""
    for linked in (staff, location):
        if linked is not None and linked.organization_id != person.organization_id:
            raise InvalidInput(
                "A touchpoint can only name staff and locations of the person's organisation.",
                field="staff" if linked is staff else "location",
            )
    if kind not in registered_kinds():
        raise InvalidInput(f"Unknown touchpoint kind {kind!r}: register it first.", field="kind")
    source_type = (
        f"{source._meta.app_label}.{source._meta.model_name}" if source is not None else ""
    )
    now = clock.now()
    return Touchpoint.objects.create(
        organization_id=person.organization_id,
        person=person,
        kind=kind,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at or now,
        staff=staff,
        location=location,
        moment_of_truth=moment_of_truth,
        sentiment=sentiment,
        outcome=outcome,
        summary=summary,
        source_type=source_type,
        source_id=str(getattr(source, "public_id", getattr(source, "pk", ""))) if source else "",
        recorded_by=recorded_by,
        recorded_at=now,
    )


def record_touchpoints(touchpoints: list[Touchpoint]) -> None:
    """Write many timeline entries at once (imports). Same tenancy rule as record_touchpoint;
    the caller audits. Rows arrive built (with their provenance) but unsaved."""
    for touchpoint in touchpoints:
        if not touchpoint.organization_id:
            raise InvalidInput("A touchpoint needs its organisation.", field="organization")
    person_orgs = dict(
        Person.objects.filter(id__in={t.person_id for t in touchpoints}).values_list(
            "id", "organization_id"
        )
    )
    staff_ids = {t.staff_id for t in touchpoints if t.staff_id}
    location_ids = {t.location_id for t in touchpoints if t.location_id}
    staff_orgs = dict(Person.objects.filter(id__in=staff_ids).values_list("id", "organization_id"))
    location_orgs = dict(
        Location.objects.filter(id__in=location_ids).values_list("id", "organization_id")
    )
    for t in touchpoints:
        linked = [person_orgs.get(t.person_id)]
        linked += [staff_orgs.get(t.staff_id)] if t.staff_id else []
        linked += [location_orgs.get(t.location_id)] if t.location_id else []
        if any(org != t.organization_id for org in linked):
            raise InvalidInput(
                "A touchpoint can only name staff and locations of the person's organisation.",
                field="staff",
            )
    Touchpoint.objects.bulk_create(touchpoints, batch_size=1000)


def check_log_touchpoint(
    person: Person,
    *,
    kind: str,
    channel: str = "",
    direction: str = "",
    occurred_at: datetime | None = None,
    moment_of_truth: str | None = None,
    sentiment: float | None = None,
    outcome: str = "",
    summary: str = "",
    staff: Person | None = None,
    location: Location | None = None,
    acting_user: User,
) -> Touchpoint:
    """A touchpoint logged by hand; blanks take the kind's usual channel and direction."""
    if person.status == PersonStatus.MERGED:
        raise InvalidInput(
            "This record was merged; log on the record it was merged into.", field="person"
        )
    if kind not in registered_kinds():
        raise InvalidInput(f"Unknown kind {kind!r}.", field="kind")
    default_channel, default_direction, default_moment = DEFAULTS.get(
        kind, (TouchpointChannel.PHONE, Direction.OUTBOUND, "")
    )
    channel = channel or default_channel
    direction = direction or default_direction
    moment = default_moment if moment_of_truth is None else moment_of_truth
    for name, value, choices in (
        ("channel", channel, TouchpointChannel),
        ("direction", direction, Direction),
    ):
        if value not in choices.values:
            raise InvalidInput(f"Unknown {name} {value!r}.", field=name)
    if moment and moment not in MomentOfTruth.values:
        raise InvalidInput(f"Unknown moment of truth {moment!r}.", field="moment_of_truth")
    if sentiment is not None and not -1.0 <= sentiment <= 1.0:
        raise InvalidInput(
            "Sentiment runs from -1 (very negative) to 1 (very positive).", field="sentiment"
        )
    if occurred_at is not None and occurred_at.tzinfo is None:
        raise InvalidInput("Give the time with its time zone.", field="occurred_at")
    if occurred_at is not None and occurred_at > clock.now():
        raise InvalidInput("A touchpoint cannot happen in the future.", field="occurred_at")
    if occurred_at is not None:
        PAST_TIMES.check(occurred_at, field="occurred_at")
    if staff is not None and (
        staff.kind != PersonKind.STAFF or staff.organization_id != person.organization_id
    ):
        raise InvalidInput("Choose a staff member of this organisation.", field="staff")
    if len(summary) > 4000:
        raise InvalidInput("Keep the summary under 4,000 characters.", field="summary")
    return do_log_touchpoint(
        person,
        kind=kind,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at,
        moment_of_truth=moment,
        sentiment=sentiment,
        outcome=outcome.strip()[:200],
        summary=summary.strip(),
        staff=staff,
        location=location,
        acting_user=acting_user,
    )


@transaction.atomic
def do_log_touchpoint(
    person: Person,
    *,
    kind: str,
    channel: str,
    direction: str,
    occurred_at: datetime | None,
    moment_of_truth: str,
    sentiment: float | None,
    outcome: str,
    summary: str,
    staff: Person | None,
    location: Location | None,
    acting_user: User,
) -> Touchpoint:
    """Audit: touchpoint.created."""
    touchpoint = record_touchpoint(
        person,
        kind=kind,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at,
        moment_of_truth=moment_of_truth,
        sentiment=sentiment,
        outcome=outcome,
        summary=summary,
        staff=staff,
        location=location,
        recorded_by=acting_user,
    )
    record_audit(
        actor=acting_user,
        action="touchpoint.created",
        target=touchpoint,
        patient=person if person.kind == PersonKind.PATIENT else None,
        changed_fields=["kind", "channel", "direction", "summary"]
        if summary
        else ["kind", "channel", "direction"],
    )
    return touchpoint
