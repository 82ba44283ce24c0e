"""Reads of the topic questions (topic_actions): how many came in a period and how long each
waited for staff, in office time as the inbox counts it, and which still wait. For the apps
that own the topics (billing's figures), which never read the messages' words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from carebond.core import clock
from carebond.core.models import Organization
from carebond.messaging.models import TopicQuestion
from carebond.messaging.office_hours import schedule_for

if TYPE_CHECKING:
    from uuid import UUID


@dataclass(frozen=True)
class QuestionTiming:
    """One question: when it came and when staff answered it (None: it still waits), with the
    office minutes it waited (until the answer, or until now)."""

    asked_at: datetime
    answered_at: datetime | None
    answered_by: str
    waited_minutes: int


def list_question_timings(
    organization_id: int, *, topic: str, since: datetime, until: datetime
) -> list[QuestionTiming]:
    """The questions on a topic asked in [since, until), oldest first. Figures only: no person,
    no words."""
    organization = Organization.objects.get(pk=organization_id)
    schedule = schedule_for(organization)
    now = clock.now()
    rows = TopicQuestion.objects.filter(
        organization_id=organization_id, topic=topic, asked_at__gte=since, asked_at__lt=until
    ).values_list("asked_at", "answered_at", "answered_by")
    return [
        QuestionTiming(
            asked_at=asked_at,
            answered_at=answered_at,
            answered_by=answered_by,
            waited_minutes=int(schedule.office_seconds(asked_at, answered_at or now) // 60),
        )
        for asked_at, answered_at, answered_by in rows.order_by("asked_at", "id")
    ]


@dataclass(frozen=True)
class WaitingQuestion:
    """A question still waiting for staff, and the conversation it waits in."""

    conversation_id: UUID
    asked_at: datetime
    person_id: int | None
    with_whom: str  # the person's name, or the number or address (triage)
    assigned_to: str  # the colleague who has it ('' for nobody)
    waited_minutes: int


def list_waiting_questions(
    organization_id: int, *, topic: str, limit: int = 20
) -> tuple[int, list[WaitingQuestion]]:
    """How many questions on a topic wait for staff, and the ``limit`` oldest. Names people:
    the caller audits the read when it shows them."""
    organization = Organization.objects.get(pk=organization_id)
    schedule = schedule_for(organization)
    now = clock.now()
    waiting = TopicQuestion.objects.filter(
        organization_id=organization_id, topic=topic, answered_at__isnull=True
    )
    rows = waiting.select_related("conversation__person", "conversation__assigned_to").order_by(
        "asked_at", "id"
    )[:limit]
    found = []
    for question in rows:
        conversation = question.conversation
        person, assignee = conversation.person, conversation.assigned_to
        found.append(
            WaitingQuestion(
                conversation_id=conversation.public_id,
                asked_at=question.asked_at,
                person_id=person.pk if person is not None else None,
                with_whom=person.display_name if person is not None else conversation.address,
                assigned_to=(assignee.get_full_name() or assignee.username) if assignee else "",
                waited_minutes=int(schedule.office_seconds(question.asked_at, now) // 60),
            )
        )
    return waiting.count(), found
