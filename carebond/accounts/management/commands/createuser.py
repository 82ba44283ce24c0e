"""carebond createuser USERNAME --role ROLE --organization SLUG."""

from __future__ import annotations

import getpass
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from carebond.accounts.actions import check_create_organization, check_create_user
from carebond.core.command_options import add_organization_argument, organization_option
from carebond.core.errors import CareBondError
from carebond.core.models import Organization
from carebond.core.permissions import Role


class Command(BaseCommand):
    help = "Create a staff user with a role in an organisation (creating the organisation if new)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        add_organization_argument(parser)
        parser.add_argument(
            "--organization-name",
            help="Create the organisation with this name if it does not exist.",
        )
        parser.add_argument(
            "--time-zone", default="UTC", help="Time zone of a new organisation (IANA name)."
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input instead of prompting.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = self._organization(options)
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        try:
            user = check_create_user(
                organization,
                username=options["username"],
                role=options["role"],
                password=password,
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                acting_user=None,
            )
        except CareBondError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Created {user.username} ({user.role}) in {organization.name}. "
            "They enrol MFA at first sign-in."
        )

    def _organization(self, options: dict[str, Any]) -> Organization:
        slug = options.get("organization")
        if options.get("organization_name"):
            existing = Organization.objects.filter(slug=slug).first() if slug else None
            if existing:
                return existing
            try:
                return check_create_organization(
                    name=options["organization_name"],
                    time_zone=options["time_zone"],
                    slug=slug or "",
                )
            except CareBondError as error:
                raise CommandError(error.message) from error
        return organization_option(
            slug,
            not_found_hint=" Add --organization-name to create it.",
            choose_hint=" (or create one with --organization-name NAME)",
        )
