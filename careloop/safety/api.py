"""Safety over the API: a patient's risk alerts (derived state, never notes) and their crisis help.

``GET /api/v1/patients/{id}/risk-alerts`` lists alerts with severity, deadline, and whether each is
overdue and at which rung, derived at read time. ``GET /api/v1/patients/{id}/crisis-help`` returns the
crisis numbers for the patient's country and language and the coverage statement, for the patient app
to show (and, later, cache for offline use). Both read through the access gate first.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from careloop.access.gate import access_patient
from careloop.accounts.models import Patient, User
from careloop.accounts.tokens import Scope
from careloop.api import require_scope
from careloop.consent.models import Purpose
from careloop.safety.queries import AlertRow, help_now, patient_alert_rows
from careloop.safety.schema import Severity

router = Router(tags=["safety"])


class RiskAlertOut(Schema):
    id: uuid.UUID
    severity: str
    status: str
    overdue: bool
    rung: int
    opened_at: datetime
    deadline_at: datetime
    rules: list[str]


class CrisisContactOut(Schema):
    name: str
    kind: str
    call: str | None
    text: str | None
    hours: str
    languages: list[str]
    source: str
    last_verified: str


class CrisisHelpOut(Schema):
    contacts: list[CrisisContactOut]
    watched_now: bool
    monitored: bool
    next_watched: datetime | None
    time_zone: str


def _patient(request: HttpRequest, patient_id: uuid.UUID) -> Patient:
    user = request.user
    assert isinstance(user, User)  # authentication ran first  # noqa: S101
    patient = access_patient(user, patient_id, Purpose.CARE, via=request)
    require_scope(request, Scope.PATIENT_APP if patient.user_id == user.pk else Scope.READ)
    return patient


def _alert_out(row: AlertRow) -> RiskAlertOut:
    return RiskAlertOut(
        id=row.alert.pk, severity=row.alert.severity, status=row.state.status, overdue=row.state.overdue,
        rung=row.state.rung, opened_at=row.alert.opened_at, deadline_at=row.alert.deadline_at, rules=list(row.rules),
    )


@router.get("/{uuid:patient_id}/risk-alerts", response=list[RiskAlertOut])
def list_risk_alerts(request: HttpRequest, patient_id: uuid.UUID) -> list[RiskAlertOut]:
    patient = _patient(request, patient_id)
    return [_alert_out(row) for row in patient_alert_rows(patient, timezone.now())]


@router.get("/{uuid:patient_id}/crisis-help", response=CrisisHelpOut)
def get_crisis_help(request: HttpRequest, patient_id: uuid.UUID) -> CrisisHelpOut:
    patient = _patient(request, patient_id)
    found = help_now(patient, Severity.LOW, None, timezone.now())
    contacts = [
        CrisisContactOut(name=c.name, kind=c.kind, call=c.call, text=c.text, hours=c.hours, languages=list(c.languages),
                         source=c.source, last_verified=c.last_verified.isoformat())
        for c in found.contacts
    ]
    return CrisisHelpOut(contacts=contacts, watched_now=found.coverage.watched_now, monitored=not found.coverage.empty,
                         next_watched=found.coverage.next_watched, time_zone=found.coverage.zone)
