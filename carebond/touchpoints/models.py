"""The timeline: every interaction with a person, whatever app it came from."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from carebond.core.fields import EncryptedTextField
from carebond.core.models import (
    ImportedModel,
    Location,
    PublicIdModel,
    TenantModel,
    origin_constraint,
)
from carebond.core.registry import touchpoint_kind_label
from carebond.people.models import Person


class TouchpointKind(models.TextChoices):
    """The timeline's own kinds. Other apps register theirs (a survey, a referral, a review) in
    core's registry from their AppConfig; the column takes any registered kind."""

    VISIT = "visit", "Visit"
    CALL = "call", "Phone call"
    MESSAGE = "message", "Message"
    PORTAL = "portal", "Portal activity"
    BILLING = "billing", "Billing"
    SCHEDULING = "scheduling", "Scheduling"
    WAITING_ROOM = "waiting_room", "Waiting room"
    TELEHEALTH = "telehealth", "Telehealth visit"
    NOTE = "note", "Note"


class TouchpointChannel(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "Phone"
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    PORTAL = "portal", "Portal"
    VIDEO = "video", "Video"
    POST = "post", "Post"
    WEB = "web", "Web"
    SYSTEM = "system", "System"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class MomentOfTruth(models.TextChoices):
    """Where in the patient's journey the interaction happened (the 'moments of truth')."""

    SCHEDULING = "scheduling", "Scheduling"
    BILLING = "billing", "Billing"
    COMMUNICATIONS = "communications", "Communications"
    WAITING_ROOM = "waiting_room", "Waiting room"
    CLINICAL_CARE = "clinical_care", "Clinical care"
    FOLLOW_UP = "follow_up", "Follow-up"


class Touchpoint(PublicIdModel, TenantModel, ImportedModel):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="touchpoints")
    kind = models.CharField(max_length=20)  # a registered kind: core.registry.touchpoint_kinds()
    channel = models.CharField(max_length=10, choices=TouchpointChannel.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    occurred_at = models.DateTimeField()
    staff = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moment_of_truth = models.CharField(max_length=14, choices=MomentOfTruth.choices, blank=True)
    sentiment = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-1.0), MaxValueValidator(1.0)]
    )
    outcome = models.CharField(max_length=200, blank=True)
    summary = EncryptedTextField(blank=True)
    # Where it came from: "app_label.model" and that object's public id.
    source_type = models.CharField(max_length=60, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField()
    # Coded detail an EHR sent with it (for a visit: FHIR Encounter class, type, status, end), kept
    # so that the visit goes back out as the same Encounter.
    details = models.JSONField(null=True, blank=True)

    def get_kind_display(self) -> str:
        return touchpoint_kind_label(self.kind)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["person", "-occurred_at"], name="timeline")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sentiment__isnull=True)
                | models.Q(sentiment__gte=-1.0, sentiment__lte=1.0),
                name="touchpoint_sentiment_range",
            ),
            origin_constraint("touchpoint_origin_once"),
        ]
