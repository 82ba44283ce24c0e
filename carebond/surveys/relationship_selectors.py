"""What the relationship-health score reads from surveys (docs/analytics.md, "Relationship
health"): a patient's 0-10 "would recommend" answers and service-recovery cases (trust and
loyalty), and, for departments, the staff pulse counted per department (never per person).

No access check here: the caller (analytics) holds its own policy and audits the read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from carebond.core.models import Organization
from carebond.surveys import scoring
from carebond.surveys.definitions import items
from carebond.surveys.models import (
    AnonymousResponse,
    InstrumentKind,
    Invitation,
    InvitationStatus,
    RecoveryCase,
    Response,
    ResponseStatus,
)


@dataclass(frozen=True)
class Recommendation:
    day: date
    score: int


@dataclass(frozen=True)
class CaseRecord:
    """A recovery case: when it opened, why (``source``), and how and when it ended (blank,
    None: still open)."""

    opened_on: date
    source: str
    outcome: str
    closed_on: date | None


def _since(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def _zone(organization_id: int) -> ZoneInfo:
    """Answers and cases are dated in the organisation's time zone, like every day it shows."""
    return ZoneInfo(Organization.objects.get(pk=organization_id).time_zone)


def _nps_links(definition: dict[str, Any]) -> list[str]:
    return [item["link_id"] for item in items(definition) if item.get("measure") == "nps"]


def recommendations(
    organization_id: int, *, since: date, person_ids: Iterable[int] | None = None
) -> dict[int, list[Recommendation]]:
    """{person id: their 0-10 "would recommend" answers from ``since`` on, oldest first}."""
    responses = Response.objects.filter(
        organization_id=organization_id,
        status=ResponseStatus.COMPLETED,
        submitted_at__gte=_since(since),
    ).exclude(version__instrument__kind=InstrumentKind.STAFF_PULSE)
    if person_ids is not None:
        responses = responses.filter(person_id__in=set(person_ids))
    links: dict[int, list[str]] = {}
    zone = _zone(organization_id)
    found: dict[int, list[Recommendation]] = defaultdict(list)
    for person_id, submitted_at, answers, version_id, definition in (
        responses.order_by("submitted_at", "id")
        .values_list("person_id", "submitted_at", "answers", "version_id", "version__definition")
        .iterator(chunk_size=2000)
    ):
        if submitted_at is None:
            continue
        if version_id not in links:
            links[version_id] = _nps_links(definition)
        for link in links[version_id]:
            value = answers.get(link)
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10:
                found[person_id].append(Recommendation(submitted_at.astimezone(zone).date(), value))
    return found


def recovery_records(
    organization_id: int, *, since: date, person_ids: Iterable[int] | None = None
) -> dict[int, list[CaseRecord]]:
    """{person id: their recovery cases opened from ``since`` on, oldest first}."""
    cases = RecoveryCase.objects.filter(
        organization_id=organization_id, opened_at__gte=_since(since)
    )
    if person_ids is not None:
        cases = cases.filter(person_id__in=set(person_ids))
    zone = _zone(organization_id)
    found: dict[int, list[CaseRecord]] = defaultdict(list)
    for person_id, opened_at, source, outcome, closed_at in cases.order_by(
        "opened_at", "id"
    ).values_list("person_id", "opened_at", "source", "outcome", "closed_at"):
        found[person_id].append(
            CaseRecord(
                opened_at.astimezone(zone).date(),
                source,
                outcome,
                closed_at.astimezone(zone).date() if closed_at else None,
            )
        )
    return found


@dataclass
class DepartmentPulse:
    """A department's staff pulse over some days: invitations sent, answers received, and the
    answers' eNPS points (+100, 0, -100) and psychological-safety scores (1-7), unordered and
    unattributed."""

    invited: int = 0
    answered: int = 0
    enps_points: list[float] = field(default_factory=list)
    psych_scores: list[float] = field(default_factory=list)


def pulse_by_department(
    organization_id: int, *, first: date, last: date
) -> dict[int, DepartmentPulse]:
    """{department id: its staff pulse} for the waves that started between ``first`` and
    ``last``. Anonymous answers carry their department and nothing about who gave them."""
    pulses: dict[int, DepartmentPulse] = defaultdict(DepartmentPulse)
    waves = {
        "wave__instrument__kind": InstrumentKind.STAFF_PULSE,
        "wave__starts_on__range": (first, last),
    }
    for department_id in (
        Invitation.objects.filter(
            organization_id=organization_id, department__isnull=False, **waves
        )
        .exclude(status__in=(InvitationStatus.NOT_SENT, InvitationStatus.CANCELLED))
        .values_list("department_id", flat=True)
    ):
        pulses[department_id].invited += 1
    definitions: dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    for department_id, answers, version_id, definition in AnonymousResponse.objects.filter(
        organization_id=organization_id, department__isnull=False, **waves
    ).values_list("department_id", "answers", "version_id", "version__definition"):
        if version_id not in definitions:
            every = items(definition)
            definitions[version_id] = (
                [item for item in every if item.get("measure") == "enps"],
                [item for item in every if item.get("measure") == "psych_safety"],
            )
        enps_items, psych_items = definitions[version_id]
        pulse = pulses[department_id]
        pulse.answered += 1
        for item in enps_items:
            value = answers.get(item["link_id"])
            if isinstance(value, int) and not isinstance(value, bool):
                pulse.enps_points.append(100.0 if value >= 9 else 0.0 if value >= 7 else -100.0)
        if psych_items:
            codes = [answers.get(item["link_id"]) for item in psych_items]
            score = scoring.psychological_safety(
                [c if isinstance(c, int) and not isinstance(c, bool) else None for c in codes],
                reversed_items=[n for n, i in enumerate(psych_items, 1) if i.get("reverse")],
                min_answered=min(scoring.PSYCHOLOGICAL_SAFETY_MIN_ANSWERED, len(psych_items)),
            )
            if score is not None:
                pulse.psych_scores.append(score)
    return pulses
