"""Fetch accounts within the acting user's organisation; missing and foreign look the same."""

from __future__ import annotations

from uuid import UUID

from carebond.accounts.models import ApiToken, User
from carebond.core.access import one_or_not_found


def access_user(acting_user: User, public_id: UUID | str) -> User:
    return one_or_not_found(
        User.objects.filter(organization_id=acting_user.organization_id, public_id=public_id),
        "No such user.",
    )


def access_own_api_token(acting_user: User, public_id: UUID | str) -> ApiToken:
    return one_or_not_found(
        ApiToken.objects.filter(user=acting_user, public_id=public_id), "No such API token."
    )
