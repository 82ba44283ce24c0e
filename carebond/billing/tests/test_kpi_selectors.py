"""Billing's KPIs from hand-made statements and billing questions, summed through the analytics
rollup the way the dashboards read them. The office is open on weekdays 08:00-17:00 in
Chicago; February 2026 starts on a Sunday."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from carebond.analytics.actions import do_roll_up_days
from carebond.analytics.selectors import Filters, Period, breakdown, kpi_summary
from carebond.billing.models import BillingStatement, StatementSource, StatementStatus
from carebond.core.kpis import Kpi
from carebond.core.models import Organization
from carebond.core.registry import kpi
from carebond.messaging.models import (
    AnsweredBy,
    Conversation,
    Direction,
    Message,
    MessageChannel,
    MessageStatus,
    OfficeHours,
    TopicQuestion,
)
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient

CHICAGO = ZoneInfo("America/Chicago")
FEBRUARY = date(2026, 2, 1)


def _at(day: int, hour: int, minute: int = 0, month: int = 2) -> datetime:
    return datetime.combine(date(2026, month, day), time(hour, minute), tzinfo=CHICAGO)


def _registered(key: str) -> Kpi:
    found = kpi(key)
    assert found is not None
    return found


def _roll_up(organization: Organization, key: str) -> None:
    do_roll_up_days(
        organization=organization,
        first=FEBRUARY,
        last=date(2026, 3, 31),
        only=[_registered(key)],
    )


def _breakdown(
    organization: Organization, key: str, dimension: str
) -> list[tuple[str, float | None, int]]:
    units = breakdown(
        organization_id=organization.pk,
        kpi=_registered(key),
        period=Period(FEBRUARY),
        dimension=dimension,
        filters=Filters(),
    )
    return [(unit.label, _rounded(unit.figure.value), unit.figure.n) for unit in units]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def test_statements_sent_leave_out_cancelled_ones_and_those_with_the_insurer(
    org_a: Organization,
) -> None:
    # given Rosa (41) and Luis (15) with statements in February: two open ones and a paid one,
    # one still with the insurer, one cancelled, and an open one in March
    rosa = make_patient(org_a, "Rosa", "Diaz", birth_date=date(1984, 3, 7))
    luis = make_patient(org_a, "Luis", "Mora", birth_date=date(2010, 5, 1))

    def statement(patient: Person, day: date, status: str, number: int) -> BillingStatement:
        due: dict[str, Decimal | None] = {
            StatementStatus.WITH_INSURER: None,
            StatementStatus.PAID: Decimal("0.00"),
        }
        return BillingStatement(
            organization=org_a,
            patient=patient,
            statement_date=day,
            amount_billed=Decimal("120.00"),
            amount_due=due.get(status, Decimal("40.00")),
            status=status,
            source=StatementSource.CSV,
            external_id=f"S-{number}",
        )

    BillingStatement.objects.bulk_create(
        [
            statement(rosa, date(2026, 2, 3), StatementStatus.OPEN, 1),
            statement(rosa, date(2026, 2, 20), StatementStatus.PAID, 2),
            statement(luis, date(2026, 2, 3), StatementStatus.OVERDUE, 3),
            statement(luis, date(2026, 2, 10), StatementStatus.WITH_INSURER, 4),
            statement(rosa, date(2026, 2, 11), StatementStatus.CANCELLED, 5),
            statement(luis, date(2026, 3, 1), StatementStatus.OPEN, 6),
        ]
    )
    # when February and March are rolled up
    _roll_up(org_a, "billing.statements_sent")
    # then February sent 3 statements: 2 to Rosa, 1 to Luis
    summary = kpi_summary(
        organization_id=org_a.pk,
        kpi=_registered("billing.statements_sent"),
        period=Period(FEBRUARY),
        filters=Filters(),
    )
    assert summary.figure.value == 3
    assert _breakdown(org_a, "billing.statements_sent", "age_band") == [
        ("Age 0-17", 1.0, 1),
        ("Age 40-64", 2.0, 2),
    ]


def test_billing_question_answer_time_is_the_mean_office_hours_to_an_answer(
    org_a: Organization,
) -> None:
    # given billing questions in February, the office open on weekdays 08:00-17:00:
    # Mon 2nd 10:00 by text, answered 11:30 (1.5 office hours); Fri 6th 16:30 by text, closed
    # Mon 9th 09:00 (0.5 + 1); Thu 12th 09:00 by email, answered 15:00 (6); Tue 10th, still
    # waiting; Wed 11th, answered on 9 March (after 14 days)
    for weekday in range(5):
        OfficeHours.objects.create(
            organization=org_a, weekday=weekday, opens=time(8), closes=time(17)
        )
    rosa = make_patient(org_a, "Rosa", "Diaz")
    questions = [
        (MessageChannel.SMS, _at(2, 10), _at(2, 11, 30), AnsweredBy.REPLY),
        (MessageChannel.SMS, _at(6, 16, 30), _at(9, 9), AnsweredBy.CLOSED),
        (MessageChannel.EMAIL, _at(12, 9), _at(12, 15), AnsweredBy.REPLY),
        (MessageChannel.SMS, _at(10, 10), None, ""),
        (MessageChannel.SMS, _at(11, 10), _at(9, 10, month=3), AnsweredBy.REPLY),
    ]
    for number, (channel, asked_at, answered_at, answered_by) in enumerate(questions):
        conversation = Conversation.objects.create(
            organization=org_a, person=rosa, channel=channel, address=f"{number}", topic="billing"
        )
        message = Message.objects.create(
            organization=org_a,
            person=rosa,
            conversation=conversation,
            direction=Direction.INBOUND,
            channel=channel,
            to_address="+13125550100",
            from_address=f"{number}",
            body="About my bill",
            status=MessageStatus.RECEIVED,
            idempotency_key=f"inbound:{number}",
            due_at=asked_at,
            created_at=asked_at,
        )
        TopicQuestion.objects.create(
            organization=org_a,
            conversation=conversation,
            message=message,
            topic="billing",
            asked_at=asked_at,
            answered_at=answered_at,
            answered_by=answered_by,
        )
    # when February and March are rolled up
    _roll_up(org_a, "billing.question_answer_time")
    # then three were answered within 14 days, in 1.5 + 1.5 + 6 office hours: 3 on average
    summary = kpi_summary(
        organization_id=org_a.pk,
        kpi=_registered("billing.question_answer_time"),
        period=Period(FEBRUARY),
        filters=Filters(),
    )
    assert (_rounded(summary.figure.value), summary.figure.n) == (3.0, 3)
    # and the texts took 1.5 office hours, the email 6
    assert _breakdown(org_a, "billing.question_answer_time", "channel") == [
        ("Email", 6.0, 1),
        ("Text message", 1.5, 2),
    ]
