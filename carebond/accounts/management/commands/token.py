"""carebond token create|list|revoke: personal API tokens from the command line."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from carebond.accounts.actions import do_create_api_token, do_revoke_api_token
from carebond.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = (
        "Create, list or revoke API tokens. 'create' prints the new token alone on its last line."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Create a token for USERNAME and print it once.")
        create.add_argument("username")
        create.add_argument("--name", default="Command-line token")
        listing = sub.add_parser("list", help="List a user's tokens (never the secrets).")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "revoke":
            self._revoke(options["prefix"])
            return
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        if verb == "create":
            if not user.is_active:
                raise CommandError(f"{user.username} is disabled; enable the account first.")
            token, secret = do_create_api_token(user, name=options["name"], acting_user=None)
            self.stdout.write(
                f"Token {token.prefix} for {user.username} ({user.role}). It is "
                "shown once; store it now:"
            )
            self.stdout.write(secret)
        else:
            for token in user.api_tokens.order_by("-created_at"):
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(
                    f"{token.prefix}  {state:8}  {token.created_at:%Y-%m-%d}  {token.name}"
                )

    def _revoke(self, prefix: str) -> None:
        token = ApiToken.objects.filter(prefix=prefix).select_related("user").first()
        if token is None:
            raise CommandError(f"No token with the prefix {prefix!r}.")
        do_revoke_api_token(token, acting_user=None)
        self.stdout.write(f"Token {prefix} is revoked.")
