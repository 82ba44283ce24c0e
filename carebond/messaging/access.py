"""Who may use messaging, and fetching its rows within the user's organisation (missing and
another organisation's look the same)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from carebond.core.access import one_or_not_found
from carebond.core.errors import NotFound
from carebond.core.permissions import AccessPolicy, Role
from carebond.messaging.models import (
    Campaign,
    Conversation,
    MessageTemplate,
    RevocationRequest,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User

# The shared inbox: those who answer patients (the words are PHI; never the analyst).
INBOX_USERS = AccessPolicy(
    "inbox_users",
    roles=frozenset({Role.ADMIN, Role.MANAGER, Role.CLINICIAN, Role.FRONT_DESK, Role.LIAISON}),
)
# Templates, senders and campaigns: those who run the practice's outreach.
OUTREACH_MANAGERS = AccessPolicy("outreach_managers", roles=frozenset({Role.ADMIN, Role.MANAGER}))


def access_conversation(
    user: User, public_id: UUID | str, *, for_update: bool = False
) -> Conversation:
    if not INBOX_USERS.allows(user.role):
        raise NotFound("No such conversation.")
    conversations = Conversation.objects.filter(
        organization_id=user.organization_id, public_id=public_id
    )
    if for_update:
        conversations = conversations.select_for_update(of=("self",))
    return one_or_not_found(
        conversations.select_related("person", "person__organization", "sender", "assigned_to"),
        "No such conversation.",
    )


def access_template(user: User, public_id: UUID | str) -> MessageTemplate:
    if not OUTREACH_MANAGERS.allows(user.role):
        raise NotFound("No such template.")
    return one_or_not_found(
        MessageTemplate.objects.filter(organization_id=user.organization_id, public_id=public_id),
        "No such template.",
    )


def access_revocation_request(user: User, public_id: UUID | str) -> RevocationRequest:
    if not INBOX_USERS.allows(user.role):
        raise NotFound("No such request.")
    return one_or_not_found(
        RevocationRequest.objects.filter(
            organization_id=user.organization_id, public_id=public_id
        ).select_related("person", "message", "message__sender"),
        "No such request.",
    )


def access_campaign(user: User, public_id: UUID | str) -> Campaign:
    if not OUTREACH_MANAGERS.allows(user.role):
        raise NotFound("No such campaign.")
    return one_or_not_found(
        Campaign.objects.filter(
            organization_id=user.organization_id, public_id=public_id
        ).select_related("organization", "created_by"),
        "No such campaign.",
    )
