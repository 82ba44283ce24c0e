"""carebond ehr-connection list|add|tie-token|untie-token: the EHR connections an organisation
imports FHIR data from, and the API tokens that post for one of them to /fhir/R4."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from carebond.accounts.models import ApiToken
from carebond.core.command_options import organization_option
from carebond.core.errors import CareBondError
from carebond.interop.importing.connection_actions import (
    check_create_connection,
    check_tie_token,
    do_untie_token,
    find_connection,
)
from carebond.interop.models import EhrConnection, EhrConnectionToken


class Command(BaseCommand):
    help = "List and add EHR connections; tie an API token to one (it then posts for it only)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        listing = sub.add_parser("list", help="The organisation's connections and their tokens.")
        listing.add_argument("--organization", help="Organisation slug (optional when only one).")
        add = sub.add_parser("add", help="Add a connection: NAME and its SYSTEM URI.")
        add.add_argument("name")
        add.add_argument("system", help="A URI, e.g. the EHR's FHIR base URL.")
        add.add_argument("--organization", help="Organisation slug (optional when only one).")
        tie = sub.add_parser(
            "tie-token", help="What the token PREFIX posts to /fhir/R4 goes to CONNECTION."
        )
        tie.add_argument("prefix")
        tie.add_argument("connection", help="The connection's name or system URI.")
        untie = sub.add_parser("untie-token", help="The token PREFIX is tied to no connection.")
        untie.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["verb"].replace("-", "_"))(options)
        except CareBondError as error:
            raise CommandError(error.message) from error

    def _list(self, options: dict[str, Any]) -> None:
        organization = organization_option(options.get("organization"))
        ties = EhrConnectionToken.objects.filter(organization=organization).select_related("token")
        tokens: dict[int, list[str]] = {}
        for tie in ties:
            tokens.setdefault(tie.connection_id, []).append(tie.token.prefix)
        for connection in EhrConnection.objects.filter(organization=organization):
            tied = ", ".join(tokens.get(connection.pk, [])) or "-"
            self.stdout.write(f"{connection.name}  {connection.system}  tokens: {tied}")

    def _add(self, options: dict[str, Any]) -> None:
        organization = organization_option(options.get("organization"))
        connection = check_create_connection(
            organization, name=options["name"], system=options["system"], acting_user=None
        )
        self.stdout.write(f"Connection {connection.name} ({connection.system}) added.")

    def _tie_token(self, options: dict[str, Any]) -> None:
        token = self._token(options["prefix"])
        connection = find_connection(token.user.organization, options["connection"])
        if connection is None:
            raise CommandError(f"No connection named {options['connection']!r}.")
        check_tie_token(token, connection, acting_user=None)
        self.stdout.write(f"Token {token.prefix} now posts for {connection.name} only.")

    def _untie_token(self, options: dict[str, Any]) -> None:
        token = self._token(options["prefix"])
        untied = do_untie_token(token, acting_user=None)
        self.stdout.write(
            f"Token {token.prefix} is tied to no connection."
            if untied
            else f"Token {token.prefix} was tied to no connection."
        )

    def _token(self, prefix: str) -> ApiToken:
        token = ApiToken.objects.filter(prefix=prefix).select_related("user__organization").first()
        if token is None:
            raise CommandError(f"No token with the prefix {prefix!r}.")
        return token
