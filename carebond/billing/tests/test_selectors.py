"""Reads of statements and billing questions: filters, tenancy, query budgets, the audited
reads, what a survey of the billing moment gets (nothing clinical, no amounts), and the
questions' figures (median and 90th percentile of the time to answer, in office time)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.billing.selectors import (
    StatementFilters,
    billing_question_figures,
    count_statements_by_status,
    count_waiting_billing_questions,
    get_statement,
    list_statements,
    list_statements_since,
    list_waiting_billing_questions,
    percentile,
)
from carebond.billing.tests.conftest import record
from carebond.core import clock
from carebond.core.errors import InvalidInput, NotFound
from carebond.core.models import Organization
from carebond.messaging.actions import (
    check_add_sender,
    check_reply,
    do_set_conversation_status,
    ensure_built_in_templates,
)
from carebond.messaging.inbound_actions import do_receive_text
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def statements(patient: Person, other_patient: Person, patient_b: Person) -> None:
    record(patient, "S-1", statement_date=date(2026, 1, 10))
    record(
        patient,
        "S-2",
        statement_date=date(2026, 2, 10),
        amount_due=Decimal("0.00"),
        status="paid",
    )
    record(other_patient, "S-3", statement_date=date(2026, 3, 10), status="overdue")
    record(patient_b, "S-9")


def _ids(rows: list[Any]) -> list[str]:
    return [row.external_id for row in rows]


def test_statements_newest_first_filtered_and_never_another_organisations(
    users_a: dict[str, User],
    patient: Person,
    statements: None,
    django_assert_max_num_queries: Any,
) -> None:
    desk = users_a["front_desk"]
    # the count and the page (with patients), whatever their number; the audit event (4 or 5:
    # PostgreSQL takes the chain's lock)
    with django_assert_max_num_queries(7):
        page = list_statements(user=desk, filters=StatementFilters())
    assert _ids(page.rows) == ["S-3", "S-2", "S-1"]
    assert page.total == 3
    assert _ids(list_statements(user=desk, filters=StatementFilters(status="paid")).rows) == ["S-2"]
    period = StatementFilters(since=date(2026, 2, 1), until=date(2026, 2, 28))
    assert _ids(list_statements(user=desk, filters=period).rows) == ["S-2"]
    assert _ids(list_statements(user=desk, filters=StatementFilters(), patient=patient).rows) == [
        "S-2",
        "S-1",
    ]
    paged = list_statements(user=desk, filters=StatementFilters(), limit=2, offset=2)
    assert (_ids(paged.rows), paged.next_offset, paged.previous_offset) == (["S-1"], None, 0)
    # each page shown is an audited read
    assert AuditEvent.objects.filter(action="billing_statements.listed").count() == 5


def test_the_analyst_and_clinicians_see_no_statement(
    users_a: dict[str, User], statements: None
) -> None:
    for role in ("analyst", "clinician", "liaison"):
        assert list_statements(user=users_a[role], filters=StatementFilters()).rows == []


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (StatementFilters(status="settled"), "status"),
        (StatementFilters(source="fax"), "source"),
        (StatementFilters(since=date(2026, 3, 1), until=date(2026, 2, 1)), "until"),
        (StatementFilters(since=date(1800, 1, 1)), "since"),
    ],
)
def test_filters_that_cannot_be_meant_are_refused_at_their_field(
    users_a: dict[str, User], filters: StatementFilters, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        list_statements(user=users_a["manager"], filters=filters)
    assert caught.value.field == field


def test_one_statement_is_an_audited_read_and_another_organisations_is_missing(
    users_a: dict[str, User], outsider_b: User, patient: Person
) -> None:
    statement = record(patient)
    assert get_statement(user=users_a["front_desk"], public_id=statement.public_id) == statement
    read = AuditEvent.objects.get(action="billingstatement.read")
    assert read.patient_id == str(patient.public_id)
    for user in (outsider_b, users_a["analyst"]):
        with pytest.raises(NotFound, match="No such statement"):
            get_statement(user=user, public_id=statement.public_id)


def test_counts_by_status_include_every_status(org_a: Organization, statements: None) -> None:
    counts = {row.status: row.count for row in count_statements_by_status(org_a.pk)}
    assert counts == {
        "with_insurer": 0,
        "open": 1,
        "partially_paid": 0,
        "paid": 1,
        "overdue": 1,
        "in_collections": 0,
        "cancelled": 0,
    }


def test_a_survey_gets_who_which_and_when_and_nothing_else(
    org_a: Organization, patient: Person, other_patient: Person, patient_b: Person
) -> None:
    before = clock.now() - timedelta(seconds=1)
    record(patient, "S-1", statement_date=date(2026, 2, 10))
    record(other_patient, "S-2", statement_date=date(2019, 5, 1))
    record(patient, "S-3", status="cancelled", amount_due=None)
    record(patient_b, "S-9")
    found = list_statements_since(org_a.pk, before)
    assert [(s.person_id, s.statement_date) for s in found] == [
        (patient.pk, date(2026, 2, 10)),
        (other_patient.pk, date(2019, 5, 1)),
    ]
    assert found[0].person_public_id == patient.public_id
    # nothing but ids, the date and the status: no amounts, nothing clinical
    assert set(vars(found[0])) == {
        "statement_id",
        "statement_public_id",
        "person_id",
        "person_public_id",
        "statement_date",
        "status",
    }
    # old statements an import brought can be left out; so can those recorded before
    assert len(list_statements_since(org_a.pk, before, dated_from=date(2026, 1, 1))) == 1
    assert list_statements_since(org_a.pk, clock.now() + timedelta(seconds=1)) == []


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 0.9) is None
    assert percentile([5], 0.9) == 5
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile([30, 10, 20], 0.5) == 20


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=CHICAGO)


def test_billing_question_figures(org_a: Organization, users_a: dict[str, User]) -> None:
    ensure_built_in_templates(org_a)
    line = check_add_sender(
        org_a, channel="sms", address="+13125550100", label="Clinic", purposes=["care"]
    )
    manager = users_a["manager"]
    waits = {"+13125550111": 10, "+13125550112": 30, "+13125550113": 90}
    for n, (phone, minutes) in enumerate(waits.items()):
        make_patient(org_a, "Rosa", f"Diaz{n}", phone=phone)
        with time_machine.travel(_at(2, 9), tick=False):
            text = do_receive_text(
                line, from_number=phone, body="Question about my bill", provider_id=f"SM{n}"
            )
        assert text.conversation is not None
        with time_machine.travel(_at(2, 9) + timedelta(minutes=minutes), tick=False):
            if n == 2:
                do_set_conversation_status(text.conversation, status="closed", acting_user=manager)
            else:
                check_reply(text.conversation, body="We will look into it.", acting_user=manager)
    make_patient(org_a, "Ana", "Waits", phone="+13125550114")
    with time_machine.travel(_at(3, 9), tick=False):
        do_receive_text(
            line, from_number="+13125550114", body="¿Y mi factura?", provider_id="SM-wait"
        )
    with time_machine.travel(_at(3, 10), tick=False):
        figures = billing_question_figures(org_a.pk, since=_at(1, 0), until=_at(4, 0))
        count, waiting = list_waiting_billing_questions(user=manager)
    assert (figures.asked, figures.answered, figures.by_reply, figures.by_closing) == (4, 3, 2, 1)
    assert (figures.median_minutes, figures.p90_minutes) == (30, 90)
    assert (figures.waiting, figures.longest_waiting_minutes) == (1, 60)
    assert (count, [q.with_whom for q in waiting]) == (1, ["Ana Waits"])
    assert count_waiting_billing_questions(org_a.pk) == 1
    assert AuditEvent.objects.filter(action="billing_questions.listed").count() == 1
