"""`careloop suggest`: enqueue the suggestion task, or with `--now` run it in this process.

Suggestions wait in the review queue (/care/suggestions/) for a clinician to accept or dismiss.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from careloop.care.tasks import generate_suggestions


class Command(BaseCommand):
    help = "Enqueue (or with --now, run) the task that files rule suggestions for clinician review."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", action="store_true", help="run in this process instead of enqueuing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            count = generate_suggestions.call()
            self.stdout.write(f"{count} suggestion(s) filed for review")
            return
        result = generate_suggestions.enqueue()
        self.stdout.write(f"suggestion task enqueued ({result.id})")
