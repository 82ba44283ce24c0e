"""Secure replies: words too sensitive for a text or an email (a result, a diagnosis) are kept
here, and the person gets the care-message template with a link; they read the words after
confirming their birth date. The link expires after two weeks and locks after five wrong
dates."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.messaging.actions import do_reply, find_template, merge_values
from carebond.messaging.models import Conversation, Message, SecureNote
from carebond.messaging.wording import render
from carebond.people.models import PersonKind

if TYPE_CHECKING:
    from carebond.accounts.models import User

SECURE_NOTE_DAYS = 14
MAX_FAILED_ATTEMPTS = 5
MAX_SECURE_BODY = 5000


@transaction.atomic
def check_send_secure_reply(
    conversation: Conversation, *, body: str, acting_user: User, key: str = ""
) -> Message:
    """Keep the words, send the link. Audit: secure_note.created and message.queued."""
    body = body.strip()
    if not body:
        raise InvalidInput("Write a reply first.", field="body")
    if len(body) > MAX_SECURE_BODY:
        raise InvalidInput(f"Keep it under {MAX_SECURE_BODY:,} characters.", field="body")
    person = conversation.person
    if person is None:
        raise RuleViolation(
            "This conversation is not linked to a person yet: link it first.",
            code="conversation_unlinked",
        )
    if person.birth_date is None:
        raise RuleViolation(
            "Their record has no birth date to confirm: call them instead.",
            code="no_birth_date",
        )
    now = clock.now()
    note = SecureNote.objects.create(
        organization_id=conversation.organization_id,
        person=person,
        conversation=conversation,
        body=body,
        created_by=acting_user,
        created_at=now,
        expires_at=now + timedelta(days=SECURE_NOTE_DAYS),
    )
    record_audit(
        actor=acting_user,
        action="secure_note.created",
        target=note,
        patient=person if person.kind == PersonKind.PATIENT else None,
    )
    link = settings.BASE_URL.rstrip("/") + reverse(
        "messaging:secure_note", kwargs={"note_id": note.public_id}
    )
    template = find_template(
        person.organization,
        key="care_message",
        channel=conversation.channel,
        language=person.preferred_language,
    )
    rendered = render(
        subject=template.subject,
        body_text=template.body_text,
        body_html=template.body_html,
        values=merge_values(person, language=template.language, extra={"link": link}),
    )
    return do_reply(
        conversation,
        body=rendered.body_text,
        body_html=rendered.body_html,
        subject=rendered.subject or "Re: your message",
        acting_user=acting_user,
        key=key or f"secure-{note.public_id}",
    )


def check_open_secure_note(note: SecureNote, *, birth_date: date | None) -> SecureNote:
    """The note, when the birth date matches. A wrong date is counted (and kept even though
    the call fails); the fifth locks the link. Audit: secure_note.opened."""
    now = clock.now()
    if note.failed_attempts >= MAX_FAILED_ATTEMPTS:
        raise RuleViolation("This link is locked after too many tries.", code="locked")
    if now >= note.expires_at:
        raise RuleViolation("This link has expired.", code="expired")
    if birth_date is None or birth_date != note.person.birth_date:
        SecureNote.objects.filter(pk=note.pk).update(failed_attempts=note.failed_attempts + 1)
        note.failed_attempts += 1
        if note.failed_attempts >= MAX_FAILED_ATTEMPTS:
            raise RuleViolation("This link is locked after too many tries.", code="locked")
        raise InvalidInput("That date does not match our records.", field="birth_date")
    if note.opened_at is None:
        SecureNote.objects.filter(pk=note.pk).update(opened_at=now)
        note.opened_at = now
    record_audit(
        actor=None,
        action="secure_note.opened",
        target=note,
        organization=note.organization,
        patient=note.person if note.person.kind == PersonKind.PATIENT else None,
    )
    return note
