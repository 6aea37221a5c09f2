"""``careloop token create|list|revoke``: API tokens for integrations and the patient app."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careloop.accounts.models import ApiToken, User
from careloop.accounts.tokens import Scope, TokenError, create_token, revoke_token


class Command(BaseCommand):
    help = "Create, list or revoke API tokens. A new token's secret is printed once and never stored."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        create = sub.add_parser("create", help="mint a token for a user")
        create.add_argument("--user", required=True, help="the e-mail of the user the token acts as")
        create.add_argument("--name", required=True, help="what the token is for, e.g. 'EHR bridge'")
        create.add_argument("--scope", action="append", required=True, choices=Scope.values, dest="scopes")
        create.add_argument("--days", type=int, default=90, help="lifetime in days (1–365, default 90)")
        listing = sub.add_parser("list", help="list a user's tokens (never their secrets)")
        listing.add_argument("--user", required=True)
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = {"create": self._create, "list": self._list, "revoke": self._revoke}[options["subcommand"]]
        handler(options)

    def _create(self, options: dict[str, Any]) -> None:
        try:
            minted = create_token(_user(options["user"]), options["name"], options["scopes"], options["days"])
        except TokenError as error:
            raise CommandError(str(error), returncode=2) from None
        self.stdout.write(minted.plaintext)
        self.stderr.write(f"token {minted.token.prefix} expires {minted.token.expires_at:%Y-%m-%d}; "
                          "store it now, it cannot be shown again")

    def _list(self, options: dict[str, Any]) -> None:
        for token in ApiToken.objects.filter(user=_user(options["user"])).order_by("created_at"):
            state = "revoked" if token.revoked_at else ("live" if token.is_usable() else "expired")
            self.stdout.write(f"{token.prefix}  {state:<8} {','.join(token.scopes):<24} "
                              f"expires {token.expires_at:%Y-%m-%d}  {token.name}")

    def _revoke(self, options: dict[str, Any]) -> None:
        if not revoke_token(options["prefix"]):
            raise CommandError(f"no live token with prefix {options['prefix']!r}", returncode=2)
        self.stdout.write(f"revoked {options['prefix']}")


def _user(email: str) -> User:
    try:
        return User.objects.get(email=email.strip().lower())
    except User.DoesNotExist:
        raise CommandError(f"no user with e-mail {email!r}", returncode=2) from None
