"""Small builders for workspace tests: patients with scores, schedules, episodes, alerts and features."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from django.utils import timezone

from careloop.accounts.models import CareTeam, Organisation, Patient
from careloop.measures.models import Episode, Response, ResponseSource, Schedule, ScheduleKind
from careloop.safety.models import RiskAlert
from careloop.sensing.models import DailyFeature
from tests.conftest import make_patient


def score(patient: Patient, instrument: str, total: int, band: str, at: datetime) -> Response:
    return Response.objects.create(
        patient=patient, instrument_id=instrument, instrument_version="1.0.0", answers={}, total=total, band=band,
        caseness=total >= 10, complete=True, submitted_at=at, idempotency_key=str(uuid.uuid4()),
        source=ResponseSource.DEMO,
    )


def alert(patient: Patient, severity: str, *, opened: datetime, deadline: datetime) -> RiskAlert:
    return RiskAlert.objects.create(
        patient=patient, organisation_id=patient.organisation_id, severity=severity, source_kind="response",
        source_key=str(uuid.uuid4()), hits=[{"rule_id": "phq9_item9_positive", "rule_version": "1.0.0",
                                             "severity": severity, "title": "PHQ-9 item 9", "detail": ""}],
        opened_at=opened, deadline_at=deadline, ceiling_at=deadline + timedelta(hours=12), ladder=[],
    )


def busy_patient(org: Organisation, team: CareTeam, name: str, now: datetime) -> Patient:
    """A patient with an episode, weekly scores getting worse, a schedule, an open alert and sleep data."""
    patient = make_patient(org, team, name)
    Episode.objects.create(patient=patient, started_at=now - timedelta(days=70))
    for week in range(8):
        at = now - timedelta(days=63 - 7 * week)
        score(patient, "phq9", 8 + week, "moderate", at)
        score(patient, "gad7", 6 + week, "moderate", at)
    Schedule.objects.create(patient=patient, instrument_id="phq9", kind=ScheduleKind.EVERY_N_DAYS,
                            parameters={"n": 7}, starts_on=date(2020, 1, 6))
    alert(patient, "moderate", opened=now - timedelta(hours=2), deadline=now + timedelta(hours=6))
    for day in range(10):
        DailyFeature.objects.create(patient=patient, day=(now - timedelta(days=day)).date(), name="total_sleep_hours",
                                    value=7.0, coverage=0.9, source_stream="sleep", feature_table="sleep_daily",
                                    pipeline_version="sleep-1")
    return patient


def now() -> datetime:
    return timezone.now()
