"""Apps answer replies that are theirs (a reply to a reminder) through a registered
InboundReplyHandler, before the inbox: a handler that answers stops messaging's own answers;
one that fails leaves the text, stored, for staff; compliance keywords never reach one."""

from __future__ import annotations

from typing import Any

from carebond.core.registry import InboundReplyHandler, registered
from carebond.messaging.dispatch_actions import dispatch_due_messages
from carebond.messaging.inbound_actions import check_answer_inbound
from carebond.messaging.models import Conversation, Message
from carebond.messaging.tests.conftest import PATIENT_PHONE
from carebond.messaging.tests.test_inbound import text_in
from carebond.people.models import Person
from carebond.testing.sms_provider import SmsProvider

SEEN: list[str] = []


def thanks(message: Any) -> bool:
    SEEN.append(message.body)
    if message.body != "C":
        return False
    check_answer_inbound(message, template_key="canned_thanks", extra={}, resolved=True)
    return True


def broken(message: Any) -> bool:
    raise RuntimeError("a bug in an app")


def test_a_handler_that_answers_resolves_the_text_and_messaging_adds_nothing(
    patient: Person, sms_provider: SmsProvider
) -> None:
    SEEN.clear()
    with registered(InboundReplyHandler("tests.thanks", thanks, "tests")):
        # given the office is closed (no hours set): an unhandled text gets the after-hours answer
        text_in("C")
        text_in("STOP")
    dispatch_due_messages()
    # the handler answered "C" alone, and the conversation no longer waits for staff
    assert SEEN == ["C"]  # (STOP is messaging's, by law)
    bodies = [m["body"] for m in sms_provider.to(PATIENT_PHONE)]
    assert bodies[0] == f"Thank you, Rosa. We have noted it. {patient.organization.name}"
    assert not any("office is closed" in body for body in bodies)
    conversation = Conversation.objects.get()
    assert conversation.unread == 1  # the STOP, still to be read


def test_a_failing_handler_leaves_the_text_for_staff(
    patient: Person, sms_provider: SmsProvider
) -> None:
    with registered(InboundReplyHandler("tests.broken", broken, "tests")):
        text_in("C")
    assert Message.objects.get(direction="inbound").body == "C"
    conversation = Conversation.objects.get()
    assert conversation.waiting_since is not None
