"""Staff deciding a reply that reads like a revocation ("no more texts", "wrong number")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.messaging.models import (
    CONSENT_PURPOSE,
    MessagePurpose,
    RevocationRequest,
    RevocationStatus,
)
from carebond.people.actions import check_record_consent
from carebond.people.models import ConsentMethod, ConsentStatus

if TYPE_CHECKING:
    from carebond.accounts.models import User


@transaction.atomic
def check_decide_revocation(
    request: RevocationRequest, *, decision: str, acting_user: User
) -> RevocationRequest:
    """``confirm`` writes a revocation of every purpose of the number it was sent to;
    ``dismiss`` keeps consent as it is. Audit: revocation_request.confirmed / .dismissed."""
    if decision not in ("confirm", "dismiss"):
        raise InvalidInput("Choose confirm or dismiss.", field="decision")
    request = (
        RevocationRequest.objects.select_for_update(of=("self",))
        .select_related("person", "message", "message__sender")
        .get(pk=request.pk)
    )
    if request.status != RevocationStatus.PENDING:
        raise RuleViolation("Someone already decided this one.", code="already_decided")
    if decision == "confirm":
        if request.person is None:
            raise InvalidInput(
                "Link the conversation to a person first: the number is nobody's, or several "
                "people's.",
                field="decision",
            )
        sender = request.message.sender
        purposes = sorted(
            {
                CONSENT_PURPOSE[p]
                for p in (sender.purposes if sender else [])
                if p != MessagePurpose.REPLY
            }
        )
        for purpose in purposes:
            check_record_consent(
                request.person,
                channel="sms",
                purpose=purpose,
                status=ConsentStatus.REVOKED,
                method=ConsentMethod.TEXT_REPLY,
                evidence=f"Reply received {request.message.created_at.isoformat()}, read as an "
                f"opt-out by staff.",
                acting_user=acting_user,
            )
    request.status = (
        RevocationStatus.CONFIRMED if decision == "confirm" else RevocationStatus.DISMISSED
    )
    request.decided_by, request.decided_at = acting_user, clock.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    record_audit(
        actor=acting_user,
        action=f"revocation_request.{request.status}",
        target=request,
        organization=acting_user.organization,
    )
    return request
