"""``careloop caseload-facts verify`` and ``careloop caseload-facts refresh``.

The caseload ranks by per-patient facts kept current on every write (careloop/care/facts.py) and finds
overdue check-ins through per-schedule windows (careloop/measures/windows.py). ``verify`` compares every
stored row with the live computation and exits 1 naming the stale patients and wrong windows by id;
``refresh`` recomputes every row (after a restore, a bulk import or a failed ``verify``) and says how
many were stale before. Run ``refresh`` nightly: it heals and reports in one pass.
"""

from __future__ import annotations

import argparse
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import QuerySet

from careloop.accounts.models import Patient
from careloop.care.facts import refresh, stale
from careloop.measures import windows
from careloop.measures.models import Schedule


class Command(BaseCommand):
    help = "Verify or refresh the caseload's stored per-patient facts."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="exit 1 if any stored row differs from the live computation")
        sub.add_parser("refresh", help="recompute every patient's row")

    def handle(self, *args: Any, **options: Any) -> None:
        patients, schedules = Patient.objects.all(), Schedule.objects.filter(active=True)
        outdated, wrong = stale(patients), windows.wrong(schedules)
        if options["subcommand"] == "verify":
            self._verify(patients, outdated, wrong)
            return
        with transaction.atomic():
            written, rolled = refresh(patients), windows.refresh(schedules)
        self.stdout.write(f"caseload facts refreshed for {written} patient(s); {len(outdated)} were stale")
        self.stdout.write(f"check-in windows refreshed for {rolled} schedule(s); {len(wrong)} were wrong")

    def _verify(self, patients: QuerySet[Patient], outdated: list[uuid.UUID], wrong: list[uuid.UUID]) -> None:
        for patient_id in outdated:
            self.stderr.write(f"patient {patient_id}: stored caseload facts are stale or missing")
        for schedule_id in wrong:
            self.stderr.write(f"schedule {schedule_id}: the stored check-in window differs from its schedule")
        if outdated or wrong:
            raise CommandError(f"{len(outdated)} patient(s) with stale caseload facts, {len(wrong)} wrong check-in "
                               "window(s); run `careloop caseload-facts refresh`", returncode=1)
        self.stdout.write(f"caseload facts current for {patients.count()} patient(s); check-in windows agree")
