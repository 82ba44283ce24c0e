"""Reads of the organisation's own structure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from carebond.core.ids import only_uuids
from carebond.core.models import Department, Location

if TYPE_CHECKING:
    from carebond.accounts.models import User


def list_locations(*, user: User) -> QuerySet[Location]:
    return Location.objects.filter(organization_id=user.organization_id).order_by("name")


def list_departments(*, user: User) -> QuerySet[Department]:
    return (
        Department.objects.filter(organization_id=user.organization_id)
        .select_related("location")
        .order_by("name")
    )


def location_names(organization_id: int, public_ids: list[str]) -> dict[str, str]:
    rows = Location.objects.filter(
        organization_id=organization_id, public_id__in=only_uuids(public_ids)
    )
    return {str(row.public_id): row.name for row in rows}


def department_names(organization_id: int, public_ids: list[str]) -> dict[str, str]:
    rows = Department.objects.filter(
        organization_id=organization_id, public_id__in=only_uuids(public_ids)
    )
    return {str(row.public_id): row.name for row in rows}
