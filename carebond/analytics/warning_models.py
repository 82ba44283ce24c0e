"""Early-warning alerts: a control chart of a KPI for one location, provider or department
signalled in the month just ended (carebond/analytics/spc.py, docs/analytics.md).

An alert keeps a snapshot of the chart as it was when it fired (each month's n, value and
limits, and which points fired the rule), so its page shows what the responsible person was
told even after later months change the limits. It is raised once per KPI, unit, rule and month
(the constraint makes the daily scan idempotent) and closed by being acknowledged, with a note.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from carebond.core.models import Location, PublicIdModel, TenantModel


class UnitKind(models.TextChoices):
    LOCATION = "location", "Location"
    PROVIDER = "provider", "Provider"
    DEPARTMENT = "department", "Department"


class EarlyWarningAlert(PublicIdModel, TenantModel):
    kpi = models.CharField(max_length=60)
    kpi_title = models.CharField(max_length=200)
    unit_kind = models.CharField(max_length=12, choices=UnitKind.choices)
    unit_value = models.CharField(max_length=80)
    unit_label = models.CharField(max_length=200)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.CharField(max_length=40)
    direction = models.CharField(max_length=4, blank=True)
    month = models.DateField(help_text="The month charted last: the one the rule fired in.")
    months = models.JSONField(default=list, help_text="The months that fired the rule, YYYY-MM.")
    chart = models.JSONField(default=dict)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    raised_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kpi", "unit_kind", "unit_value", "rule", "month"],
                name="early_warning_once",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "acknowledged_at"], name="early_warning_open"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.unit_kind}={self.unit_value} {self.rule} {self.month:%Y-%m}"
