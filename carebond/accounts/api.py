from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from carebond.accounts.actions import has_confirmed_totp
from carebond.accounts.auth import policy_auth
from carebond.accounts.models import User
from carebond.accounts.schemas import MeOut, OrganizationOut
from carebond.core.permissions import ANY_STAFF

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, auth=policy_auth(ANY_STAFF), summary="The signed-in user")
def me(request: HttpRequest) -> MeOut:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    organization = user.organization
    return MeOut(
        id=user.public_id, username=user.username, display_name=user.display_name,
        email=user.email, role=user.role, mfa_enrolled=has_confirmed_totp(user),
        organization=OrganizationOut(
            id=organization.public_id, name=organization.name, time_zone=organization.time_zone
        ),
    )
