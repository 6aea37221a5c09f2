"""``careloop demo-totp EMAIL``: print a demo staff member's current TOTP code (never in production)."""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from careloop.demo.builder import totp_secret_for
from careloop.demo.people import STAFF
from careloop.demo.totp import current_code


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff member."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--seed", type=int, default=20261122)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.CARELOOP_DEMO_ALLOWED:
            raise CommandError("demo codes are not available under production settings")
        if options["email"].lower() not in {member.email for member in STAFF}:
            raise CommandError(f"{options['email']} is not a demo staff member")
        self.stdout.write(current_code(totp_secret_for(options["email"].lower(), options["seed"])))
