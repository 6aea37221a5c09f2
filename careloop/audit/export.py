"""Filter audit rows and write them as JSON lines (for the admin view and the command)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from io import TextIOBase
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone

from careloop.audit.models import AuditEvent

EXPORTED_FIELDS = ("seq", "at", "organisation_id", "actor_id", "action", "patient_id", "purpose", "target",
                   "ip", "flagged_for_review", "prev_hash", "hash")


@dataclass(frozen=True)
class AuditFilter:
    patient_id: uuid.UUID | None = None
    actor_id: int | None = None
    since: date | None = None
    until: date | None = None
    organisation_id: uuid.UUID | None = None

    def queryset(self) -> QuerySet[AuditEvent]:
        rows = AuditEvent.objects.all()
        if self.organisation_id is not None:
            rows = rows.filter(organisation_id=self.organisation_id)
        if self.patient_id is not None:
            rows = rows.filter(patient_id=self.patient_id)
        if self.actor_id is not None:
            rows = rows.filter(actor_id=self.actor_id)
        if self.since is not None:
            rows = rows.filter(at__gte=_start_of(self.since))
        if self.until is not None:
            rows = rows.filter(at__lt=_start_of(self.until + timedelta(days=1)))
        return rows.order_by("seq")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def as_json_line(event: AuditEvent) -> str:
    values = {name: getattr(event, name) for name in EXPORTED_FIELDS}
    return json.dumps(values, default=str, sort_keys=True)


def write_json_lines(rows: Iterable[AuditEvent], out: IO[str] | TextIOBase) -> None:
    for event in rows:
        out.write(as_json_line(event) + "\n")
