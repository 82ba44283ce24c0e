"""The audit trail: append-only and hash-chained, so any edit, deletion or reordering shows."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models

from carebond.core.models import Organization, PublicIdModel

GENESIS_HASH = "0" * 64
# The audit event that records a retention cut (carebond.audit.history_actions).
RETENTION_APPLIED = "retention.applied"


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    DENIED = "denied", "Denied"


class AuditEvent(PublicIdModel):
    """One audited act. Holds names of changed fields, never their values (they may be PHI)."""

    occurred_at = models.DateTimeField()
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    patient_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    client_ip = models.CharField(max_length=45, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    changed_fields = models.JSONField(default=list)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["organization", "occurred_at"]),
            models.Index(fields=["organization", "patient_id"]),
            models.Index(fields=["organization", "action"]),
        ]

    def __str__(self) -> str:
        return f"{self.action} #{self.pk}"

    def canonical(self) -> str:
        """The row as hashed: every field but the hash itself, in a fixed order and format."""
        fields: dict[str, Any] = {
            "id": self.pk,
            "public_id": str(self.public_id),
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "organization_id": self.organization_id,
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "patient_id": self.patient_id,
            "request_id": self.request_id,
            "client_ip": self.client_ip,
            "outcome": self.outcome,
            "changed_fields": list(self.changed_fields),
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.canonical()).encode()).hexdigest()


class RetentionCut(PublicIdModel):
    """One application of a retention policy: which table lost which span, and how many rows.

    Written once, with an audit event naming it (``retention.applied``). For the audit trail
    itself it also says where the kept chain starts: the first kept event's id and the hash it
    links to, the last removed event's (carebond.audit.selectors.verify_chain)."""

    applied_at = models.DateTimeField()
    table = models.CharField(max_length=63)
    removed_from = models.DateTimeField(null=True, blank=True)
    removed_before = models.DateTimeField()
    rows = models.PositiveBigIntegerField()
    first_kept_id = models.BigIntegerField(null=True, blank=True)
    first_kept_prev_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.table} before {self.removed_before:%Y-%m-%d}"


def chain_start(*, using: str = "default") -> tuple[int, str, RetentionCut | None]:
    """Where verification of the chain starts: the first event and the hash it links to, and
    the newest cut of the audit trail's retention (None: the chain starts at its genesis)."""
    cuts = RetentionCut.objects.using(using).filter(first_kept_id__isnull=False)
    cut = cuts.order_by("-id").first()
    if cut is None or cut.first_kept_id is None:
        return 1, GENESIS_HASH, None
    return cut.first_kept_id, cut.first_kept_prev_hash, cut
