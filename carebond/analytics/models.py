"""Daily rollups of every registered KPI (carebond/core/kpis.py).

A rollup row holds the additive parts of one KPI on one day at one location, either in total
(``dimension`` empty) or for one value of one dimension (``dimension="provider"``,
``value="<provider id>"``). A month, a quarter or the whole organisation is a sum of rows, so
the dashboards never read raw rows. A day is rolled up whole, in one transaction (its rows are
replaced), so a figure never mixes two runs.
"""

from __future__ import annotations

from django.db import models

from carebond.core.models import Location, TenantModel


class DailyRollup(TenantModel):
    kpi = models.CharField(max_length=60)
    day = models.DateField()
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    dimension = models.CharField(max_length=40, blank=True)
    value = models.CharField(max_length=80, blank=True)
    n = models.FloatField(default=0)
    x = models.FloatField(default=0)
    x2 = models.FloatField(default=0)
    y = models.FloatField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "kpi", "dimension", "day"], name="rollup_kpi_dim_day"
            ),
            models.Index(fields=["organization", "day"], name="rollup_org_day"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.day} {self.dimension}={self.value}"


class RolledDay(TenantModel):
    """That a day has been rolled up, and when: the nightly scan fills missing days and
    recomputes the last days whose facts may still change (a KPI's ``settle_days``)."""

    day = models.DateField()
    rolled_at = models.DateTimeField()
    facts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "day"], name="rolled_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.day} rolled at {self.rolled_at:%Y-%m-%d %H:%M}"


from carebond.analytics.health_models import AtRiskAction, HealthOverride  # noqa: E402, F401
from carebond.analytics.report_models import ReportSubscription as ReportSubscription  # noqa: E402
from carebond.analytics.warning_models import EarlyWarningAlert  # noqa: E402, F401
