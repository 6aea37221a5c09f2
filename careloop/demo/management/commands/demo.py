"""``careloop demo``: build the synthetic organisation, print how to log in, and serve it.

The first build also imports synthetic phone and watch data for two patients and runs the suggestion
rules over it, so the clinicians' review queue (/care/suggestions/) is not empty.
"""

from __future__ import annotations

import argparse
import io
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from careloop.care.tasks import generate_suggestions
from careloop.demo.builder import DemoLogins, build_demo
from careloop.demo.people import DEMO_PASSWORD
from careloop.demo.totp import current_code


class Command(BaseCommand):
    help = "Create the synthetic demo organisation (idempotent), print its log-ins, then serve it."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=20261122)
        parser.add_argument("--address", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="build and print, do not serve")
        parser.add_argument("--no-sensing", action="store_true", help="skip the synthetic phone and wearable imports")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.CARELOOP_DEMO_ALLOWED:
            raise CommandError("the demo organisation cannot be created under production settings")
        logins = build_demo(options["seed"])
        if logins.created and not options["no_sensing"]:
            # Apple Health and Beiwe imports for two demo patients, through the real ingest path.
            call_command("demo_sensing", stdout=io.StringIO())
            # Then the suggestion rules, as `careloop suggest --now` runs them: the at-risk patient's short
            # nights file one for the review queue (deterministic: the sensor data comes from the seed).
            filed = generate_suggestions.call()
            self.stdout.write(f"{filed} suggestion(s) waiting for review at /care/suggestions/")
        self._print(logins, options["address"])
        if not options["no_serve"]:
            call_command("runserver", options["address"], use_reloader=False)

    def _print(self, logins: DemoLogins, address: str) -> None:
        out = self.stdout.write
        out(f"\nCareloop demo at http://{address}/  — every password is: {DEMO_PASSWORD}\n")
        out("Staff must pass MFA: add the TOTP secret to an authenticator app, or run")
        out("  careloop demo-totp EMAIL   to print the current six-digit code.\n")
        for email, role, secret in logins.staff:
            out(f"  {role:<11} {email:<40} TOTP secret {secret}  (code now {current_code(secret)})")
        out("\nPatients (no MFA):")
        for email, trajectory in logins.patients:
            out(f"  {trajectory:<13} {email}")
        out("")
