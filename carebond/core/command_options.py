"""Options shared by management commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from carebond.core.models import Organization


def organization_option(slug: str | None) -> Organization:
    """--organization SLUG, which may be left out when there is only one organisation."""
    if slug:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"No organisation with the slug {slug!r}.")
        return organization
    organizations = list(Organization.objects.all()[:2])
    if len(organizations) == 1:
        return organizations[0]
    raise CommandError("Name the organisation with --organization SLUG.")
