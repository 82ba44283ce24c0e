"""Fetch accounts within the acting user's organisation; missing and foreign look the same."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest

from carebond.accounts.models import ApiToken, User
from carebond.core.errors import NotFound


def signed_in_user(request: HttpRequest) -> User:
    """The staff user behind a page request (page_policy has already let them in)."""
    user = request.user
    if not isinstance(user, User):
        raise NotFound("Not found.")
    return user


def access_user(acting_user: User, public_id: UUID | str) -> User:
    user = User.objects.filter(
        organization_id=acting_user.organization_id, public_id=public_id
    ).first()
    if user is None:
        raise NotFound("No such user.")
    return user


def access_own_api_token(acting_user: User, public_id: UUID | str) -> ApiToken:
    token = ApiToken.objects.filter(user=acting_user, public_id=public_id).first()
    if token is None:
        raise NotFound("No such API token.")
    return token
