"""Reads of accounts, always within one organisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum
from django_otp.plugins.otp_totp.models import TOTPDevice

from carebond.accounts.models import ApiToken, User
from carebond.core import clock


def list_users(*, user: User) -> QuerySet[User]:
    return User.objects.filter(organization_id=user.organization_id).order_by("username")


def list_colleagues(user: User) -> list[User]:
    """Active accounts of the user's organisation that serve people (work can be handed to
    them): everyone but the analyst."""
    return list(
        User.objects.filter(organization_id=user.organization_id, is_active=True)
        .exclude(role="analyst")
        .order_by("first_name", "last_name", "username")
    )


def list_api_tokens(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


@dataclass(frozen=True)
class SecuritySummary:
    """The administrator's home panel: who can sign in, who still has to enrol MFA, who is
    locked out right now."""

    active_users: int
    disabled_users: int
    without_mfa: list[str]
    locked_out: list[str]


def locked_out_usernames(usernames: Any) -> set[str]:
    """The usernames locked out right now. The lockout counts a username's failures from every
    address and browser together (django-axes keeps one row per address and browser), so the
    rows are added up per username, as the lockout itself does."""
    cooloff_start = clock.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    rows = (
        AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=cooloff_start)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by()
    )
    return {row["username"] for row in rows}


def get_security_summary(*, user: User) -> SecuritySummary:
    users = list_users(user=user)
    active = users.filter(is_active=True)
    enrolled = TOTPDevice.objects.filter(user__in=active, confirmed=True).values("user_id")
    locked = sorted(locked_out_usernames(active.values("username")))
    return SecuritySummary(
        active_users=active.count(),
        disabled_users=users.filter(is_active=False).count(),
        without_mfa=list(active.exclude(pk__in=enrolled).values_list("username", flat=True)),
        locked_out=list(locked),
    )


def user_names(organization_id: int, public_ids: list[str]) -> dict[str, str]:
    """Public id -> "Full Name (username)", for the audit trail."""
    users = User.objects.filter(organization_id=organization_id, public_id__in=public_ids)
    return {
        str(u.public_id): f"{u.get_full_name()} ({u.username})" if u.get_full_name() else u.username
        for u in users
    }
