"""API authentication: a Bearer token or the browser session, each bound to an access policy."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from carebond.accounts.actions import authenticate_api_token
from carebond.accounts.mfa import mfa_satisfied
from carebond.accounts.models import User
from carebond.core.permissions import AccessPolicy, require_role


class TokenAuth(HttpBearer):
    def __init__(self, policy: AccessPolicy) -> None:
        super().__init__()
        self.policy = policy

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_api_token(token)
        if user is None:
            raise AuthenticationError(
                401, "The API token is invalid, revoked, or belongs to a disabled account."
            )
        request.user = user
        require_role(user, self.policy)
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session (CSRF-checked for writes). MFA must be complete."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, policy: AccessPolicy) -> None:
        super().__init__(csrf=True)
        self.policy = policy

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not mfa_satisfied(request):
            return None
        require_role(request.user, self.policy)
        return request.user


class PublicAccess:
    """Declares an operation open to anyone (e.g. the version probe). Used sparingly."""

    def __init__(self, policy: AccessPolicy) -> None:
        self.policy = policy

    def __call__(self, request: HttpRequest) -> Any:
        return True


def policy_auth(policy: AccessPolicy) -> list[Any]:
    """The ``auth=`` of every API operation: it authenticates and enforces the role."""
    if policy.public:
        return [PublicAccess(policy)]
    return [TokenAuth(policy), SessionAuth(policy)]


def acting_user(request: HttpRequest) -> User:
    """The user an API operation acts for, as authenticated by its policy."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError(401, "Authentication required.")
    return user
