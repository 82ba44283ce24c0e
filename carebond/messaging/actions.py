"""Writes of the messaging app: templates, queueing a message (the outbox row, written in the
caller's transaction), and what staff do in the inbox. Sending is the worker's (dispatch.py);
what comes in is inbound.py's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from carebond.accounts.selectors import list_colleagues
from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.claims import claim
from carebond.core.errors import InvalidFields, InvalidInput, RuleViolation
from carebond.core.models import Location, Organization
from carebond.messaging import compliance
from carebond.messaging.attachments import pack
from carebond.messaging.builtin import BUILT_IN
from carebond.messaging.channels.base import Attachment as Attachment  # (for callers)
from carebond.messaging.models import (
    AnsweredBy,
    Campaign,
    Conversation,
    ConversationStatus,
    Direction,
    InboxCapacity,
    InboxNote,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    MessageTemplate,
    OptedOutNumber,
    Sender,
    TopicQuestion,
)
from carebond.messaging.unsubscribe_links import unsubscribe_url
from carebond.messaging.wording import lint_template, render
from carebond.people.actions import check_record_consent
from carebond.people.models import (
    ConsentMethod,
    ConsentStatus,
    ContactSystem,
    Person,
    PersonKind,
    PersonStatus,
)
from carebond.people.selectors import consent_in_force, contact_address
from carebond.people.validation import normalize_email, normalize_phone
from carebond.touchpoints.actions import record_touchpoint
from carebond.touchpoints.models import MomentOfTruth

if TYPE_CHECKING:
    from carebond.accounts.models import User

SYSTEM_FOR_CHANNEL: dict[str, str] = {
    MessageChannel.SMS: ContactSystem.PHONE,
    MessageChannel.EMAIL: ContactSystem.EMAIL,
}


# --- senders -----------------------------------------------------------------------------------


def check_add_sender(
    organization: Organization,
    *,
    channel: str,
    address: str,
    label: str,
    purposes: list[str],
    per_second: int = 1,
) -> Sender:
    """A number or address to send from. A text number belongs to one organisation only: the
    provider's webhook finds the organisation by it."""
    errors: list[InvalidInput] = []
    if channel not in MessageChannel.values:
        raise InvalidInput(
            f"{channel!r} is not a channel ({', '.join(MessageChannel.values)}).", field="channel"
        )
    try:
        if channel == MessageChannel.SMS:
            address = normalize_phone(address, region=organization.country, field="address")
        else:
            address = normalize_email(address, field="address")
    except InvalidInput as error:
        errors.append(error)
    unknown = sorted(set(purposes) - set(MessagePurpose.values))
    if unknown:
        errors.append(InvalidInput(f"Unknown purpose(s): {', '.join(unknown)}.", field="purposes"))
    elif not purposes:
        errors.append(InvalidInput("Choose at least one purpose.", field="purposes"))
    if not 1 <= per_second <= 1000:
        errors.append(
            InvalidInput("Messages per second must be between 1 and 1000.", field="per_second")
        )
    if not label.strip():
        errors.append(InvalidInput("Give the sender a name staff recognise.", field="label"))
    if errors:
        raise InvalidFields(errors)
    taken = Sender.objects.filter(channel=channel, address=address)
    if channel == MessageChannel.SMS and taken.exists():
        raise InvalidInput(f"{address} is already a sending number.", field="address")
    if taken.filter(organization=organization).exists():
        raise InvalidInput(f"{address} is already a sender here.", field="address")
    return Sender.objects.create(
        organization=organization,
        channel=channel,
        address=address,
        label=label.strip()[:100],
        purposes=sorted(set(purposes)),
        per_second=per_second,
    )


# --- templates ---------------------------------------------------------------------------------


def ensure_built_in_templates(organization: Organization) -> int:
    """Add the built-in templates an organisation lacks (never overwrite its edits)."""
    have = set(
        MessageTemplate.objects.filter(organization=organization).values_list(
            "key", "channel", "language"
        )
    )
    missing = [
        MessageTemplate(
            organization=organization,
            key=b.key,
            name=b.name,
            purpose=b.purpose,
            channel=b.channel,
            language=b.language,
            subject=b.subject,
            body_text=b.body_text,
            body_html=b.body_html,
            built_in=True,
        )
        for b in BUILT_IN
        if (b.key, b.channel, b.language) not in have
    ]
    MessageTemplate.objects.bulk_create(missing)
    return len(missing)


def check_save_template(
    template: MessageTemplate, *, subject: str, body_text: str, body_html: str, acting_user: User
) -> MessageTemplate:
    """Refuse a template the linter finds fault with, naming every problem at its part."""
    if not body_text.strip():
        raise InvalidInput("A template needs its text.", field="body_text")
    result = lint_template(
        purpose=template.purpose, subject=subject, body_text=body_text, body_html=body_html
    )
    if not result.ok:
        raise InvalidFields([InvalidInput(p.message, field=p.part) for p in result.problems])
    return do_save_template(
        template, subject=subject, body_text=body_text, body_html=body_html, acting_user=acting_user
    )


@transaction.atomic
def do_save_template(
    template: MessageTemplate, *, subject: str, body_text: str, body_html: str, acting_user: User
) -> MessageTemplate:
    """Audit: message_template.changed."""
    changed = [
        name
        for name, value in (
            ("subject", subject),
            ("body_text", body_text),
            ("body_html", body_html),
        )
        if getattr(template, name) != value
    ]
    template.subject, template.body_text, template.body_html = subject, body_text, body_html
    template.save()
    record_audit(
        actor=acting_user,
        action="message_template.changed",
        target=template,
        changed_fields=changed,
    )
    return template


def find_template(
    organization: Organization, *, key: str, channel: str, language: str
) -> MessageTemplate:
    """The template in the person's language, else the organisation's default, else English."""
    primary = (language or "").split("-")[0].lower()
    wanted = [lang for lang in (primary, organization.default_language, "en") if lang]
    for attempt in range(2):
        found = {
            t.language: t
            for t in MessageTemplate.objects.filter(
                organization=organization, key=key, channel=channel, language__in=wanted
            )
        }
        for language_tag in wanted:
            if language_tag in found:
                return found[language_tag]
        # An organisation gets the built-in templates the first time it needs one.
        if attempt == 0 and not ensure_built_in_templates(organization):
            break
    raise InvalidInput(
        f"There is no {MessageChannel(channel).label.lower()} template {key!r}.", field="template"
    )


# --- merge values ----------------------------------------------------------------------------

_DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
}
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
}


def format_time(moment: datetime, *, zone: ZoneInfo, language: str) -> str:
    """A date and time as the recipient reads it, in their own time zone."""
    local = moment.astimezone(zone)
    if language == "es":
        day, month = _DAYS["es"][local.weekday()], _MONTHS["es"][local.month - 1]
        return f"{day} {local.day} {month} a las {local:%H:%M}"
    day, month = _DAYS["en"][local.weekday()], _MONTHS["en"][local.month - 1]
    hour = local.hour % 12 or 12
    return f"{day} {local.day} {month} at {hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def merge_values(person: Person, *, language: str, extra: dict[str, object]) -> dict[str, str]:
    organization = person.organization
    zone = ZoneInfo(person.time_zone or organization.time_zone)
    values: dict[str, str] = {
        "preferred_name": person.preferred_name or person.given_name or person.display_name,
        "organization": organization.name,
        "call_back_number": _call_back_number(organization),
    }
    for name, value in extra.items():
        if isinstance(value, datetime):
            values[name] = format_time(value, zone=zone, language=language)
        elif value is not None:
            values[name] = str(value)
    return values


def _call_back_number(organization: Organization) -> str:
    location = (
        Location.objects.filter(organization=organization).exclude(phone="").order_by("id").first()
    )
    return location.phone if location else ""


# --- queueing --------------------------------------------------------------------------------


def pick_sender(organization_id: int, *, channel: str, purpose: str) -> Sender | None:
    for sender in Sender.objects.filter(organization_id=organization_id, channel=channel).order_by(
        "id"
    ):
        if purpose in sender.purposes:
            return sender
    return None


@transaction.atomic
def check_queue_message(
    person: Person,
    *,
    purpose: str,
    channel: str,
    template_key: str,
    idempotency_key: str,
    extra: dict[str, object] | None = None,
    urgent: bool = False,
    acting_user: User | None,
    campaign: Campaign | None = None,
    not_before: datetime | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> Message:
    """Write the outbox row for one message from a template, in the caller's transaction.
    ``not_before``: not sent before this time (a scheduled campaign's slot). ``attachments``:
    files an email carries (a calendar invitation); a text carries none.

    The same idempotency key twice gives the first row back (no second message). A message the
    rules refuse is written too, as ``blocked`` with the reason, so staff see why it never went.
    Audit: message.queued or message.blocked."""
    existing = Message.objects.filter(
        organization_id=person.organization_id, idempotency_key=idempotency_key
    ).first()
    if existing is not None:
        return existing
    if purpose not in MessagePurpose.values or channel not in MessageChannel.values:
        raise InvalidInput("Unknown purpose or channel.", field="purpose")
    if attachments and channel != MessageChannel.EMAIL:
        raise InvalidInput("Only an email carries attachments.", field="attachments")
    template = find_template(
        person.organization, key=template_key, channel=channel, language=person.preferred_language
    )
    if template.purpose != purpose:
        raise InvalidInput(
            f"Template {template_key!r} is for {template.get_purpose_display().lower()} messages.",
            field="template",
        )
    sender = pick_sender(person.organization_id, channel=channel, purpose=purpose)
    values = extra or {}
    if channel == MessageChannel.EMAIL:
        values = {**values, "unsubscribe_link": unsubscribe_url(person, purpose)}
    rendered = render(
        subject=template.subject,
        body_text=template.body_text,
        body_html=template.body_html,
        values=merge_values(person, language=template.language, extra=values),
    )
    return do_queue_message(
        person,
        purpose=purpose,
        channel=channel,
        sender=sender,
        subject=rendered.subject,
        body=rendered.body_text,
        body_html=rendered.body_html,
        template_key=template.key,
        language=template.language,
        idempotency_key=idempotency_key,
        urgent=urgent,
        acting_user=acting_user,
        campaign=campaign,
        not_before=not_before,
        attachments=attachments,
    )


@transaction.atomic
def do_queue_message(
    person: Person,
    *,
    purpose: str,
    channel: str,
    sender: Sender | None,
    subject: str,
    body: str,
    body_html: str = "",
    template_key: str = "",
    language: str = "",
    idempotency_key: str,
    urgent: bool = False,
    acting_user: User | None,
    campaign: Campaign | None = None,
    conversation: Conversation | None = None,
    replying: bool = False,
    to_address: str = "",
    not_before: datetime | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> Message:
    """Audit: message.queued or message.blocked. The row is the outbox: the worker sends it.
    ``to_address``: a reply goes to the number or address the conversation is with, not
    necessarily the person's first one."""
    now = clock.now()
    at = max(now, not_before) if not_before else now
    address = to_address or contact_address(person, system=SYSTEM_FOR_CHANNEL[channel])
    decision = compliance.decide(
        person,
        channel=channel,
        purpose=purpose,
        body=body,
        at=at,
        urgent=urgent,
        replying=replying,
        address=address,
    )
    status, reason = MessageStatus.QUEUED, ""
    if not address:
        status = MessageStatus.BLOCKED
        reason = f"No {'phone number' if channel == MessageChannel.SMS else 'email address'}."
    elif sender is None:
        status = MessageStatus.BLOCKED
        reason = f"No sender is set up for {purpose} {MessageChannel(channel).label.lower()}s."
    elif not decision.allowed:
        status, reason = MessageStatus.BLOCKED, decision.reason
    elif decision.send_at and decision.send_at > at:
        reason = "Held for the recipient's quiet hours."
    message = Message(
        organization_id=person.organization_id,
        person=person,
        conversation=conversation,
        direction=Direction.OUTBOUND,
        channel=channel,
        purpose=purpose,
        sender=sender,
        to_address=address,
        from_address=sender.address if sender else "",
        subject=subject,
        body=body,
        body_html=body_html,
        template_key=template_key,
        language=language,
        exempt=decision.exempt,
        urgent=urgent,
        status=status,
        status_reason=reason,
        error_code=decision.code if status == MessageStatus.BLOCKED else "",
        idempotency_key=idempotency_key,
        due_at=decision.send_at or at,
        created_at=now,
        created_by=acting_user,
        campaign=campaign,
        attachments=pack(attachments),
    )
    if channel == MessageChannel.EMAIL and sender is not None:
        domain = sender.address.rsplit("@", 1)[-1]
        message.message_id_header = f"<{message.public_id}@{domain}>"
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        # Another request queued the same key a moment ago: theirs is the message.
        return Message.objects.get(
            organization_id=person.organization_id, idempotency_key=idempotency_key
        )
    record_audit(
        actor=acting_user,
        action="message.queued" if status == MessageStatus.QUEUED else "message.blocked",
        target=message,
        organization=person.organization,
        patient=person if person.kind == PersonKind.PATIENT else None,
    )
    return message


def cancel_queued_messages(messages: QuerySet[Message], *, reason: str) -> int:
    """Cancel these messages where they are still queued (the worker may be sending one this
    moment: that one goes). Audit: message.cancelled, each."""
    cancelled = 0
    for message in messages.filter(status=MessageStatus.QUEUED).select_related(
        "person", "organization"
    ):
        if Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
            status=MessageStatus.CANCELLED, status_reason=reason
        ):
            cancelled += 1
            person = message.person
            record_audit(
                actor=None,
                action="message.cancelled",
                target=message,
                organization=message.organization,
                patient=person
                if person is not None and person.kind == PersonKind.PATIENT
                else None,
            )
    return cancelled


# --- the inbox -------------------------------------------------------------------------------


def check_reply(
    conversation: Conversation, *, body: str, acting_user: User, key: str = ""
) -> Message:
    """A staff reply in a conversation, by the conversation's channel, from its sender.
    ``key``: the reply form's one-time key, so that a double click queues one reply."""
    from carebond.messaging.wording import reply_health_words

    body = body.strip()
    if not body:
        raise InvalidInput("Write a reply first.", field="body")
    if conversation.person is None:
        raise RuleViolation(
            "This conversation is not linked to a person yet: link it first.",
            code="conversation_unlinked",
        )
    found = reply_health_words(body)
    if found:
        raise InvalidInput(
            f"The reply may reveal health information ({', '.join(found)}). Texts and emails "
            "are not private: tick “Send as a secure message” (they read it after confirming "
            "their birth date), or call instead.",
            field="body",
        )
    if conversation.channel == MessageChannel.SMS and len(body) > 1600:
        raise InvalidInput("A text reply can be at most 1,600 characters.", field="body")
    return do_reply(conversation, body=body, acting_user=acting_user, key=key)


@transaction.atomic
def do_reply(
    conversation: Conversation,
    *,
    body: str,
    acting_user: User,
    key: str = "",
    subject: str = "Re: your message",
    body_html: str = "",
) -> Message:
    """Audit: message.queued. Answering marks the conversation read and no longer waiting."""
    person = conversation.person
    assert person is not None
    message = do_queue_message(
        person,
        purpose=MessagePurpose.CARE,
        channel=conversation.channel,
        sender=conversation.sender,
        subject=subject,
        body=body,
        body_html=body_html,
        idempotency_key=f"reply:{conversation.public_id}:{key or clock.now().isoformat()}",
        acting_user=acting_user,
        conversation=conversation,
        replying=True,
        urgent=True,
        to_address=conversation.address,
    )
    if message.status == MessageStatus.BLOCKED:
        raise RuleViolation(f"Not sent: {message.status_reason}", code=message.error_code)
    Conversation.objects.filter(pk=conversation.pk).update(
        unread=0, waiting_since=None, last_message_at=message.created_at
    )
    answer_questions(conversation, at=message.created_at, by=AnsweredBy.REPLY)
    return message


def answer_questions(conversation: Conversation, *, at: datetime, by: str) -> int:
    """The topic questions waiting in the conversation (topic_actions) are answered: by a
    staff reply, or by closing it. Returns how many. The caller audits what it did."""
    return TopicQuestion.objects.filter(
        conversation_id=conversation.pk, answered_at__isnull=True
    ).update(answered_at=at, answered_by=by)


@transaction.atomic
def check_link_conversation(
    conversation: Conversation, *, person: Person, acting_user: User
) -> Conversation:
    """Say whose a triage conversation is: its texts join the person's timeline, and a STOP
    the number sent before anyone knew is recorded on their consent ledger.
    Audit: conversation.linked."""
    if conversation.person_id is not None:
        raise RuleViolation(
            "This conversation is already linked to a person.", code="conversation_linked"
        )
    if (
        person.organization_id != conversation.organization_id
        or person.status == PersonStatus.MERGED
    ):
        raise InvalidInput("Choose a current record of your organisation.", field="person")
    # Two colleagues linking at once: the first wins, the second is told.
    if not claim(
        Conversation,
        conversation.pk,
        where={"person__isnull": True},
        change={"person": person, "updated_at": clock.now()},
    ):
        raise RuleViolation(
            "This conversation is already linked to a person.", code="conversation_linked"
        )
    conversation.person = person
    unlinked = Message.objects.filter(conversation=conversation, person=None)
    for message in unlinked.filter(
        status__in=[MessageStatus.RECEIVED, MessageStatus.SENT, MessageStatus.DELIVERED]
    ):
        inbound = message.direction == Direction.INBOUND
        record_touchpoint(
            person,
            kind="message",
            channel=message.channel,
            direction=message.direction,
            occurred_at=message.sent_at or message.created_at,
            moment_of_truth=MomentOfTruth.COMMUNICATIONS,
            summary="Text received" if inbound else "Text sent",
            source=message,
        )
    unlinked.update(person=person)
    _record_number_opt_outs(conversation, person, acting_user=acting_user)
    record_audit(
        actor=acting_user,
        action="conversation.linked",
        target=conversation,
        patient=person if person.kind == PersonKind.PATIENT else None,
        changed_fields=["person"],
    )
    return conversation


def _record_number_opt_outs(
    conversation: Conversation, person: Person, *, acting_user: User
) -> None:
    for stopped in OptedOutNumber.objects.filter(
        organization_id=conversation.organization_id, address=conversation.address
    ):
        current = consent_in_force(person.pk, channel=conversation.channel, purpose=stopped.purpose)
        if current is not None and current.status == ConsentStatus.REVOKED:
            continue
        check_record_consent(
            person,
            channel=conversation.channel,
            purpose=stopped.purpose,
            status=ConsentStatus.REVOKED,
            method=ConsentMethod.SMS_KEYWORD,
            evidence=(
                f"Text STOP from {conversation.address} at {stopped.created_at.isoformat()}, "
                "before the number was known to be this person's (linked by staff)."
            ),
            acting_user=acting_user,
        )


def capacity_of(user: User) -> int:
    found = InboxCapacity.objects.filter(user=user).first()
    return found.open_conversations if found else settings.MESSAGING_DEFAULT_CAPACITY


def open_load(user: User) -> int:
    """The conversations assigned to the user that are not closed."""
    return (
        Conversation.objects.filter(assigned_to=user)
        .exclude(status=ConversationStatus.CLOSED)
        .count()
    )


def _check_capacity(assignee: User) -> None:
    load, capacity = open_load(assignee), capacity_of(assignee)
    if load >= capacity:
        name = assignee.get_full_name() or assignee.username
        raise RuleViolation(
            f"{name} already has {load} open conversation{'s' if load != 1 else ''} (their "
            f"capacity is {capacity}): choose someone else, or close some first.",
            code="at_capacity",
        )


@transaction.atomic
def do_assign_conversation(
    conversation: Conversation, *, assignee: User | None, acting_user: User
) -> Conversation:
    """Hand a conversation to a colleague who has room for it. Audit: conversation.assigned."""
    if assignee is not None and assignee.organization_id != conversation.organization_id:
        raise InvalidInput("Choose someone of your organisation.", field="assignee")
    if assignee is not None and assignee.pk != conversation.assigned_to_id:
        _check_capacity(assignee)
    conversation.assigned_to = assignee
    conversation.save(update_fields=["assigned_to", "updated_at"])
    record_audit(
        actor=acting_user,
        action="conversation.assigned",
        target=conversation,
        changed_fields=["assigned_to"],
    )
    return conversation


@transaction.atomic
def check_set_capacities(
    organization: Organization, *, capacities: dict[int, int], acting_user: User
) -> None:
    """Open conversations each colleague can hold (user id -> 0..200). Audit:
    inbox_capacity.changed."""
    colleagues = {u.pk: u for u in list_colleagues(acting_user)}
    errors = [
        InvalidInput("Between 0 and 200.", field=f"user_{pk}")
        for pk, n in capacities.items()
        if not 0 <= n <= 200
    ]
    errors += [
        InvalidInput("Not a colleague here.", field=f"user_{pk}")
        for pk in capacities
        if pk not in colleagues
    ]
    if errors:
        raise InvalidFields(errors)
    for pk, n in capacities.items():
        InboxCapacity.objects.update_or_create(
            user=colleagues[pk],
            defaults={"organization": organization, "open_conversations": n},
        )
    record_audit(
        actor=acting_user,
        action="inbox_capacity.changed",
        target=organization,
        organization=organization,
        changed_fields=["open_conversations"],
    )


@transaction.atomic
def check_take_next(user: User) -> Conversation | None:
    """Give the user the conversation waiting longest that nobody has, if they have room for
    it (a conditional UPDATE: two people pressing at once never get the same one); None when
    nothing waits. Audit: conversation.assigned."""
    _check_capacity(user)
    now = clock.now()
    waiting = Conversation.objects.filter(
        organization_id=user.organization_id,
        assigned_to__isnull=True,
        waiting_since__isnull=False,
    ).filter(
        Q(status=ConversationStatus.OPEN)
        | Q(status=ConversationStatus.SNOOZED, snoozed_until__lte=now)
    )
    for conversation in waiting.order_by("waiting_since", "id")[:20]:
        if claim(
            Conversation,
            conversation.pk,
            where={"assigned_to__isnull": True},
            change={"assigned_to": user, "updated_at": now},
        ):
            conversation.assigned_to = user
            record_audit(
                actor=user,
                action="conversation.assigned",
                target=conversation,
                changed_fields=["assigned_to"],
            )
            return conversation
    return None


@transaction.atomic
def do_set_conversation_status(
    conversation: Conversation, *, status: str, until: datetime | None = None, acting_user: User
) -> Conversation:
    """Close, snooze until a time, or reopen. Audit: conversation.<status>."""
    if status not in ConversationStatus.values:
        raise InvalidInput("Unknown status.", field="status")
    if status == ConversationStatus.SNOOZED:
        if until is None or until <= clock.now():
            raise InvalidInput("Snooze until a time in the future.", field="until")
        if until > clock.now() + timedelta(days=90):
            raise InvalidInput("Snooze for at most 90 days.", field="until")
    conversation.status = status
    conversation.snoozed_until = until if status == ConversationStatus.SNOOZED else None
    if status == ConversationStatus.CLOSED:
        conversation.unread, conversation.waiting_since = 0, None
        answer_questions(conversation, at=clock.now(), by=AnsweredBy.CLOSED)
    conversation.save()
    record_audit(
        actor=acting_user,
        action=f"conversation.{status}",
        target=conversation,
        changed_fields=["status"],
    )
    return conversation


@transaction.atomic
def do_add_inbox_note(conversation: Conversation, *, text: str, acting_user: User) -> InboxNote:
    """Audit: conversation.note_added (the words are encrypted, never in the audit)."""
    text = text.strip()
    if not text:
        raise InvalidInput("Write the note first.", field="text")
    note = InboxNote.objects.create(
        organization_id=conversation.organization_id,
        conversation=conversation,
        author=acting_user,
        text=text,
        created_at=clock.now(),
    )
    record_audit(
        actor=acting_user,
        action="conversation.note_added",
        target=conversation,
        changed_fields=["notes"],
    )
    return note


def mark_viewing(conversation: Conversation, *, user: User) -> None:
    """Show others that this user has the conversation open (a marker, not a lock), and mark its
    messages read."""
    Conversation.objects.filter(pk=conversation.pk).update(
        viewing_by=user, viewing_since=clock.now(), unread=0
    )
