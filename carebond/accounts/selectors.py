"""Reads of accounts, always within one organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from carebond.accounts.models import ApiToken, User


def list_users(*, user: User) -> QuerySet[User]:
    return User.objects.filter(organization_id=user.organization_id).order_by("username")


def list_api_tokens(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")
