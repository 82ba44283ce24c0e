"""Assignment that respects each colleague's capacity, and "take the next one"."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import RuleViolation
from carebond.messaging.actions import (
    check_set_capacities,
    check_take_next,
    do_assign_conversation,
)
from carebond.messaging.models import Conversation, Sender
from carebond.messaging.tests.test_inbound import text_in
from carebond.people.models import Person
from carebond.testing.concurrency import at_once
from carebond.testing.sms_provider import SmsProvider


def _three_waiting() -> list[Conversation]:
    for n in range(3):
        text_in(f"Question {n}", sender=f"+1312555019{n}")
    return list(Conversation.objects.order_by("waiting_since", "id"))


def test_assigning_past_a_colleagues_capacity_is_refused(
    org_a: object, senders: dict[str, Sender], users_a: dict[str, User], sms_provider: SmsProvider
) -> None:
    desk, manager = users_a["front_desk"], users_a["manager"]
    check_set_capacities(desk.organization, capacities={desk.pk: 1}, acting_user=manager)
    first, second, _ = _three_waiting()
    do_assign_conversation(first, assignee=desk, acting_user=manager)
    with pytest.raises(RuleViolation, match=r"already has 1 open conversation \(their capacity"):
        do_assign_conversation(second, assignee=desk, acting_user=manager)
    # closing one makes room
    Conversation.objects.filter(pk=first.pk).update(status="closed")
    do_assign_conversation(second, assignee=desk, acting_user=manager)
    assert AuditEvent.objects.filter(action="inbox_capacity.changed").count() == 1


def test_take_the_next_one_gives_the_oldest_unassigned_and_stops_at_capacity(
    org_a: object, senders: dict[str, Sender], users_a: dict[str, User], sms_provider: SmsProvider
) -> None:
    desk = users_a["front_desk"]
    check_set_capacities(desk.organization, capacities={desk.pk: 2}, acting_user=desk)
    first, second, _ = _three_waiting()
    assert check_take_next(desk) == first
    assert check_take_next(desk) == second
    with pytest.raises(RuleViolation, match="their capacity is 2"):
        check_take_next(desk)


@pytest.mark.django_db(transaction=True)
def test_two_people_taking_at_once_never_get_the_same_one(
    org_a: object, senders: dict[str, Sender], users_a: dict[str, User], sms_provider: SmsProvider
) -> None:
    text_in("Only one waiting", sender="+13125550190")
    taken: list[Conversation | None] = []
    errors = at_once(
        lambda: taken.append(check_take_next(users_a["front_desk" if not taken else "clinician"]))
    )
    assert errors == []
    assert sorted(c is not None for c in taken) == [False, True]


def test_the_pages_set_capacity_and_take_the_next_one(
    patient: Person,
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
    sms_provider: SmsProvider,
) -> None:
    desk = users_a["front_desk"]
    manager = client_for(users_a["manager"])
    bad = manager.post("/messaging/inbox-capacity/", {f"user_{desk.pk}": "-1"})
    assert bad.status_code == 400
    manager.post("/messaging/inbox-capacity/", {f"user_{desk.pk}": "0"})
    text_in("hello")
    client = client_for(desk)
    refused = client.post("/messaging/inbox/take-next/", follow=True).content.decode()
    assert "their capacity is 0" in refused
    manager.post("/messaging/inbox-capacity/", {f"user_{desk.pk}": "5"})
    taken = client.post("/messaging/inbox/take-next/")
    assert taken.status_code == 302
    assert Conversation.objects.get().assigned_to == desk
