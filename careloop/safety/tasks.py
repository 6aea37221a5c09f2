"""Background task of safety (``django_tasks``): the alert dispatcher. It only ever *adds* notifications.

Enqueue it every minute (``careloop dispatch_alerts`` from cron or a systemd timer). If it never runs,
alerts still exist with their deadlines, the caseload still shows them overdue, and ``/healthz`` turns
red because the heartbeat goes stale.
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from careloop.safety.dispatch import dispatch


@task()
def dispatch_alert_notifications() -> int:
    """Send the notifications due now; returns how many deliveries succeeded."""
    return dispatch(timezone.now()).sent
