"""``careloop caseload-facts verify`` and ``careloop caseload-facts refresh``.

The caseload ranks by per-patient facts kept current on every write (careloop/care/facts.py). ``verify``
compares every stored row with the live computation and exits 1 naming the stale patients by id;
``refresh`` recomputes every row (after a restore, a bulk import or a failed ``verify``) and says how
many were stale before. Run ``refresh`` nightly: it heals and reports in one pass.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from careloop.accounts.models import Patient
from careloop.care.facts import refresh, stale


class Command(BaseCommand):
    help = "Verify or refresh the caseload's stored per-patient facts."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="exit 1 if any stored row differs from the live computation")
        sub.add_parser("refresh", help="recompute every patient's row")

    def handle(self, *args: Any, **options: Any) -> None:
        patients = Patient.objects.all()
        outdated = stale(patients)
        if options["subcommand"] == "verify":
            for patient_id in outdated:
                self.stderr.write(f"patient {patient_id}: stored caseload facts are stale or missing")
            if outdated:
                raise CommandError(f"{len(outdated)} patient(s) with stale caseload facts; run "
                                   "`careloop caseload-facts refresh`", returncode=1)
            self.stdout.write(f"caseload facts current for {patients.count()} patient(s)")
            return
        with transaction.atomic():
            written = refresh(patients)
        self.stdout.write(f"caseload facts refreshed for {written} patient(s); {len(outdated)} were stale")
