"""Options shared by management commands: which organisation a command works on."""

from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import CommandError

from carebond.core.models import Organization


def add_organization_argument(
    parser: ArgumentParser, *, help: str = "Organisation slug (optional when only one)."
) -> None:
    parser.add_argument("--organization", help=help)


def organization_option(
    slug: str | None, *, not_found_hint: str = "", choose_hint: str = ""
) -> Organization:
    """--organization SLUG, which may be left out when there is only one organisation. The
    hints complete the messages with what the command offers instead (create one, say)."""
    if slug:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"No organisation with the slug {slug!r}.{not_found_hint}")
        return organization
    organizations = list(Organization.objects.all()[:2])
    if len(organizations) == 1:
        return organizations[0]
    raise CommandError(f"Name the organisation with --organization SLUG{choose_hint}.")
