"""Reads under a grant are audited under their own action; the queue is oldest first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.permissions import Role
from carebond.people.models import Person
from carebond.people.selectors import get_person_overview
from carebond.people.tests.factories import make_patient
from carebond.privacy.actions import check_break_glass
from carebond.privacy.selectors import list_review_queue, review_counts
from carebond.privacy.tests.conftest import ALLERGY, NOTE

pytestmark = pytest.mark.django_db

WHY = "Patient collapsed at the desk; paramedics ask for her allergies."


def test_each_read_under_a_grant_is_audited_and_the_history_is_loaded(
    patient: Person, users_a: dict[str, User]
) -> None:
    desk = users_a[Role.FRONT_DESK]
    # before: the history is not even loaded, and no break-glass read is recorded
    before = get_person_overview(user=desk, public_id=patient.public_id, with_panels=True)
    assert list(before.person.history.all()) == []
    check_break_glass(user=desk, person_id=patient.public_id, reason="other", explanation=WHY)
    # under the grant: loaded, and each read recorded with the patient
    for _ in range(2):
        during = get_person_overview(user=desk, public_id=patient.public_id, with_panels=True)
        assert [item.display for item in during.person.history.all()] == [ALLERGY]
    reads = AuditEvent.objects.filter(action="privacy.break_glass_read")
    assert [(e.actor, e.patient_id) for e in reads] == [(desk, str(patient.public_id))] * 2
    # the page header alone (no withheld part in it) is not a break-glass read
    get_person_overview(user=desk, public_id=patient.public_id)
    assert reads.count() == 2


def test_the_api_returns_the_opened_parts_while_the_grant_runs(
    patient: Person, users_a: dict[str, User], api_for: Callable[[User], Client]
) -> None:
    liaison = users_a[Role.LIAISON]
    grant = check_break_glass(
        user=liaison, person_id=patient.public_id, reason="continuity_of_care", explanation=WHY
    )
    body = api_for(liaison).get(f"/api/v1/people/{patient.public_id}").json()
    assert ([n["text"] for n in body["notes"]], [h["display"] for h in body["history"]]) == (
        [NOTE],
        [ALLERGY],
    )
    with time_machine.travel(grant.expires_at, tick=False):
        body = api_for(liaison).get(f"/api/v1/people/{patient.public_id}").json()
    assert (body["notes"], body["history"]) == (None, None)


def test_the_queue_is_oldest_first_with_its_counts_in_a_fixed_number_of_queries(
    patient: Person,
    users_a: dict[str, User],
    users_b: dict[str, User],
) -> None:
    start = clock.now()
    people = [patient, make_patient(patient.organization, "Tom", "Brandt")]
    order = []
    for minutes, (person, role) in enumerate(
        [(people[1], Role.LIAISON), (people[0], Role.FRONT_DESK), (people[0], Role.LIAISON)]
    ):
        with time_machine.travel(start + timedelta(minutes=minutes * 90), tick=False):
            order.append(
                check_break_glass(
                    user=users_a[role], person_id=person.public_id, reason="other", explanation=WHY
                ).pk
            )
    officer = users_a[Role.PRIVACY_OFFICER]
    # one query for the grants, however many; then the audit event: savepoint, last link,
    # insert, release (and on PostgreSQL the chain's advisory lock)
    with CaptureQueriesContext(connection) as captured:
        queue = list_review_queue(user=officer)
    assert len(captured) == 5 + (connection.vendor == "postgresql")
    assert [grant.pk for grant in queue] == order
    counts = review_counts(user=officer)
    assert (counts.waiting, counts.not_appropriate, counts.oldest_waiting) == (3, 0, start)
    assert list_review_queue(user=users_b[Role.PRIVACY_OFFICER]) == []
