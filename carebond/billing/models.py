"""Billing statements: what a patient was billed and still owes for a visit, as the practice-
management system or the EHR's claims say, and who answers billing questions.

A statement holds money and dates only. Never a diagnosis, a procedure, a service or item
code, a provider or a place: the billing moment is measured (statements sent, questions asked,
how fast they were answered) without any clinical detail, so that a billing survey or a
billing colleague never learns why the patient came.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from carebond.core.models import ImportedModel, PublicIdModel, TenantModel, TimestampedModel
from carebond.people.models import Person


class StatementStatus(models.TextChoices):
    """Where a statement stands, as practice-management systems say it. FHIR has no payment
    status for a patient's statement: a Claim still with the insurer is ``with_insurer``; an
    ExplanationOfBenefit gives the patient's share (``open``, or ``paid`` when nothing is
    left); a cancelled or entered-in-error one is ``cancelled``."""

    WITH_INSURER = "with_insurer", "With the insurer"
    OPEN = "open", "Open"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    OVERDUE = "overdue", "Overdue"
    IN_COLLECTIONS = "in_collections", "In collections"
    CANCELLED = "cancelled", "Cancelled"


# What the patient still owes something on (the statuses a billing question is usually about).
OWING = (
    StatementStatus.OPEN,
    StatementStatus.PARTIALLY_PAID,
    StatementStatus.OVERDUE,
    StatementStatus.IN_COLLECTIONS,
)


class StatementSource(models.TextChoices):
    """Where the statement's figures came from last."""

    CSV = "csv", "Practice-management export (CSV)"
    FHIR_CLAIM = "fhir_claim", "FHIR Claim"
    FHIR_EOB = "fhir_eob", "FHIR ExplanationOfBenefit"


# The system CSV statements come from (the practice-management system's export): their
# statement ids are one namespace, apart from every EHR connection's claim ids.
CSV_SYSTEM = "urn:carebond:billing:practice-management"
MAX_AMOUNT = Decimal("10000000.00")


class BillingStatement(PublicIdModel, TimestampedModel, TenantModel, ImportedModel):
    """One statement of a patient's account.

    ``external_id`` is the statement's id in the system it came from (``origin_system``): the
    practice-management system's statement number, or ``Claim/<id>`` for a claim and the
    ExplanationOfBenefit that settles it (one statement, not two). It is unique per
    organisation and system, so importing the same statement again updates it, never adds
    it twice. ``amount_due`` is None while the insurer has not said what the patient owes."""

    patient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="statements")
    statement_date = models.DateField()
    amount_billed = models.DecimalField(max_digits=12, decimal_places=2)
    amount_due = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=14, choices=StatementStatus.choices)
    source = models.CharField(max_length=10, choices=StatementSource.choices)
    external_id = models.CharField(max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-statement_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "origin_system", "external_id"],
                name="statement_once_per_system",
            ),
            models.CheckConstraint(
                condition=Q(amount_billed__gte=0), name="statement_billed_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(amount_due__isnull=True) | Q(amount_due__gte=0),
                name="statement_due_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-statement_date"], name="statements_by_date"),
            models.Index(fields=["patient", "-statement_date"], name="statements_of_patient"),
            models.Index(fields=["organization", "created_at"], name="statements_recorded"),
        ]

    def __str__(self) -> str:
        return f"Statement {self.external_id} of {self.statement_date.isoformat()}"


class BillingHandler(TenantModel):
    """A colleague who answers billing questions: the inbox hands billing questions nobody has
    to the one of them with the most room (messaging's topics)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing_handler"
    )
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "id"]
