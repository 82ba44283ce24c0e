"""Staff logins: one organisation, one role, MFA, API tokens. Profiles of staff live in people."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from carebond.core.models import Organization, PublicIdModel
from carebond.core.permissions import PHI_ROLES, Role


class User(PublicIdModel, AbstractUser):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices)
    # Demo accounts may skip MFA, but only while CAREBOND_DEMO=1 (never in production settings).
    is_demo_account = models.BooleanField(default=False)
    disabled_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager["User"]()  # type: ignore[misc]  # narrowing the base's manager
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def may_see_phi(self) -> bool:
        return self.role in PHI_ROLES


def hash_token(secret: str) -> str:
    """API tokens carry 256 bits of randomness, so one SHA-256 is enough (no slow hash needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(PublicIdModel):
    """A personal API token. Only its hash is stored; the secret is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
