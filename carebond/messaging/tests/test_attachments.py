"""Emails that carry files (a calendar invitation): kept on the message, encrypted like its
words, and sent as a MIME attachment with the content type's parameters."""

from __future__ import annotations

import pytest
from django.db import connection

from carebond.core.errors import InvalidInput
from carebond.messaging.actions import check_queue_message
from carebond.messaging.channels.base import Attachment
from carebond.messaging.dispatch_actions import dispatch_due_messages
from carebond.messaging.models import Message
from carebond.people.models import Person
from carebond.testing.fixtures import Mailbox

INVITATION = Attachment(
    "visit.ics",
    "text/calendar; method=REQUEST",
    "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
)


def queue(
    patient: Person, *, channel: str = "email", attachments: tuple[Attachment, ...]
) -> Message:
    return check_queue_message(
        patient,
        purpose="appointment",
        channel=channel,
        template_key="appointment_reminder",
        idempotency_key=f"with-file:{channel}",
        extra={"location": "Main clinic"},
        acting_user=None,
        attachments=attachments,
    )


def test_an_email_carries_its_attachment_to_a_real_smtp_server(
    patient: Person, smtp_server: Mailbox, afternoon: object
) -> None:
    # given an email queued with an invitation
    message = queue(patient, attachments=(INVITATION,))
    # when the worker sends it
    dispatch_due_messages()
    # then the mail server got the words and the file, with its method
    [received] = smtp_server.to("rosa.diaz@example.org")
    [part] = list(received.iter_attachments())
    assert part.get_filename() == "visit.ics"
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert part.get_content() == INVITATION.content
    assert received.get_body(("plain",)) is not None
    # and the file is stored encrypted, as the words are
    with connection.cursor() as cursor:
        cursor.execute("SELECT attachments FROM messaging_message WHERE id = %s", [message.pk])
        (stored,) = cursor.fetchone()
    assert "VCALENDAR" not in stored


@pytest.mark.parametrize(
    ("channel", "attachment", "words"),
    [
        ("sms", INVITATION, "Only an email carries attachments."),
        ("email", Attachment("photo.png", "image/png", "x"), "text file"),
        ("email", Attachment("", "text/calendar", "x"), "text file"),
        ("email", Attachment("big.ics", "text/calendar", "x" * 100_001), "over 100,000"),
    ],
)
def test_what_an_email_cannot_carry_is_refused_and_nothing_is_queued(
    patient: Person, channel: str, attachment: Attachment, words: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        queue(patient, channel=channel, attachments=(attachment,))
    assert refused.value.field == "attachments"
    assert words in refused.value.message
    assert not Message.objects.exists()
