"""Roles and access policies. Every URL and API operation declares one; a test walks them all."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from carebond.core.errors import PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    MANAGER = "manager", "Practice / patient-experience manager"
    CLINICIAN = "clinician", "Clinician"
    FRONT_DESK = "front_desk", "Front desk"
    LIAISON = "liaison", "Referral liaison"
    ANALYST = "analyst", "Analyst (aggregates only)"
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"


ALL_ROLES: frozenset[str] = frozenset(Role.values)
# Roles that may see identifiable PHI; the analyst sees aggregates only, and the privacy
# officer reviews who read what (the audit pages, break-glass reviews), never clinical detail.
PHI_ROLES: frozenset[str] = ALL_ROLES - {Role.ANALYST, Role.PRIVACY_OFFICER}


@dataclass(frozen=True)
class AccessPolicy:
    """Who may use a URL or API operation. ``public`` means no login (login page, health check)."""

    name: str
    roles: frozenset[str] = ALL_ROLES
    public: bool = False

    def allows(self, role: str | None) -> bool:
        return self.public or (role is not None and role in self.roles)


PUBLIC = AccessPolicy("public", roles=frozenset(), public=True)
ANY_STAFF = AccessPolicy("any_staff")
PHI_READERS = AccessPolicy("phi_readers", roles=PHI_ROLES)
MANAGERS = AccessPolicy("managers", roles=frozenset({Role.ADMIN, Role.MANAGER}))
ADMINS = AccessPolicy("admins", roles=frozenset({Role.ADMIN}))
# Signed-in but before the second factor: the MFA pages themselves.
PENDING_MFA = AccessPolicy("pending_mfa")


def role_of(user: AbstractBaseUser | AnonymousUser) -> str | None:
    return getattr(user, "role", None) if user.is_authenticated else None


def require_role(user: AbstractBaseUser | AnonymousUser, policy: AccessPolicy) -> None:
    if not policy.allows(role_of(user)):
        raise PermissionDenied("Your role does not allow this.", code="forbidden_role")


ViewFunc = Callable[..., HttpResponseBase]


def page_policy(policy: AccessPolicy) -> Callable[[ViewFunc], ViewFunc]:
    """Declare and enforce a page's policy: login (and MFA, by middleware) plus the role."""

    def decorate(view: ViewFunc) -> ViewFunc:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not policy.public:
                if not request.user.is_authenticated:
                    # Imported here: auth views need the user model, which needs Role from here.
                    from django.contrib.auth.views import redirect_to_login

                    return redirect_to_login(request.get_full_path())
                # Set by the session middleware; only the MFA pages themselves open without it.
                if policy is not PENDING_MFA and not getattr(request, "mfa_satisfied", False):
                    from django.shortcuts import redirect

                    return redirect("accounts:mfa")
                require_role(request.user, policy)
            return view(request, *args, **kwargs)

        wrapped.access_policy = policy  # type: ignore[attr-defined]
        return wrapped

    return decorate
