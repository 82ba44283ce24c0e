"""Schedules: one per provider per location, made of the provider's weekly templates there.
A schedule is not stored: it is the provider's first template at the location (whose id it
takes, so it stays the same as templates are added and replaced), with the planning horizon
of the applied ones. Served as FHIR Schedule and by GET /api/v1/scheduling/schedules.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Exists, Min, OuterRef, QuerySet, Subquery

from carebond.core import clock
from carebond.scheduling.availability import location_zone
from carebond.scheduling.models import ScheduleTemplate, TemplateStatus


def schedule_rows(organization_id: int) -> QuerySet[ScheduleTemplate]:
    """One row per provider and location with an applied template: the provider's first
    template there (its id is the Schedule's), with the planning horizon of the applied ones."""
    firsts = (
        ScheduleTemplate.objects.filter(organization_id=organization_id)
        .order_by()
        .values("provider", "location")
        .annotate(first=Min("pk"))
        .values("first")
    )
    applied = ScheduleTemplate.objects.filter(
        provider=OuterRef("provider"),
        location=OuterRef("location"),
        status=TemplateStatus.APPLIED,
    )
    return (
        ScheduleTemplate.objects.filter(pk__in=Subquery(firsts))
        .filter(Exists(applied))
        .annotate(
            horizon_start=Subquery(applied.order_by("starts_on").values("starts_on")[:1]),
            horizon_end=Subquery(applied.order_by("-ends_on").values("ends_on")[:1]),
            open_ended=Exists(applied.filter(ends_on__isnull=True)),
        )
        .select_related("provider", "location__organization")
        .order_by("pk")
    )


def horizon_start(row: Any) -> date:
    """The first day a schedule's applied templates cover."""
    start: date = row.horizon_start
    return start


def horizon_end(row: Any) -> date | None:
    """The last day a schedule's applied templates cover (None: open-ended)."""
    end: date | None = None if row.open_ended else row.horizon_end
    return end


def is_active(row: Any) -> bool:
    """In force today or ahead, in the location's time zone."""
    end = horizon_end(row)
    return end is None or end >= clock.now().astimezone(location_zone(row.location)).date()
