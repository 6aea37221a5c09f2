"""Background tasks of measures (``django_tasks``): only ever *add* notifications.

``send_check_in_reminders`` is meant to be enqueued every few minutes (cron or a systemd timer
running ``careloop remind``). It sends the appointment reminders too (``care.appointment_reminders``),
through the same channels; the name is kept so queued runs and timers keep working. If it never runs,
check-ins are still shown as due, overdue or missed, because those states are derived at read time,
and appointments still show on the patient's page.

``roll_check_in_windows`` goes with it: it recomputes the stored check-in windows whose span has ended,
so the caseload finds overdue check-ins in SQL. If it never runs, the caseload derives them live
(slower, never wrong).
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from careloop.care.appointment_reminders import send_appointment_reminders
from careloop.measures import windows
from careloop.measures.reminders import configured_senders, send_due_reminders


@task()
def send_check_in_reminders() -> int:
    """Send the appointment and check-in reminders due now; returns how many reminders were sent.

    Appointment reminders go first: they are not held back by the daily cap but count towards it.
    """
    now, senders = timezone.now(), configured_senders()
    return len(send_appointment_reminders(now, senders)) + len(send_due_reminders(now, senders))


@task()
def roll_check_in_windows() -> int:
    """Recompute the stored check-in windows that no longer hold; returns how many were written."""
    return windows.roll_forward(timezone.now())
