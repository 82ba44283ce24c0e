"""Recording a statement: a new one is on the patient's timeline (a billing_statement
touchpoint, the billing moment of truth) and audited; recording it again updates it in
place, and an unchanged one writes nothing; the rules refuse what cannot be meant; and who
answers billing questions is the managers' choice among colleagues."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.billing.actions import check_set_billing_handlers
from carebond.billing.models import BillingHandler, BillingStatement, StatementStatus
from carebond.billing.tests.conftest import record
from carebond.core.errors import InvalidFields, InvalidInput, RuleViolation
from carebond.core.models import Organization
from carebond.people.merge_actions import check_merge_people
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient, make_staff
from carebond.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def test_a_new_statement_is_on_the_timeline_and_audited(patient: Person) -> None:
    # when a statement is recorded
    statement = record(patient)
    # then it holds the figures
    assert (statement.amount_billed, statement.amount_due, statement.currency) == (
        Decimal("240.00"),
        Decimal("40.00"),
        "USD",
    )
    # and the patient's timeline has it, at the billing moment of truth, with no words
    touchpoint = Touchpoint.objects.get(person=patient)
    assert (touchpoint.kind, touchpoint.moment_of_truth, touchpoint.channel) == (
        "billing_statement",
        "billing",
        "post",
    )
    assert (touchpoint.summary, touchpoint.outcome) == ("", "")
    assert touchpoint.source_id == str(statement.public_id)
    assert touchpoint.get_kind_display() == "Billing statement"
    event = AuditEvent.objects.get(action="billing.statement.recorded")
    assert event.patient_id == str(patient.public_id)
    assert event.target_id == str(statement.public_id)


def test_recording_it_again_updates_it_and_adds_no_touchpoint(patient: Person) -> None:
    record(patient)
    # the same statement, now paid
    record(patient, amount_due=Decimal("0.00"), status=StatementStatus.PAID)
    statement = BillingStatement.objects.get()
    assert (statement.status, statement.amount_due) == ("paid", Decimal("0.00"))
    assert Touchpoint.objects.count() == 1
    updated = AuditEvent.objects.get(action="billing.statement.updated")
    assert updated.changed_fields == ["amount_due", "status"]
    # and once more, unchanged: nothing written
    record(patient, amount_due=Decimal("0.00"), status=StatementStatus.PAID)
    assert AuditEvent.objects.filter(action__startswith="billing.statement").count() == 2


def test_a_statement_never_moves_to_another_patient(patient: Person, other_patient: Person) -> None:
    record(patient)
    with pytest.raises(RuleViolation, match="another patient's"):
        record(other_patient)
    assert BillingStatement.objects.get().patient == patient


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount_due": Decimal("5.00"), "status": "paid"}, "amount_due", "nothing due"),
        ({"amount_due": Decimal("0.00"), "status": "partially_paid"}, "amount_due", "something"),
        ({"amount_due": None}, "amount_due", "Give the amount due"),
        ({"amount_billed": Decimal("-1")}, "amount_billed", "negative"),
        ({"amount_billed": Decimal("1.005")}, "amount_billed", "two decimals"),
        ({"status": "settled"}, "status", "Not a status"),
        ({"currency": "usd"}, "currency", "ISO 4217"),
        ({"statement_date": date(1899, 12, 31)}, "statement_date", "before 1900"),
        ({"statement_date": date(2999, 1, 1)}, "statement_date", "in the future"),
        ({"external_id": " "}, "external_id", "needs its id"),
    ],
)
def test_what_cannot_be_meant_is_refused_at_its_field(
    patient: Person, changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        record(patient, **changes)
    assert caught.value.field == field
    assert message in caught.value.message
    assert not BillingStatement.objects.exists()
    assert not Touchpoint.objects.exists()


def test_several_problems_are_reported_together(patient: Person) -> None:
    with pytest.raises(InvalidFields) as caught:
        record(patient, currency="dollars", status="settled")
    assert {e.field for e in caught.value.errors} == {"currency", "status"}


def test_a_statement_is_a_patients_of_the_organisation(
    org_a: Organization, patient: Person, users_a: dict[str, User]
) -> None:
    with pytest.raises(InvalidInput, match="patient of this organisation"):
        record(make_staff(org_a))
    twin = make_patient(org_a, "Rosa", "Diaz")
    check_merge_people(survivor=patient, duplicate=twin, acting_user=users_a["manager"])
    twin.refresh_from_db()
    with pytest.raises(InvalidInput, match="merged"):
        record(twin)
    assert not BillingStatement.objects.exists()


def test_a_merge_moves_the_statements_to_the_surviving_record(
    org_a: Organization, patient: Person, users_a: dict[str, User]
) -> None:
    twin = make_patient(org_a, "Rosa", "Diaz", mrn="A-101")
    record(twin)
    check_merge_people(survivor=patient, duplicate=twin, acting_user=users_a["manager"])
    assert BillingStatement.objects.get().patient == patient


def test_managers_name_who_answers_billing_questions(
    org_a: Organization, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    manager, desk = users_a["manager"], users_a["front_desk"]
    check_set_billing_handlers(org_a, user_ids=[desk.pk, manager.pk], acting_user=manager)
    assert set(BillingHandler.objects.values_list("user", flat=True)) == {desk.pk, manager.pk}
    check_set_billing_handlers(org_a, user_ids=[desk.pk], acting_user=manager)
    assert list(BillingHandler.objects.values_list("user", flat=True)) == [desk.pk]
    # another organisation's user or the analyst (no inbox) cannot be named; nothing changes
    for stranger in (users_b["front_desk"], users_a["analyst"]):
        with pytest.raises(InvalidInput, match="colleagues"):
            check_set_billing_handlers(org_a, user_ids=[stranger.pk], acting_user=manager)
    assert list(BillingHandler.objects.values_list("user", flat=True)) == [desk.pk]
    assert AuditEvent.objects.filter(action="billing.handlers.changed").count() == 2
