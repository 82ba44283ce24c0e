"""Following an unsubscribe link: the email consent of its purpose is revoked at once, and
such emails not yet sent are cancelled."""

from __future__ import annotations

from django.db import transaction

from carebond.core import clock
from carebond.messaging.actions import cancel_queued_messages
from carebond.messaging.models import CONSENT_PURPOSE, Message, MessageChannel
from carebond.messaging.unsubscribe_links import Unsubscribe
from carebond.people.actions import check_record_consent
from carebond.people.models import ConsentMethod, ConsentStatus


@transaction.atomic
def do_unsubscribe(unsubscribe: Unsubscribe, *, one_click: bool) -> bool:
    """Revoke email for the purpose and cancel such emails not yet sent. False when it was
    revoked already (following the link twice changes nothing). Audit: consent (the people
    app's) and message.cancelled."""
    if unsubscribe.already:
        return False
    person, purpose = unsubscribe.person, unsubscribe.purpose
    how = "one-click (List-Unsubscribe-Post)" if one_click else "the unsubscribe page"
    check_record_consent(
        person,
        channel="email",
        purpose=purpose,
        status=ConsentStatus.REVOKED,
        method=ConsentMethod.EMAIL_LINK,
        evidence=f"Unsubscribe link followed by {how} at {clock.now().isoformat()}.",
        acting_user=None,
    )
    message_purposes = [p for p, c in CONSENT_PURPOSE.items() if c == purpose]
    cancel_queued_messages(
        Message.objects.filter(
            person=person, channel=MessageChannel.EMAIL, purpose__in=message_purposes
        ),
        reason="The person unsubscribed.",
    )
    return True
