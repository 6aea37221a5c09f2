"""`careloop remind`: enqueue the reminder task, check-ins and appointments (run it every few minutes from a timer).

`--now` runs it in this process instead of enqueuing, for a laptop without a worker.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from careloop.measures.tasks import send_check_in_reminders


class Command(BaseCommand):
    help = "Enqueue (or with --now, run) the check-in and appointment reminder task."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", action="store_true", help="run in this process instead of enqueuing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            count = send_check_in_reminders.call()
            self.stdout.write(f"{count} reminder(s) sent")
            return
        result = send_check_in_reminders.enqueue()
        self.stdout.write(f"reminder task enqueued ({result.id})")
