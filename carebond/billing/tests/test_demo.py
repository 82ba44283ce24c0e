"""The demo's billing: the practice-management export imported through the CSV import (the
same statements for the same seed, built once), the front desk answering billing questions,
and two billing questions in the inbox, one answered and one waiting."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carebond.billing.models import BillingHandler, BillingStatement
from carebond.billing.selectors import billing_question_figures, count_waiting_billing_questions
from carebond.core import clock
from carebond.core.models import Organization
from carebond.demo.billing import statement_export
from carebond.demo.builder import build_demo
from carebond.messaging.models import Conversation
from carebond.people.models import Person
from carebond.touchpoints.models import Touchpoint

pytestmark = [pytest.mark.demo, pytest.mark.django_db]
CHICAGO = ZoneInfo("America/Chicago")


# Built late on a Saturday night (the office closed) and on a weekday morning.
@pytest.mark.parametrize(
    "built_at",
    [datetime(2026, 12, 5, 23, 30, tzinfo=CHICAGO), datetime(2026, 12, 7, 10, 0, tzinfo=CHICAGO)],
    ids=["saturday-night", "monday-morning"],
)
def test_the_demo_has_statements_and_billing_questions(built_at: datetime) -> None:
    with time_machine.travel(built_at, tick=False):
        _check_the_demo()


def _check_the_demo() -> None:
    result = build_demo(seed=42)
    organization = result.organization
    statements = BillingStatement.objects.filter(organization=organization)
    assert statements.count() > 40
    assert set(statements.values_list("status", flat=True)) >= {"paid", "open", "overdue"}
    assert set(statements.values_list("source", flat=True)) == {"csv"}
    assert (
        Touchpoint.objects.filter(organization=organization, kind="billing_statement").count()
        == statements.count()
    )
    # the front desk answers billing questions: both went to them
    desk = BillingHandler.objects.get(organization=organization).user
    assert desk.username == "frontdesk"
    billing = Conversation.objects.filter(organization=organization, topic="billing")
    assert [c.assigned_to for c in billing] == [desk, desk]
    assert count_waiting_billing_questions(organization.pk) == 1
    now = clock.now()
    figures = billing_question_figures(
        organization.pk, since=now - timedelta(days=30), until=now + timedelta(seconds=1)
    )
    assert (figures.asked, figures.answered, figures.by_reply) == (2, 1, 1)
    # building again adds nothing
    build_demo(seed=42)
    assert BillingStatement.objects.filter(organization=organization).count() == statements.count()
    assert Conversation.objects.filter(organization=organization, topic="billing").count() == 2


def test_the_export_is_the_same_for_the_same_seed(org_a: Organization) -> None:
    from carebond.people.tests.factories import make_patient

    patients: list[Person] = [
        make_patient(org_a, "Ana", f"Demo{n}", mrn=f"RB-{n}") for n in range(12)
    ]
    first = statement_export(org_a, rng=random.Random("42-billing"), patients=patients)
    again = statement_export(org_a, rng=random.Random("42-billing"), patients=patients)
    assert first == again
    assert first.count("\n") > 1
