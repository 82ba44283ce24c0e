"""Messaging's KPIs as facts for the analytics app (carebond/core/kpis.py, docs/messaging.md,
"KPIs"). Days are the organisation's days; times to answer are office time, as the inbox
counts them (office_hours.py: a text at 16:30 on Friday answered at 09:00 on Monday waited
90 minutes when the office closes at 17:00 and opens at 08:00).

**A question to the inbox** is a patient's text or email that starts a wait: the first one in
its conversation since the last staff reply there (or since an automatic answer that settled
it, such as the confirmation of a STOP or an app's answer to "C"). The messages that follow
it before an answer are the same question. It is answered by the next staff reply in the
conversation (a secure reply too); automatic answers that leave it waiting (after hours,
"call 911", "which of you?") are not answers.

- reply time: office hours from the question to the staff reply, on the day the question
  came in, over the questions answered within ``ANSWER_WINDOW``;
- answered by the end of the next working day: of the questions that waited for staff (those
  answered by a staff reply, and those still waiting), the share answered before the office
  closed on the next day it was open after the day the question came in.

A conversation closed without a reply leaves its question out of both; but closing is not
kept with a time, so when the patient writes again after a closing, the next reply is counted
from the first message before it.

**Opt-outs**: a patient's outreach on a day and channel (texts or emails for appointments,
care, surveys, service recovery or marketing that were sent; not replies in the inbox) is one
unit; it counts as opted out when the patient revoked consent on that channel, by a keyword,
the unsubscribe link, the carrier's opt-out or a reply staff confirmed as one, within
``OPT_OUT_WINDOW`` after a message of that day that was the last one before the revocation.
One revocation counts once, for the last send before it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import F, OuterRef, Q, Subquery

from carebond.core.kpis import FactsSelector, Kpi, KpiFact, KpiKind
from carebond.core.models import Organization
from carebond.messaging.models import (
    Direction,
    Message,
    MessagePurpose,
    MessageStatus,
    TopicQuestion,
)
from carebond.messaging.office_hours import Schedule, schedule_for
from carebond.people.kpi_selectors import age_band, language_of
from carebond.people.models import ConsentMethod, ConsentRecord, ConsentStatus, PersonKind

ANSWER_WINDOW = timedelta(days=14)
"""A staff reply later than this after a question is not counted as its answer's time."""
OPT_OUT_WINDOW = timedelta(days=7)
"""An opt-out this long after a message at most counts as an answer to it."""
DIMENSIONS = ("channel", "language", "age_band")

# Automatic answers after which the message still waits for staff.
_LEAVES_WAITING = ("after_hours", "emergency_reply", "which_person")
_STAFF_REPLY = Q(direction=Direction.OUTBOUND, created_by__isnull=False) & ~Q(
    status=MessageStatus.BLOCKED
)
_SETTLING_ANSWER = Q(
    direction=Direction.OUTBOUND, created_by__isnull=True, purpose=MessagePurpose.REPLY
) & ~Q(template_key__in=_LEAVES_WAITING)
_ENDS_A_WAIT = _STAFF_REPLY | _SETTLING_ANSWER
_OUTREACH_PURPOSES = (
    MessagePurpose.APPOINTMENT,
    MessagePurpose.CARE,
    MessagePurpose.SURVEY,
    MessagePurpose.SERVICE_RECOVERY,
    MessagePurpose.MARKETING,
)
_SENT = (MessageStatus.SENT, MessageStatus.DELIVERED)
# The ways a patient opts out in answer to a message (not staff recording a call or a form).
_OPT_OUT_METHODS = (
    ConsentMethod.SMS_KEYWORD,
    ConsentMethod.PROVIDER,
    ConsentMethod.EMAIL_LINK,
    ConsentMethod.TEXT_REPLY,
)
_SEARCH_DAYS = 60


def _utc_bounds(first: date, last: date, schedule: Schedule) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time.min, schedule.zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, schedule.zone).astimezone(UTC)
    return start, end


def _schedule(organization_id: int) -> Schedule:
    return schedule_for(Organization.objects.get(pk=organization_id))


def _dimensions(channel: str, birth_date: date | None, language: str, day: date) -> dict[str, str]:
    return {
        "channel": channel,
        "language": language_of(language or ""),
        "age_band": age_band(birth_date, day),
    }


def next_working_day_end(schedule: Schedule, moment: datetime) -> datetime | None:
    """When the office closes on the next day it is open after ``moment``'s day (without
    office hours: the end of the next day). None when it opens on none of the next 60 days."""
    day = moment.astimezone(schedule.zone).date()
    for ahead in range(1, _SEARCH_DAYS + 1):
        following = day + timedelta(days=ahead)
        if schedule.always_open:
            return datetime.combine(following + timedelta(days=1), time.min, schedule.zone)
        openings = schedule.openings(following)
        if openings:
            return max(closes for _, closes in openings)
    return None


# --- questions to the inbox ------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """A patient's question to the inbox, and how its wait ended (``ended_at`` None: it has not;
    ``by_staff`` False: an automatic answer settled it)."""

    asked_at: datetime
    day: date
    person_id: int
    dimensions: dict[str, str]
    ended_at: datetime | None
    by_staff: bool
    still_waiting: bool


def _questions(
    organization_id: int, first: date, last: date, schedule: Schedule
) -> Iterator[Question]:
    start, end = _utc_bounds(first, last, schedule)
    in_conversation = Message.objects.filter(conversation_id=OuterRef("conversation_id"))
    before = Q(created_at__lt=OuterRef("created_at")) | Q(
        created_at=OuterRef("created_at"), id__lt=OuterRef("id")
    )
    after = Q(created_at__gt=OuterRef("created_at")) | Q(
        created_at=OuterRef("created_at"), id__gt=OuterRef("id")
    )
    previous = (
        in_conversation.filter(Q(direction=Direction.INBOUND) | _ENDS_A_WAIT)
        .filter(before)
        .order_by("-created_at", "-id")
    )
    ending = in_conversation.filter(_ENDS_A_WAIT).filter(after).order_by("created_at", "id")
    rows = (
        Message.objects.filter(
            organization_id=organization_id,
            direction=Direction.INBOUND,
            conversation__isnull=False,
            person__kind=PersonKind.PATIENT,
            created_at__gte=start,
            created_at__lt=end,
        )
        .annotate(
            previous_direction=Subquery(previous.values("direction")[:1]),
            ended_at=Subquery(ending.values("created_at")[:1]),
            ended_by=Subquery(ending.values("created_by_id")[:1]),
            waiting_since=F("conversation__waiting_since"),
        )
        .values(
            "created_at",
            "channel",
            "person_id",
            "person__birth_date",
            "person__preferred_language",
            "previous_direction",
            "ended_at",
            "ended_by",
            "waiting_since",
        )
        .order_by()
    )
    for row in rows.iterator(chunk_size=2000):
        if row["previous_direction"] == Direction.INBOUND:
            continue  # (the same question as the message before it)
        asked_at: datetime = row["created_at"]
        day = asked_at.astimezone(schedule.zone).date()
        waiting_since = row["waiting_since"]
        yield Question(
            asked_at=asked_at,
            day=day,
            person_id=row["person_id"],
            dimensions=_dimensions(
                row["channel"], row["person__birth_date"], row["person__preferred_language"], day
            ),
            ended_at=row["ended_at"],
            by_staff=row["ended_by"] is not None,
            still_waiting=row["ended_at"] is None
            and waiting_since is not None
            and waiting_since <= asked_at,
        )


def reply_time_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    schedule = _schedule(organization_id)
    for question in _questions(organization_id, first, last, schedule):
        ended_at = question.ended_at
        if (
            ended_at is None
            or not question.by_staff
            or ended_at - question.asked_at > ANSWER_WINDOW
        ):
            continue
        hours = schedule.office_seconds(question.asked_at, ended_at) / 3600
        yield KpiFact(
            day=question.day,
            location_id=None,
            dimensions=question.dimensions,
            x=hours,
            x2=hours * hours,
            person_id=question.person_id,
        )


def answered_next_working_day_facts(
    organization_id: int, first: date, last: date
) -> Iterator[KpiFact]:
    schedule = _schedule(organization_id)
    for question in _questions(organization_id, first, last, schedule):
        answered = question.ended_at is not None and question.by_staff
        if not answered and not question.still_waiting:
            continue  # (closed without a reply, or settled by an automatic answer)
        deadline = next_working_day_end(schedule, question.asked_at)
        in_time = (
            answered
            and deadline is not None
            and question.ended_at is not None
            and question.ended_at <= deadline
        )
        yield KpiFact(
            day=question.day,
            location_id=None,
            dimensions=question.dimensions,
            x=1.0 if in_time else 0.0,
            person_id=question.person_id,
        )


# --- opt-outs --------------------------------------------------------------------------------


def opt_out_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    schedule = _schedule(organization_id)
    start, end = _utc_bounds(first, last, schedule)
    # The range's sends, and the later ones a revocation in the window may answer instead.
    sends = (
        Message.objects.filter(
            organization_id=organization_id,
            direction=Direction.OUTBOUND,
            purpose__in=_OUTREACH_PURPOSES,
            status__in=_SENT,
            person__kind=PersonKind.PATIENT,
            sent_at__gte=start,
            sent_at__lt=end + OPT_OUT_WINDOW,
        )
        .exclude(conversation__isnull=False, created_by__isnull=False)
        .values(
            "sent_at", "channel", "person_id", "person__birth_date", "person__preferred_language"
        )
        .order_by("person_id", "channel", "sent_at")
    )
    by_pair: dict[tuple[int, str], list[datetime]] = {}
    units: dict[tuple[int, str, date], tuple[date | None, str]] = {}
    for row in sends.iterator(chunk_size=5000):
        sent_at = row["sent_at"]
        if sent_at is None:
            continue
        by_pair.setdefault((row["person_id"], row["channel"]), []).append(sent_at)
        day = sent_at.astimezone(schedule.zone).date()
        if first <= day <= last:
            patient = (row["person__birth_date"], row["person__preferred_language"])
            units.setdefault((row["person_id"], row["channel"], day), patient)
    opted_out: set[tuple[int, str, date]] = set()
    revocations = ConsentRecord.objects.filter(
        organization_id=organization_id,
        person_id__in={person_id for person_id, _ in by_pair},
        status=ConsentStatus.REVOKED,
        method__in=_OPT_OUT_METHODS,
        recorded_at__gte=start,
        recorded_at__lt=end + OPT_OUT_WINDOW,
    ).values_list("person_id", "channel", "recorded_at")
    for person_id, channel, recorded_at in revocations.iterator(chunk_size=5000):
        sent = by_pair.get((person_id, channel), [])
        last_before = bisect_right(sent, recorded_at)
        if last_before and recorded_at - sent[last_before - 1] <= OPT_OUT_WINDOW:
            answered = sent[last_before - 1]
            opted_out.add((person_id, channel, answered.astimezone(schedule.zone).date()))
    for key, (birth_date, language) in units.items():
        person_id, channel, day = key
        yield KpiFact(
            day=day,
            location_id=None,
            dimensions=_dimensions(channel, birth_date, language, day),
            x=1.0 if key in opted_out else 0.0,
            person_id=person_id,
        )


# --- a topic's questions (billing's) ---------------------------------------------------------


def topic_answer_time_facts(topic: str) -> FactsSelector:
    """A facts selector for an app that owns a topic (billing): office hours from a question on
    the topic to staff answering it (their first reply in the conversation, or closing it), on
    the day it was asked, over the questions answered within ``ANSWER_WINDOW``."""

    def facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
        schedule = _schedule(organization_id)
        start, end = _utc_bounds(first, last, schedule)
        rows = (
            TopicQuestion.objects.filter(
                organization_id=organization_id,
                topic=topic,
                asked_at__gte=start,
                asked_at__lt=end,
                answered_at__isnull=False,
            )
            .values(
                "asked_at",
                "answered_at",
                "conversation__channel",
                "conversation__person_id",
                "conversation__person__kind",
                "conversation__person__birth_date",
                "conversation__person__preferred_language",
            )
            .order_by()
        )
        for row in rows.iterator(chunk_size=2000):
            asked_at, answered_at = row["asked_at"], row["answered_at"]
            if answered_at is None or answered_at - asked_at > ANSWER_WINDOW:
                continue
            day = asked_at.astimezone(schedule.zone).date()
            hours = schedule.office_seconds(asked_at, answered_at) / 3600
            patient = row["conversation__person__kind"] == PersonKind.PATIENT
            yield KpiFact(
                day=day,
                location_id=None,
                dimensions=_dimensions(
                    row["conversation__channel"],
                    row["conversation__person__birth_date"] if patient else None,
                    row["conversation__person__preferred_language"] if patient else "",
                    day,
                ),
                x=hours,
                x2=hours * hours,
                person_id=row["conversation__person_id"] if patient else None,
            )

    return facts


# --- the KPIs --------------------------------------------------------------------------------


def messaging_kpis() -> list[Kpi]:
    """Messaging's KPIs, in the order the overview shows them."""

    def kpi(key: str, facts: FactsSelector, **more: Any) -> Kpi:
        return Kpi(
            key=f"messaging.{key}",
            facts=facts,
            app_label="messaging",
            group="Communication",
            dimensions=DIMENSIONS,
            **more,
        )

    return [
        kpi(
            "reply_time",
            reply_time_facts,
            title="Inbox reply time",
            unit="office hours",
            definition=(
                "Office hours from a patient's text or email to the inbox to the first staff "
                "reply in its conversation, on average, counted on the day the message came in "
                "(messages before a reply are one question). Questions not answered within 14 "
                "days, closed without a reply or settled by an automatic answer are not in the "
                "average."
            ),
            kind=KpiKind.MEAN,
            higher_is_better=False,
            settle_days=15,
            order=30,
        ),
        kpi(
            "answered_next_working_day",
            answered_next_working_day_facts,
            title="Inbox questions answered within one working day",
            unit="%",
            definition=(
                "Of the patients' texts and emails to the inbox that waited for staff (answered "
                "by a staff reply, or still waiting), the share answered before the office "
                "closed on the next working day after the day they came in. Questions closed "
                "without a reply or settled by an automatic answer are left out."
            ),
            kind=KpiKind.PROPORTION,
            settle_days=15,
            order=31,
        ),
        kpi(
            "opt_out_rate",
            opt_out_facts,
            title="Opt-out rate",
            unit="%",
            definition=(
                "Of the patients sent a text or an email (appointments, care, surveys, service "
                "recovery or marketing; not inbox replies) on a day, counted per channel, the "
                "share who opted out of that channel within 7 days, by a keyword such as STOP, "
                "the unsubscribe link, the carrier or a reply staff confirmed. Each opt-out "
                "counts for the last message before it."
            ),
            kind=KpiKind.PROPORTION,
            higher_is_better=False,
            settle_days=8,
            order=32,
        ),
    ]
