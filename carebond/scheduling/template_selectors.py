"""Reads for the weeks page: a location's weeks, one week, one of its blocks (schedules name no
patient: no audit)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from carebond.core.access import one_or_not_found
from carebond.core.models import Location
from carebond.scheduling.models import ScheduleTemplate, TemplateBlock

if TYPE_CHECKING:
    from carebond.accounts.models import User


def list_week_templates(*, user: User, location: Location) -> list[ScheduleTemplate]:
    return list(
        ScheduleTemplate.objects.filter(organization_id=user.organization_id, location=location)
        .select_related("provider")
        .order_by("provider__family_name", "provider__given_name", "-starts_on")
    )


def get_week_template(*, user: User, public_id: UUID | str) -> ScheduleTemplate:
    return one_or_not_found(
        ScheduleTemplate.objects.filter(
            organization_id=user.organization_id, public_id=public_id
        ).select_related("provider", "location"),
        "No such week.",
    )


def list_blocks(template: ScheduleTemplate) -> list[TemplateBlock]:
    return list(template.blocks.order_by("weekday", "starts").prefetch_related("appointment_types"))


def get_block(template: ScheduleTemplate, block_id: int) -> TemplateBlock:
    return one_or_not_found(
        TemplateBlock.objects.filter(template=template, pk=block_id), "No such block."
    )
