"""Reads of break-glass grants: the opener people asks, the user's open grant, the privacy
officer's queue and one grant. Reads naming a patient are audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Count, Min, Q, QuerySet

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.privacy.access import access_grant
from carebond.privacy.models import BreakGlassGrant, Review

if TYPE_CHECKING:
    from datetime import datetime

    from carebond.accounts.models import User

QUEUE_PAGE = 200


def opened_parts(user: User, person_public_id: str, withheld: frozenset[str]) -> frozenset[str]:
    """What a break-glass grant opens: every withheld part of that one person's record, while
    the user's grant for it runs (it ends by itself when the clock passes its end)."""
    running = BreakGlassGrant.objects.filter(
        organization_id=user.organization_id,
        user_id=user.pk,
        person__public_id=person_public_id,
        expires_at__gt=clock.now(),
    ).exists()
    return withheld if running else frozenset()


def running_grant(*, user: User, person_id: UUID | str) -> BreakGlassGrant | None:
    return (
        BreakGlassGrant.objects.filter(
            organization_id=user.organization_id,
            user_id=user.pk,
            person__public_id=person_id,
            expires_at__gt=clock.now(),
        )
        .order_by("-expires_at")
        .first()
    )


@dataclass(frozen=True)
class ReviewCounts:
    waiting: int
    not_appropriate: int
    oldest_waiting: datetime | None


def review_counts(*, user: User) -> ReviewCounts:
    counts = BreakGlassGrant.objects.filter(organization_id=user.organization_id).aggregate(
        waiting=Count("id", filter=Q(review=Review.WAITING)),
        not_appropriate=Count("id", filter=Q(review=Review.NOT_APPROPRIATE)),
        oldest_waiting=Min("granted_at", filter=Q(review=Review.WAITING)),
    )
    return ReviewCounts(**counts)


def _grants(user: User) -> QuerySet[BreakGlassGrant]:
    return BreakGlassGrant.objects.filter(organization_id=user.organization_id).select_related(
        "user", "person", "reviewed_by"
    )


def list_review_queue(*, user: User, limit: int = QUEUE_PAGE) -> list[BreakGlassGrant]:
    """Waiting grants, oldest first: the longest-unreviewed access is looked at first. The
    list names patients, so reading it is audited (without naming them one by one)."""
    grants = list(_grants(user).filter(review=Review.WAITING).order_by("granted_at", "id")[:limit])
    record_access(
        actor=user, target=None, action="privacy.queue_read", organization=user.organization
    )
    return grants


def list_reviewed(*, user: User, limit: int = QUEUE_PAGE) -> list[BreakGlassGrant]:
    """Reviewed grants, newest review first; those found not appropriate keep their flag."""
    return list(
        _grants(user).exclude(review=Review.WAITING).order_by("-reviewed_at", "-id")[:limit]
    )


def get_grant(*, user: User, grant_id: UUID | str) -> BreakGlassGrant:
    """One grant with its patient and the user's explanation: audited as a read of the patient."""
    grant = access_grant(user, grant_id)
    record_access(actor=user, target=grant, patient=grant.person, action="privacy.grant_read")
    return grant
