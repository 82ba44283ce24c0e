"""What people add to relationship health (carebond/analytics/health.py): an override of a
computed score, with the reason, and what was done about a patient on the at-risk list.

Both are about a patient, so both are PHI rows: written only by health_actions (audited), read
only by health_selectors (audited reads), and moved by a merge (extensions.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from carebond.core.fields import EncryptedTextField
from carebond.core.models import PublicIdModel, TenantModel
from carebond.people.models import Person


class HealthPart(models.TextChoices):
    OVERALL = "overall", "Overall"
    CONNECTION = "connection", "Connection"
    COMMUNICATION = "communication", "Communication"
    TRUST = "trust", "Trust and loyalty"
    COMMITMENT = "commitment", "Commitment"


class HealthOverride(PublicIdModel, TenantModel):
    """A person's score for one dimension (or the whole) in place of the computed one, until it
    expires: the newest override in force wins. The comment is required: a number nobody can
    explain is no better than the one it replaces."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    part = models.CharField(max_length=14, choices=HealthPart.choices)
    score = models.PositiveSmallIntegerField()
    comment = EncryptedTextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=100), name="health_override_0_100"),
        ]
        indexes = [models.Index(fields=["person", "part", "-at"], name="health_override_person")]

    def __str__(self) -> str:
        return f"{self.part} = {self.score}"


class OutreachKind(models.TextChoices):
    CALL = "call", "Call"
    MESSAGE = "message", "Message"
    RECOVERY = "recovery", "Service recovery"


class AtRiskAction(PublicIdModel, TenantModel):
    """The next step suggested for a patient on the at-risk list, and whether staff took it:
    the list learns nothing by itself, so what was done (and not done) is written down."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500)
    band = models.CharField(max_length=10, blank=True)
    suggested = models.CharField(max_length=10, choices=OutreachKind.choices)
    taken = models.BooleanField()
    decided_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["person", "-decided_at"], name="at_risk_action_person")]

    def __str__(self) -> str:
        return f"{self.suggested} {'taken' if self.taken else 'not taken'}"


class HealthScoring(TenantModel):
    """The nightly scoring of an organisation's patients: the local day it was for, and the
    bands' calibration checked that day (counts per band, no patient in it). Scoring every
    patient takes minutes at a hospital's size, so pages read what the worker stored."""

    scored_on = models.DateField()
    patients = models.PositiveIntegerField()
    calibration = models.JSONField()
    finished_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="health_scoring_one_per_org"),
        ]

    def __str__(self) -> str:
        return f"scored {self.scored_on}"


class AtRiskEntry(TenantModel):
    """A patient on the at-risk list as scored (in the worst bands): the score, why and the
    next best step, stored so the worklist and the home panel read a page of rows instead of
    scoring every patient. Rewritten by each scoring, and for one patient when an override
    changes their score."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    scored_on = models.DateField()
    score = models.FloatField()
    band = models.CharField(max_length=10)
    next_action = models.CharField(max_length=10, choices=OutreachKind.choices)
    reasons = EncryptedTextField(blank=True, help_text="One reason per line.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person"], name="at_risk_entry_one_per_person"),
        ]
        indexes = [models.Index(fields=["organization", "score"], name="at_risk_entry_worst")]

    def __str__(self) -> str:
        return f"{self.band} {self.score:.0f}"
