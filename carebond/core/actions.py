"""Writes to the organisation's structure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.text import slugify

from carebond.audit.recording import record_audit
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.core.models import Department, Location, Organization, validate_time_zone

if TYPE_CHECKING:
    from carebond.accounts.models import User


def check_create_organization(*, name: str, time_zone: str, slug: str = "") -> Organization:
    from django.core.exceptions import ValidationError

    if not name.strip():
        raise InvalidInput("An organisation needs a name.", field="name")
    try:
        validate_time_zone(time_zone)
    except ValidationError as error:
        raise InvalidInput(error.messages[0], field="time_zone") from error
    slug = slug or slugify(name)[:60]
    if Organization.objects.filter(slug=slug).exists():
        raise RuleViolation(f"An organisation with the slug {slug!r} exists.", code="slug_taken")
    return do_create_organization(name=name.strip(), time_zone=time_zone, slug=slug)


@transaction.atomic
def do_create_organization(*, name: str, time_zone: str, slug: str) -> Organization:
    """Audit: organization.created (by the command line; organisations have no creator user)."""
    organization = Organization.objects.create(name=name, time_zone=time_zone, slug=slug)
    record_audit(
        actor=None,
        action="organization.created",
        target=organization,
        organization=organization,
        actor_label="cli",
        changed_fields=["name", "slug", "time_zone"],
    )
    return organization


@transaction.atomic
def do_create_location(
    organization: Organization,
    *,
    name: str,
    address: str = "",
    phone: str = "",
    time_zone: str = "",
    acting_user: User | None,
) -> Location:
    """Audit: location.created."""
    location = Location.objects.create(
        organization=organization, name=name, address=address, phone=phone, time_zone=time_zone
    )
    record_audit(
        actor=acting_user,
        action="location.created",
        target=location,
        changed_fields=["name", "address", "phone", "time_zone"],
        actor_label=None if acting_user else "cli",
    )
    return location


@transaction.atomic
def do_create_department(
    organization: Organization,
    *,
    name: str,
    location: Location | None = None,
    acting_user: User | None,
) -> Department:
    """Audit: department.created."""
    department = Department.objects.create(organization=organization, name=name, location=location)
    record_audit(
        actor=acting_user,
        action="department.created",
        target=department,
        changed_fields=["name", "location"],
        actor_label=None if acting_user else "cli",
    )
    return department
