"""Break-glass grants: who opened which patient's withheld parts, why, until when, and what the
privacy officer made of it afterwards."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from carebond.core.models import PublicIdModel, TenantModel


class BreakGlassReason(models.TextChoices):
    EMERGENCY_CARE = "emergency_care", "Emergency care"
    PATIENT_AT_DESK = "patient_at_desk", "Patient request at the desk"
    CONTINUITY_OF_CARE = "continuity_of_care", "Continuity of care"
    OTHER = "other", "Other (explain below)"


class Review(models.TextChoices):
    WAITING = "waiting", "Waiting for review"
    APPROPRIATE = "appropriate", "Appropriate"
    NOT_APPROPRIATE = "not_appropriate", "Not appropriate"


class BreakGlassGrant(PublicIdModel, TenantModel):
    """One emergency opening of one patient's withheld parts, for a limited time. Never
    deleted: a grant found not appropriate keeps its flag."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=30, choices=BreakGlassReason.choices)
    # The user's own words; they may name clinical facts, so they are shown to the privacy
    # officer on the review page only (never in an email or a log).
    explanation = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    alerted_at = models.DateTimeField(null=True, blank=True)
    review = models.CharField(max_length=20, choices=Review.choices, default=Review.WAITING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["granted_at", "id"]
        indexes = [
            models.Index(fields=["organization", "review", "granted_at"]),
            models.Index(fields=["user", "person", "expires_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")),
                name="break_glass_ends_after_it_starts",
            ),
        ]
