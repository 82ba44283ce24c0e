"""Email replies. The mail system (an inbound-parse webhook, or a delivery script on the mail
server) posts each raw RFC 5322 message to ``/messaging/email/inbound``; it is stored in its
conversation, matched by the message it answers (its reply address, see reply_addresses.py;
or In-Reply-To and References, which carry our Message-ID), else by the sender's address,
else kept in triage. Never lost: stored first, then read. A reply asking to stop waits for
staff as a possible opt-out (the one-click link is the instant way).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from django.db import transaction

from carebond.core import clock
from carebond.core.errors import InvalidInput, NotFound
from carebond.messaging.inbound_actions import conversation_for, record_received
from carebond.messaging.keywords import Intent, read_intent
from carebond.messaging.models import (
    Direction,
    Message,
    MessageChannel,
    MessageStatus,
    RevocationRequest,
    Sender,
)
from carebond.messaging.reply_addresses import answered_message_id
from carebond.people.models import ContactSystem, Person
from carebond.people.selectors import people_reached_at

logger = logging.getLogger("carebond.messaging")

MAX_EMAIL_BYTES = 2_000_000
MAX_BODY = 5000
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Where the quoted original starts in a reply: "On Tue, ... wrote:" / "El ... escribió:".
_QUOTE_START = re.compile(r"^(On .+ wrote:|El .+ escribi[oó]:|-+ ?Original Message ?-+)\s*$")


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    from_address: str
    to_addresses: list[str]
    subject: str
    text: str
    answers: list[str]  # Message-IDs it replies to, nearest first


def parse_email(raw: bytes) -> ParsedEmail:
    """The parts CareBond keeps, or InvalidInput naming what is missing."""
    if len(raw) > MAX_EMAIL_BYTES:
        raise InvalidInput(f"An email may be at most {MAX_EMAIL_BYTES:,} bytes.", field="body")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    from_address = parseaddr(str(message.get("From", "")))[1].lower()
    if "@" not in from_address:
        raise InvalidInput("The email has no sender address (From).", field="From")
    message_id = str(message.get("Message-ID", "")).strip()
    if not message_id:
        raise InvalidInput("The email has no Message-ID.", field="Message-ID")
    answers = _MESSAGE_ID.findall(str(message.get("In-Reply-To", "")))
    answers += reversed(_MESSAGE_ID.findall(str(message.get("References", ""))))
    recipients = [
        str(value) for name in ("To", "Cc", "Delivered-To") for value in message.get_all(name, [])
    ]
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return ParsedEmail(
        message_id=message_id[:300],
        from_address=from_address[:254],
        to_addresses=[a.lower() for _, a in getaddresses(recipients) if a],
        subject=str(message.get("Subject", ""))[:200],
        text=reply_text(str(text)),
        answers=answers,
    )


def reply_text(text: str) -> str:
    """The new words of a reply: the quoted original below them is cut."""
    kept = []
    for line in text.splitlines():
        if _QUOTE_START.match(line.strip()) or line.startswith(">"):
            break
        kept.append(line)
    return "\n".join(kept).strip()[:MAX_BODY]


@transaction.atomic
def do_receive_email(raw: bytes) -> Message:
    """Store an email reply in its conversation. Audit: message.received."""
    email = parse_email(raw)
    answered = _answered(email)
    sender = answered.sender if answered is not None else _sender_for(email.to_addresses)
    if sender is None:
        raise NotFound("No organisation receives email at this address.")
    key = "inbound:email:" + hashlib.sha256(email.message_id.encode()).hexdigest()[:48]
    existing = Message.objects.filter(
        organization_id=sender.organization_id, idempotency_key=key
    ).first()
    if existing is not None:  # the mail system delivered it twice
        return existing
    people = people_reached_at(
        sender.organization_id, system=ContactSystem.EMAIL, value=email.from_address
    )
    person = _whose(answered, email, people)
    now = clock.now()
    conversation = conversation_for(sender, address=email.from_address, person=person)
    message = Message.objects.create(
        organization_id=sender.organization_id,
        person=person,
        conversation=conversation,
        direction=Direction.INBOUND,
        channel=MessageChannel.EMAIL,
        sender=sender,
        to_address=sender.address,
        from_address=email.from_address,
        subject=email.subject,
        body=email.text,
        status=MessageStatus.RECEIVED,
        idempotency_key=key,
        message_id_header=email.message_id,
        due_at=now,
        created_at=now,
        sent_at=now,
        recorded_at=now,  # (its touchpoint and audit event follow in record_received)
    )
    record_received(message, conversation, summary="Email received")
    first_line = email.text.splitlines()[0] if email.text else ""
    if read_intent(first_line) in (Intent.STOP, Intent.STOP_ALL, Intent.MAYBE_STOP):
        RevocationRequest.objects.create(
            organization_id=sender.organization_id, person=person, message=message
        )
    logger.info("Inbound email %s stored", message.public_id)
    return message


def _answered(email: ParsedEmail) -> Message | None:
    """The email of ours it answers: named by its reply address, else by In-Reply-To or
    References."""
    ours = Message.objects.filter(direction=Direction.OUTBOUND).select_related(
        "person", "sender", "organization"
    )
    answered_id = answered_message_id(email.to_addresses)
    if answered_id is not None:
        return ours.filter(public_id=answered_id).first()
    return ours.filter(message_id_header__in=email.answers).first() if email.answers else None


def _sender_for(addresses: list[str]) -> Sender | None:
    """The email sender it was written to, when exactly one organisation sends from it."""
    found = list(
        Sender.objects.filter(channel=MessageChannel.EMAIL, address__in=addresses).select_related(
            "organization"
        )[:2]
    )
    return found[0] if len(found) == 1 else None


def _whose(answered: Message | None, email: ParsedEmail, people: list[Person]) -> Person | None:
    """The person of the message it answers when the reply comes from the address it went to;
    else the one person with that address; else nobody (triage)."""
    if answered is not None and answered.to_address.lower() == email.from_address:
        return answered.person
    return people[0] if len(people) == 1 else None
