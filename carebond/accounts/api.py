from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status

from carebond.accounts.access import access_own_api_token
from carebond.accounts.actions import do_create_api_token, do_revoke_api_token, has_confirmed_totp
from carebond.accounts.auth import acting_user, policy_auth
from carebond.accounts.models import ApiToken, User
from carebond.accounts.schemas import (
    ApiTokenIn,
    ApiTokenOut,
    DepartmentOut,
    LocationOut,
    MeOut,
    NewApiTokenOut,
    OrganizationOut,
)
from carebond.accounts.selectors import list_api_tokens
from carebond.core.access import access_location
from carebond.core.models import Location
from carebond.core.permissions import ANY_STAFF
from carebond.core.selectors import list_departments, list_locations

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, auth=policy_auth(ANY_STAFF), summary="The signed-in user")
def me(request: HttpRequest) -> MeOut:
    user = acting_user(request)
    assert isinstance(user, User)
    organization = user.organization
    return MeOut(
        id=user.public_id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        role=user.role,
        mfa_enrolled=has_confirmed_totp(user),
        organization=OrganizationOut(
            id=organization.public_id, name=organization.name, time_zone=organization.time_zone
        ),
    )


def _token_out(token: ApiToken) -> ApiTokenOut:
    return ApiTokenOut(
        id=token.public_id,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


@router.get(
    "/me/tokens",
    response=list[ApiTokenOut],
    auth=policy_auth(ANY_STAFF),
    summary="My API tokens (never the secrets)",
)
def my_tokens(request: HttpRequest) -> list[ApiTokenOut]:
    return [_token_out(token) for token in list_api_tokens(user=acting_user(request))]


@router.post(
    "/me/tokens",
    response={201: NewApiTokenOut},
    auth=policy_auth(ANY_STAFF),
    summary="Create an API token; the secret is in this response only",
)
def create_token(request: HttpRequest, payload: ApiTokenIn) -> Status[NewApiTokenOut]:
    user = acting_user(request)
    token, secret = do_create_api_token(user, name=payload.name, acting_user=user)
    return Status(201, NewApiTokenOut(**_token_out(token).model_dump(), token=secret))


@router.delete(
    "/me/tokens/{token_id}",
    response=ApiTokenOut,
    auth=policy_auth(ANY_STAFF),
    summary="Revoke one of my API tokens",
)
def revoke_token(request: HttpRequest, token_id: UUID) -> ApiTokenOut:
    user = acting_user(request)
    token = do_revoke_api_token(access_own_api_token(user, token_id), acting_user=user)
    return _token_out(token)


# --- the organisation the user works in -------------------------------------------------------
organization_router = Router(tags=["organization"])


def _location_out(location: Location) -> LocationOut:
    return LocationOut(
        id=location.public_id,
        name=location.name,
        address=location.address,
        phone=location.phone,
        time_zone=location.time_zone or location.organization.time_zone,
    )


@organization_router.get("/locations", response=list[LocationOut], auth=policy_auth(ANY_STAFF))
def locations(request: HttpRequest) -> list[LocationOut]:
    return [
        _location_out(loc)
        for loc in list_locations(user=acting_user(request)).select_related("organization")
    ]


@organization_router.get(
    "/locations/{location_id}", response=LocationOut, auth=policy_auth(ANY_STAFF)
)
def location(request: HttpRequest, location_id: UUID) -> LocationOut:
    return _location_out(access_location(acting_user(request), location_id))


@organization_router.get("/departments", response=list[DepartmentOut], auth=policy_auth(ANY_STAFF))
def departments(request: HttpRequest) -> list[DepartmentOut]:
    return [
        DepartmentOut(
            id=d.public_id, name=d.name, location_id=d.location.public_id if d.location else None
        )
        for d in list_departments(user=acting_user(request))
    ]
