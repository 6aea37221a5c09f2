"""`careloop remind`: enqueue the reminder task, check-ins and appointments (run it every few minutes from a timer).

It also enqueues the task that rolls the stored check-in windows forward (``measures.windows``).
`--now` runs both in this process instead of enqueuing, for a laptop without a worker.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from careloop.measures.tasks import roll_check_in_windows, send_check_in_reminders


class Command(BaseCommand):
    help = "Enqueue (or with --now, run) the check-in and appointment reminder task and the check-in window task."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", action="store_true", help="run in this process instead of enqueuing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            sent, rolled = send_check_in_reminders.call(), roll_check_in_windows.call()
            self.stdout.write(f"{sent} reminder(s) sent; {rolled} check-in window(s) rolled forward")
            return
        result = send_check_in_reminders.enqueue()
        rolling = roll_check_in_windows.enqueue()
        self.stdout.write(f"reminder task enqueued ({result.id}); check-in window task enqueued ({rolling.id})")
