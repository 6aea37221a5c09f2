"""`careloop dispatch_alerts`: enqueue the alert dispatcher (run it every minute from a timer).

`--now` runs it in this process instead of enqueuing, for a laptop or a cron job without a worker.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from careloop.safety.tasks import dispatch_alert_notifications


class Command(BaseCommand):
    help = "Enqueue (or with --now, run) the safety alert dispatcher."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", action="store_true", help="run in this process instead of enqueuing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            sent = dispatch_alert_notifications.call()
            self.stdout.write(f"{sent} notification(s) sent")
            return
        result = dispatch_alert_notifications.enqueue()
        self.stdout.write(f"alert dispatcher enqueued ({result.id})")
