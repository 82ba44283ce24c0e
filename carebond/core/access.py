"""Fetch tenancy objects within the acting user's organisation."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from carebond.core.errors import NotFound
from carebond.core.models import Department, Location

if TYPE_CHECKING:
    from carebond.accounts.models import User


def access_location(user: User, public_id: UUID | str) -> Location:
    location = Location.objects.filter(
        organization_id=user.organization_id, public_id=public_id
    ).first()
    if location is None:
        raise NotFound("No such location.")
    return location


def access_department(user: User, public_id: UUID | str) -> Department:
    department = (
        Department.objects.filter(organization_id=user.organization_id, public_id=public_id)
        .select_related("location")
        .first()
    )
    if department is None:
        raise NotFound("No such department.")
    return department
