"""Background tasks of measures (``django_tasks``): only ever *add* notifications.

``send_check_in_reminders`` is meant to be enqueued every few minutes (cron or a systemd timer
running ``careloop remind``). If it never runs, check-ins are still shown as due, overdue or missed,
because those states are derived at read time.
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from careloop.measures.reminders import send_due_reminders


@task()
def send_check_in_reminders() -> int:
    """Send the reminders due now; returns how many occurrences were reminded about."""
    return len(send_due_reminders(timezone.now()))
