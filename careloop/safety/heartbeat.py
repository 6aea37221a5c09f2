"""The dispatcher's dead-man's switch: is the alert pipeline alive and getting through?

The dispatcher writes its heartbeat on every run. It is *stale* when the last run is older than
``CARELOOP_DISPATCHER_STALE_MINUTES`` (5) or when no run ever happened, and *undelivered* when its last
run left an alert whose last due rung reached nobody. Either turns ``/healthz`` red (so the platform
on-call is paged by whatever watches it) and shows a red banner to administrators and supervisors
(safety-privacy-ethics.md §3.6: a missed heartbeat pages the platform on-call).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from careloop.safety.models import DispatcherHeartbeat

DEFAULT_STALE_MINUTES = 5


class DispatcherStaleError(Exception):
    """The alert dispatcher has not run recently (or ever)."""


class AlertsUndeliveredError(Exception):
    """The dispatcher's last run left alerts that reached nobody."""


@dataclass(frozen=True)
class DispatcherStatus:
    last_run_at: datetime | None
    stale: bool
    undelivered: int

    @property
    def healthy(self) -> bool:
        return not self.stale and not self.undelivered


def dispatcher_status(now: datetime | None = None) -> DispatcherStatus:
    moment = now or timezone.now()
    beat = DispatcherHeartbeat.objects.filter(pk=1).first()
    limit = timedelta(minutes=getattr(settings, "CARELOOP_DISPATCHER_STALE_MINUTES", DEFAULT_STALE_MINUTES))
    if beat is None:
        return DispatcherStatus(last_run_at=None, stale=True, undelivered=0)
    return DispatcherStatus(beat.last_run_at, stale=moment - beat.last_run_at > limit, undelivered=beat.undelivered)


def check_alert_dispatcher() -> str:
    """The /healthz check: raises when the pipeline is stale or left alerts undelivered."""
    status = dispatcher_status()
    if status.stale:
        raise DispatcherStaleError
    if status.undelivered:
        raise AlertsUndeliveredError
    return "ok"
