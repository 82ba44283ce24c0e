"""Reads of the billing app: statements (a list with filters, one statement, a patient's),
counts by status, the statements a survey asks about, and the billing questions that came in
the inbox with how fast staff answered them."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet

from carebond.audit.recording import record_access
from carebond.billing.access import BILLING_STAFF, access_statement
from carebond.billing.models import (
    BillingHandler,
    BillingStatement,
    StatementSource,
    StatementStatus,
)
from carebond.core.dates import RECORD_DATES
from carebond.core.errors import InvalidInput
from carebond.messaging.topic_selectors import (
    WaitingQuestion,
    list_question_timings,
    list_waiting_questions,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User
    from carebond.people.models import Person

# The inbox topic billing registers (extensions).
TOPIC = "billing"
PAGE_SIZE = 100


@dataclass(frozen=True)
class StatementFilters:
    status: str = ""
    source: str = ""
    since: date | None = None  # statement dates from (inclusive)
    until: date | None = None  # statement dates to (inclusive)


def check_filters(filters: StatementFilters) -> None:
    """Refuse filters that cannot be meant, naming the filter (a page shows it beside it)."""
    if filters.status and filters.status not in StatementStatus.values:
        raise InvalidInput(
            f"Not a status; use one of {', '.join(StatementStatus.values)}.", field="status"
        )
    if filters.source and filters.source not in StatementSource.values:
        raise InvalidInput(
            f"Not a source; use one of {', '.join(StatementSource.values)}.", field="source"
        )
    for name in ("since", "until"):
        value = getattr(filters, name)
        if value is not None:
            RECORD_DATES.check(value, field=name)
    if filters.since and filters.until and filters.since > filters.until:
        raise InvalidInput("The period ends before it starts.", field="until")


def _filtered(organization_id: int, filters: StatementFilters) -> QuerySet[BillingStatement]:
    wanted = {
        "status": filters.status,
        "source": filters.source,
        "statement_date__gte": filters.since,
        "statement_date__lte": filters.until,
    }
    return BillingStatement.objects.filter(
        organization_id=organization_id, **{k: v for k, v in wanted.items() if v}
    )


@dataclass(frozen=True)
class StatementPage:
    rows: list[BillingStatement]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset else None


def list_statements(
    *,
    user: User,
    filters: StatementFilters,
    patient: Person | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> StatementPage:
    """A page of the organisation's statements, newest first, with their patients: an
    audited read (it names patients and what they owe). Two queries and the audit event."""
    if not BILLING_STAFF.allows(user.role):
        return StatementPage([], 0, offset, limit)
    check_filters(filters)
    rows = _filtered(user.organization_id, filters)
    if patient is not None:
        rows = rows.filter(patient=patient)
    total = rows.count()
    page = list(
        rows.select_related("patient").order_by("-statement_date", "-id")[offset : offset + limit]
    )
    if page:
        record_access(
            actor=user,
            target=None,
            action="billing_statements.listed",
            organization=user.organization,
            patient=patient,
        )
    return StatementPage(page, total, offset, limit)


def get_statement(*, user: User, public_id: UUID | str) -> BillingStatement:
    """One statement, an audited read naming its patient."""
    statement = access_statement(user, public_id)
    record_access(actor=user, target=statement, patient=statement.patient)
    return statement


def list_statements_of_person(
    *, user: User, person: Person, limit: int = 10
) -> list[BillingStatement]:
    """A patient's latest statements, for their page's panel (the page's read is the audited
    one): for billing staff only."""
    if not BILLING_STAFF.allows(user.role) or person.organization_id != user.organization_id:
        return []
    return list(
        BillingStatement.objects.filter(
            organization_id=user.organization_id, patient=person
        ).order_by("-statement_date", "-id")[:limit]
    )


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


def count_statements_by_status(
    organization_id: int, *, filters: StatementFilters | None = None
) -> list[StatusCount]:
    """How many statements stand at each status (every status, zero included): figures only."""
    rows = _filtered(organization_id, filters or StatementFilters())
    counts = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
    return [StatusCount(s.value, s.label, counts.get(s.value, 0)) for s in StatementStatus]


# --- for other apps: the statements a billing survey asks about -----------------------------


@dataclass(frozen=True)
class StatementForSurvey:
    """A statement as a survey of the billing moment needs it: who, which and when. Nothing
    clinical, and no amounts."""

    statement_id: int
    statement_public_id: UUID
    person_id: int
    person_public_id: UUID
    statement_date: date
    status: str


def list_statements_since(
    organization_id: int, since: datetime, *, dated_from: date | None = None
) -> list[StatementForSurvey]:
    """The statements recorded (created in CareBond) at or after ``since``, oldest first,
    except cancelled ones; ``dated_from``: only those whose statement date is that day or
    later (an import of years of claims brings old statements nobody should be asked about).
    One query."""
    rows = BillingStatement.objects.filter(
        organization_id=organization_id, created_at__gte=since
    ).exclude(status=StatementStatus.CANCELLED)
    if dated_from is not None:
        rows = rows.filter(statement_date__gte=dated_from)
    return [
        StatementForSurvey(pk, public_id, person_id, person_public_id, statement_date, status)
        for pk, public_id, person_id, person_public_id, statement_date, status in rows.order_by(
            "created_at", "id"
        ).values_list(
            "pk", "public_id", "patient_id", "patient__public_id", "statement_date", "status"
        )
    ]


# --- who answers billing questions -------------------------------------------------------------


def billing_handler_ids(organization_id: int) -> list[int]:
    """The users who answer billing questions, in the order they were named (active only)."""
    return list(
        BillingHandler.objects.filter(
            organization_id=organization_id, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def list_billing_handlers(organization_id: int) -> list[User]:
    return list(
        get_user_model()
        .objects.filter(billing_handler__organization_id=organization_id)
        .order_by("billing_handler__added_at", "pk")
    )


# --- billing questions in the inbox --------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFigures:
    """Billing questions asked in a period, and how long staff took to answer them (office
    minutes, as the inbox counts them: a question on Friday evening answered on Monday
    morning waited minutes, not a weekend)."""

    asked: int
    answered: int
    by_reply: int
    by_closing: int
    waiting: int
    median_minutes: int | None
    p90_minutes: int | None
    longest_waiting_minutes: int | None


def percentile(values: list[int], share: float) -> int | None:
    """The nearest-rank percentile (0 < share <= 1) of whole minutes; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def billing_question_figures(
    organization_id: int, *, since: datetime, until: datetime
) -> QuestionFigures:
    """The billing questions asked in [since, until): how many, how many staff answered (a
    reply, or closing the conversation), and the median and 90th percentile of the time to
    answer them. Figures only: no person, no words."""
    timings = list_question_timings(organization_id, topic=TOPIC, since=since, until=until)
    answered = [t.waited_minutes for t in timings if t.answered_at is not None]
    waiting = [t.waited_minutes for t in timings if t.answered_at is None]
    return QuestionFigures(
        asked=len(timings),
        answered=len(answered),
        by_reply=sum(1 for t in timings if t.answered_by == "reply"),
        by_closing=sum(1 for t in timings if t.answered_by == "closed"),
        waiting=len(waiting),
        median_minutes=round(statistics.median(answered)) if answered else None,
        p90_minutes=percentile(answered, 0.9),
        longest_waiting_minutes=max(waiting) if waiting else None,
    )


def count_waiting_billing_questions(organization_id: int) -> int:
    """Billing questions waiting for staff, however old (a count: no PHI is read)."""
    count, _ = list_waiting_questions(organization_id, topic=TOPIC, limit=0)
    return count


def list_waiting_billing_questions(
    *, user: User, limit: int = 20
) -> tuple[int, list[WaitingQuestion]]:
    """How many billing questions wait for staff, and the oldest ``limit``, naming who asked:
    an audited read when it names anyone."""
    count, rows = list_waiting_questions(user.organization_id, topic=TOPIC, limit=limit)
    if rows:
        record_access(
            actor=user,
            target=None,
            action="billing_questions.listed",
            organization=user.organization,
        )
    return count, rows
