"""Who gets the monthly relationship report by email: a manager's subscription to one
location's report, or to every location's (``location`` empty).

The email holds a link only, never a figure: ``last_sent_month`` is the month of the last
report linked, and the scan claims a month by moving it forward in one conditional UPDATE, so
two workers never send the same month twice (report_actions.scan_report_emails)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from carebond.core.models import Location, TenantModel, TimestampedModel


class ReportSubscription(TimestampedModel, TenantModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    active = models.BooleanField(default=True)
    last_sent_month = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "location"], name="report_subscription_once"),
            # (two NULLs are distinct in a unique constraint: "all locations" needs its own)
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(location__isnull=True),
                name="report_subscription_all_once",
            ),
        ]

    def __str__(self) -> str:
        where = self.location.name if self.location else "all locations"
        return f"{self.user} gets the monthly report of {where}"
