"""Breaking the glass, and the privacy officer's review of it.

A grant opens one patient's withheld parts for the user who asked, for a limited time; it ends
by itself (the opener compares its end with the clock). The grant, every read under it and the
review are audited under their own actions, and the privacy officers are emailed at once."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidFields, InvalidInput, PermissionDenied, RuleViolation
from carebond.people.access import access_person, withheld_parts
from carebond.people.models import Person
from carebond.privacy.access import BREAK_GLASS_USERS, PRIVACY_OFFICERS, access_grant
from carebond.privacy.models import BreakGlassGrant, BreakGlassReason, Review
from carebond.privacy.tasks import send_break_glass_alert, send_not_appropriate_notice

if TYPE_CHECKING:
    from carebond.accounts.models import User

GRANTED = "privacy.break_glass"
READ_UNDER_GRANT = "privacy.break_glass_read"  # "_read": the accounting of access lists it
REVIEWED = "privacy.break_glass_reviewed"

EXPLANATION_MAX = 1000
NOTE_MAX = 2000
# An explanation says what is happening in words: three of them at least, not one repeated.
_WORD = re.compile(r"[^\W\d_]{2,}")


def grant_minutes() -> int:
    """The configured time limit, kept between one minute and the maximum."""
    return max(1, min(settings.BREAK_GLASS_MINUTES, settings.BREAK_GLASS_MAX_MINUTES))


def _explanation_error(text: str) -> InvalidInput | None:
    example = "e.g. “Patient collapsed at the desk; the paramedics ask for her allergies.”"
    if not text:
        return InvalidInput(
            f"Say why you need this record now, in a sentence: {example}", field="explanation"
        )
    if len(text) > EXPLANATION_MAX:
        return InvalidInput(
            f"Keep the explanation under {EXPLANATION_MAX + 1} characters (it has {len(text)}).",
            field="explanation",
        )
    words = [word.casefold() for word in _WORD.findall(text)]
    if len(words) < 3 or len(set(words)) < 2:
        return InvalidInput(
            "The explanation must say what is happening in words (at least three), "
            f"not a placeholder: {example}",
            field="explanation",
        )
    return None


@transaction.atomic
def check_break_glass(
    *, user: User, person_id: UUID | str, reason: str, explanation: str
) -> BreakGlassGrant:
    """Audit: privacy.break_glass. Only for a role that has parts withheld, once at a time."""
    if not BREAK_GLASS_USERS.allows(user.role):
        raise PermissionDenied(
            "Your role already reads every part of the record, or none of it.",
            code="forbidden_role",
        )
    person = access_person(user, person_id)
    errors = []
    if reason not in BreakGlassReason.values:
        errors.append(
            InvalidInput(
                "Choose why you need access: emergency care, a patient's request at the desk, "
                "continuity of care, or other.",
                field="reason",
            )
        )
    explanation = explanation.strip()
    if (problem := _explanation_error(explanation)) is not None:
        errors.append(problem)
    if errors:
        raise InvalidFields(errors) if len(errors) > 1 else errors[0]
    now = clock.now()
    Person.objects.select_for_update().filter(pk=person.pk).first()  # one grant at a time
    open_grant = BreakGlassGrant.objects.filter(
        user=user, person=person, expires_at__gt=now
    ).first()
    if open_grant is not None:
        raise RuleViolation(
            "You already have break-glass access to this record until "
            f"{open_grant.expires_at.astimezone(ZoneInfo(person.organization.time_zone)):%H:%M}.",
            code="already_open",
        )
    return do_break_glass(user=user, person=person, reason=reason, explanation=explanation, now=now)


@transaction.atomic
def do_break_glass(
    *, user: User, person: Person, reason: str, explanation: str, now: datetime | None = None
) -> BreakGlassGrant:
    granted_at = now or clock.now()
    grant = BreakGlassGrant.objects.create(
        organization_id=person.organization_id,
        user=user,
        person=person,
        reason=reason,
        explanation=explanation,
        granted_at=granted_at,
        expires_at=granted_at + timedelta(minutes=grant_minutes()),
    )
    record_audit(
        actor=user,
        action=GRANTED,
        target=grant,
        organization=person.organization,
        patient=person,
        changed_fields=sorted(withheld_parts(user)),
    )
    transaction.on_commit(lambda: send_break_glass_alert.enqueue(grant_id=grant.pk))
    return grant


@transaction.atomic
def check_review_grant(
    *, user: User, grant_id: UUID | str, verdict: str, note: str
) -> BreakGlassGrant:
    """Audit: privacy.break_glass_reviewed. Privacy officers only; each grant once."""
    if not PRIVACY_OFFICERS.allows(user.role):
        raise PermissionDenied("Only privacy officers review break-glass access.")
    grant = access_grant(user, grant_id, for_update=True)
    if grant.review != Review.WAITING:
        raise RuleViolation(
            f"This grant was already reviewed ({grant.get_review_display().lower()}).",
            code="already_reviewed",
        )
    errors = []
    if verdict not in (Review.APPROPRIATE, Review.NOT_APPROPRIATE):
        errors.append(InvalidInput("Choose appropriate or not appropriate.", field="verdict"))
    note = note.strip()
    if verdict == Review.NOT_APPROPRIATE and not note:
        errors.append(
            InvalidInput(
                "Say why the access was not appropriate: the note stays with the flag.",
                field="note",
            )
        )
    if len(note) > NOTE_MAX:
        errors.append(InvalidInput(f"Keep the note under {NOTE_MAX + 1} characters.", field="note"))
    if errors:
        raise InvalidFields(errors) if len(errors) > 1 else errors[0]
    return do_review_grant(grant, user=user, verdict=verdict, note=note)


@transaction.atomic
def do_review_grant(
    grant: BreakGlassGrant, *, user: User, verdict: str, note: str
) -> BreakGlassGrant:
    grant.review = verdict
    grant.review_note = note
    grant.reviewed_by = user
    grant.reviewed_at = clock.now()
    grant.save(update_fields=["review", "review_note", "reviewed_by", "reviewed_at"])
    record_audit(
        actor=user,
        action=REVIEWED,
        target=grant,
        organization=grant.organization,
        changed_fields=["review", "review_note"],
    )
    if verdict == Review.NOT_APPROPRIATE:
        transaction.on_commit(lambda: send_not_appropriate_notice.enqueue(grant_id=grant.pk))
    return grant
