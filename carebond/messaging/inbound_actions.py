"""What comes in: texts from the provider's webhook and delivery reports.

An inbound text is never lost: it is stored first, in its conversation (a triage one when the
number is nobody's, or several people's), and only then read for keywords. STOP and its
variants revoke consent in the same transaction as the webhook call (well within FCC's 60
seconds) and queue one confirmation; START re-subscribes; HELP answers with the organisation's
contact; text that only reads like a revocation waits for staff.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidInput
from carebond.core.registry import inbound_reply_handlers
from carebond.messaging.actions import cancel_queued_messages, find_template, merge_values
from carebond.messaging.compliance import EXEMPT_PURPOSES
from carebond.messaging.keywords import Intent, read_intent, reads_like_emergency
from carebond.messaging.models import (
    CONSENT_PURPOSE,
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    OptedOutNumber,
    RevocationRequest,
    Sender,
)
from carebond.messaging.office_hours import schedule_for
from carebond.messaging.topic_actions import tag_inbound
from carebond.messaging.wording import render
from carebond.people.actions import check_record_consent
from carebond.people.models import (
    ConsentMethod,
    ConsentRecord,
    ConsentStatus,
    ContactSystem,
    Person,
    PersonKind,
)
from carebond.people.selectors import consent_before, consent_in_force, people_reached_at
from carebond.touchpoints.actions import record_touchpoint
from carebond.touchpoints.models import MomentOfTruth

logger = logging.getLogger("carebond.messaging")

EXEMPT_CONSENT_PURPOSES = frozenset(CONSENT_PURPOSE[p] for p in EXEMPT_PURPOSES)
AFTER_HOURS_ONCE_IN = timedelta(hours=12)


# Whether the text provider's own opt-out handling already confirms a STOP (Twilio Advanced
# Opt-Out does): then CareBond must not send a second confirmation.
def provider_confirms_opt_out() -> bool:
    return bool(getattr(settings, "MESSAGING_PROVIDER_CONFIRMS_OPT_OUT", False))


def sender_for_number(number: str) -> Sender | None:
    return (
        Sender.objects.filter(channel=MessageChannel.SMS, address=number)
        .select_related("organization")
        .first()
    )


@transaction.atomic
def do_receive_text(sender: Sender, *, from_number: str, body: str, provider_id: str) -> Message:
    """Store an inbound text in its conversation, then act on what it asks.
    Audit: message.received (and consent.revoked / consent.granted for keywords)."""
    key = f"inbound:sms:{provider_id}"
    existing = Message.objects.filter(
        organization_id=sender.organization_id, idempotency_key=key
    ).first()
    if existing is not None:  # the provider retried its webhook
        return existing
    now = clock.now()
    people = people_reached_at(
        sender.organization_id, system=ContactSystem.PHONE, value=from_number
    )
    person = people[0] if len(people) == 1 else None
    conversation = conversation_for(sender, address=from_number, person=person)
    message = Message.objects.create(
        organization_id=sender.organization_id,
        person=person,
        conversation=conversation,
        direction=Direction.INBOUND,
        channel=MessageChannel.SMS,
        sender=sender,
        to_address=sender.address,
        from_address=from_number,
        body=body[:5000],
        status=MessageStatus.RECEIVED,
        idempotency_key=key,
        provider_id=provider_id[:100],
        due_at=now,
        created_at=now,
        sent_at=now,
        recorded_at=now,  # (its touchpoint and audit event follow in record_received)
    )
    record_received(message, conversation, summary="Text received")
    try:
        with transaction.atomic():  # what the text asks is undone alone if it fails
            _act_on(message, sender=sender, people=people, conversation=conversation)
    except Exception as error:  # the text itself is kept, waiting for staff in the inbox
        if transaction.get_rollback():
            # The transaction itself is lost (the database went away mid-way, so even the
            # undo failed): the text would be rolled back with it at the end of this block
            # while the provider was told it arrived. Fail instead: the provider retries, and
            # the retry stores it once (the key is its MessageSid).
            raise
        logger.error(
            "Acting on inbound message %s failed (%s); it waits in the inbox",
            message.public_id,
            type(error).__name__,
        )
    return message


def record_received(message: Message, conversation: Conversation, *, summary: str) -> None:
    """What every stored inbound message does next: its conversation waits for an answer,
    the audit trail has it, and so does the person's timeline; a question on a registered
    topic (billing) tags the conversation and may hand it to the topic's staff
    (topic_actions). Audit: message.received."""
    now = message.created_at
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=now,
        unread=conversation.unread + 1,
        waiting_since=conversation.waiting_since or now,
        status=ConversationStatus.OPEN,
        snoozed_until=None,
    )
    person = message.person
    record_audit(
        actor=None,
        action="message.received",
        target=message,
        organization=conversation.organization,
        patient=_patient_of(person),
    )
    if person is not None:
        record_touchpoint(
            person,
            kind="message",
            channel=message.channel,
            direction=Direction.INBOUND,
            occurred_at=now,
            moment_of_truth=MomentOfTruth.COMMUNICATIONS,
            summary=summary,
            source=message,
        )
    tag_inbound(message, conversation)


def conversation_for(sender: Sender, *, address: str, person: Person | None) -> Conversation:
    """One conversation per outside number or address and sender; a closed one opens again."""
    conversation = (
        Conversation.objects.select_for_update()
        .filter(
            organization_id=sender.organization_id,
            channel=sender.channel,
            address=address,
            sender=sender,
        )
        .first()
    )
    if conversation is None:
        conversation = Conversation.objects.create(
            organization_id=sender.organization_id,
            person=person,
            channel=sender.channel,
            address=address,
            sender=sender,
        )
    elif conversation.person_id is None and person is not None:
        conversation.person = person
        conversation.save(update_fields=["person", "updated_at"])
    return conversation


def _act_on(
    message: Message, *, sender: Sender, people: list[Person], conversation: Conversation
) -> None:
    intent = read_intent(message.body)
    if intent in (Intent.STOP, Intent.STOP_ALL):
        purposes = _consent_purposes(sender, everything=intent is Intent.STOP_ALL)
        changed = _record(people, purposes, ConsentStatus.REVOKED, message)
        if not people:  # the number is nobody's yet: it stops by itself
            changed = _stop_number(message, purposes) or changed
        _cancel_queued(message, people, purposes)
        if changed and not provider_confirms_opt_out():
            _auto_reply(message, conversation, people, "opt_out_confirmation")
    elif intent is Intent.START:
        purposes = _consent_purposes(sender, everything=False)
        changed = _record(people, purposes, ConsentStatus.GRANTED, message)
        if _start_number(message, purposes) or changed:
            _auto_reply(message, conversation, people, "opt_in_confirmation")
    elif intent is Intent.HELP:
        _auto_reply(message, conversation, people, "help_reply")
    elif intent is Intent.MAYBE_STOP:
        RevocationRequest.objects.create(
            organization_id=message.organization_id,
            person=people[0] if len(people) == 1 else None,
            message=message,
        )
    elif _answered_by_an_app(message):
        return  # (a reply to a reminder: its app answered, and asks "which?" itself)
    elif len(people) > 1:
        _auto_reply(message, conversation, people, "which_person")
    if intent is Intent.NONE:  # (never a further text after something like a STOP)
        _answer_out_of_hours(message, conversation, people)


def _answered_by_an_app(message: Message) -> bool:
    """Whether an app's handler answered the text (docs/adding-an-app.md, the registrations).
    A handler that fails is left out, alone: the text still waits for staff."""
    for handler in inbound_reply_handlers():
        try:
            with transaction.atomic():
                if handler.handle(message):
                    return True
        except Exception as error:
            logger.error(
                "Reply handler %s failed on message %s (%s)",
                handler.name,
                message.public_id,
                type(error).__name__,
            )
    return False


def check_answer_inbound(
    message: Message,
    *,
    template_key: str,
    extra: dict[str, object],
    resolved: bool,
    about: Person | None = None,
) -> Message | None:
    """An app's automatic answer to an inbound text, in its conversation (one per text and
    template), in the language of the person it is about (``about``: one of several sharing
    the number; by default the text's person). ``resolved``: nothing is left for staff, so
    the conversation stops waiting (unless other texts of it are unread).
    Audit: message.queued."""
    conversation = message.conversation
    assert conversation is not None
    person = about or message.person
    people = [person] if person is not None else []
    reply = _auto_reply(message, conversation, people, template_key, extra=extra)
    if resolved:
        current = Conversation.objects.select_for_update().get(pk=conversation.pk)
        current.unread = max(0, current.unread - 1)
        if current.unread == 0:
            current.waiting_since = None
        current.save(update_fields=["unread", "waiting_since", "updated_at"])
    return reply


def _answer_out_of_hours(
    message: Message, conversation: Conversation, people: list[Person]
) -> None:
    """A text that may be an emergency is told to call 911 at once, at any hour; any other
    text outside office hours gets the after-hours answer, once in 12 hours per conversation."""
    if reads_like_emergency(message.body):
        _auto_reply(message, conversation, people, "emergency_reply")
        return
    organization = conversation.organization
    if schedule_for(organization).is_open(message.created_at):
        return
    answered_lately = Message.objects.filter(
        conversation=conversation,
        template_key="after_hours",
        created_at__gte=message.created_at - AFTER_HOURS_ONCE_IN,
    ).exists()
    if not answered_lately:
        _auto_reply(message, conversation, people, "after_hours")


def _consent_purposes(sender: Sender, *, everything: bool) -> list[str]:
    purposes = MessagePurpose.values if everything else sender.purposes
    return sorted({CONSENT_PURPOSE[p] for p in purposes if p != MessagePurpose.REPLY})


def _record(people: list[Person], purposes: list[str], status: str, message: Message) -> bool:
    """Write the decision for each person on this number, where it changes anything."""
    changed = False
    evidence = (
        f"Text {read_intent(message.body).value.upper()} from {message.from_address} to "
        f"{message.to_address} at {message.created_at.isoformat()} (provider id "
        f"{message.provider_id})."
    )
    for person in people:
        for purpose in purposes:
            current = consent_in_force(person.pk, channel="sms", purpose=purpose)
            if current is not None and current.status == status:
                continue
            if status == ConsentStatus.GRANTED and not _restorable(current):
                continue
            check_record_consent(
                person,
                channel="sms",
                purpose=purpose,
                status=status,
                method=ConsentMethod.SMS_KEYWORD,
                evidence=evidence,
                acting_user=None,
            )
            changed = True
    return changed


def _restorable(current: ConsentRecord | None) -> bool:
    """START undoes a text opt-out: it gives back a consent the person had before they texted
    STOP (or opted out with the provider), and the appointment and care texts that needed no
    consent (asking for them back is consent enough). Never a marketing or survey consent they
    did not give: staff record those, with their evidence."""
    if current is None or current.method not in (ConsentMethod.SMS_KEYWORD, ConsentMethod.PROVIDER):
        return False
    before = consent_before(current)
    if before is None:
        return current.purpose in EXEMPT_CONSENT_PURPOSES
    return before.status == ConsentStatus.GRANTED


def _stop_number(message: Message, purposes: list[str]) -> bool:
    """The number itself stops, whoever has it: a STOP from a number nobody in the records has
    (yet) is kept by address. True when it changed anything."""
    made = 0
    for purpose in purposes:
        _, created = OptedOutNumber.objects.get_or_create(
            organization_id=message.organization_id,
            address=message.from_address,
            purpose=purpose,
            defaults={"message": message, "created_at": message.created_at},
        )
        made += created
    return made > 0


def _start_number(message: Message, purposes: list[str]) -> bool:
    removed, _ = OptedOutNumber.objects.filter(
        organization_id=message.organization_id,
        address=message.from_address,
        purpose__in=purposes,
    ).delete()
    return removed > 0


def _cancel_queued(message: Message, people: list[Person], purposes: list[str]) -> None:
    """Queued texts of the ended purposes, to these people or to this number, are cancelled."""
    # Automatic replies are answers to the person's own texts (this STOP's confirmation too).
    message_purposes = [
        p for p, c in CONSENT_PURPOSE.items() if c in purposes and p != MessagePurpose.REPLY
    ]
    cancel_queued_messages(
        Message.objects.filter(
            Q(person__in=people) | Q(to_address=message.from_address),
            organization_id=message.organization_id,
            channel=MessageChannel.SMS,
            purpose__in=message_purposes,
        ),
        reason="The person opted out.",
    )


def _patient_of(person: Person | None) -> Person | None:
    return person if person is not None and person.kind == PersonKind.PATIENT else None


def _auto_reply(
    message: Message,
    conversation: Conversation,
    people: list[Person],
    template_key: str,
    *,
    extra: dict[str, object] | None = None,
) -> Message | None:
    """One automatic answer per inbound message (its key says so), in the person's language."""
    sender = message.sender
    assert sender is not None
    organization = sender.organization
    language = people[0].preferred_language if len(people) == 1 else ""
    try:
        template = find_template(
            organization, key=template_key, channel=MessageChannel.SMS, language=language
        )
    except InvalidInput:
        # Never lose the inbound text over a missing answer: it is stored and in the inbox.
        logger.warning("No %s template in organisation %s", template_key, organization.pk)
        return None
    values = (
        merge_values(people[0], language=template.language, extra=extra or {})
        if len(people) == 1
        else {
            "organization": organization.name,
            **{name: str(value) for name, value in (extra or {}).items()},
        }
    )
    rendered = render(subject="", body_text=template.body_text, body_html="", values=values)
    now = clock.now()
    reply, created = Message.objects.get_or_create(
        organization_id=organization.pk,
        idempotency_key=f"auto:{template_key}:{message.public_id}",
        defaults={
            "person": people[0] if len(people) == 1 else None,
            "conversation": conversation,
            "direction": Direction.OUTBOUND,
            "channel": MessageChannel.SMS,
            "purpose": MessagePurpose.REPLY,
            "sender": sender,
            "to_address": message.from_address,
            "from_address": sender.address,
            "body": rendered.body_text,
            "template_key": template_key,
            "language": template.language,
            "urgent": True,
            "status": MessageStatus.QUEUED,
            "due_at": now,
            "created_at": now,
        },
    )
    if created:
        record_audit(
            actor=None,
            action="message.queued",
            target=reply,
            organization=organization,
            patient=_patient_of(reply.person),
        )
    return reply


@transaction.atomic
def do_record_delivery(
    organization_id: int, *, provider_id: str, status: str, error_code: str
) -> Message | None:
    """A provider's delivery report: delivered, or failed with the carrier's error code."""
    message = (
        Message.objects.select_for_update(of=("self",))
        .filter(organization_id=organization_id, provider_id=provider_id)
        .select_related("person", "organization")
        .first()
    )
    if message is None:
        return None
    if status == "delivered":
        message.status, message.delivered_at = MessageStatus.DELIVERED, clock.now()
    elif status in ("failed", "undelivered"):
        message.status = MessageStatus.FAILED
        message.error_code = error_code[:40]
        message.status_reason = f"The carrier could not deliver it (error {error_code})."
    else:
        return message
    message.save(update_fields=["status", "delivered_at", "error_code", "status_reason"])
    record_audit(
        actor=None,
        action=f"message.{message.status}",
        target=message,
        organization=message.organization,
    )
    if error_code == "21610":
        record_provider_opt_out(message)
    return message


def record_provider_opt_out(message: Message) -> None:
    """The provider says the number opted out with it: record it as a revocation."""
    person = message.person
    sender = message.sender
    if person is None or sender is None:
        return
    for purpose in _consent_purposes(sender, everything=False):
        current = consent_in_force(person.pk, channel="sms", purpose=purpose)
        if current is not None and current.status == ConsentStatus.REVOKED:
            continue
        check_record_consent(
            person,
            channel="sms",
            purpose=purpose,
            status=ConsentStatus.REVOKED,
            method=ConsentMethod.PROVIDER,
            evidence=f"The text provider refused message {message.public_id}: the number "
            f"opted out with the provider.",
            acting_user=None,
        )
