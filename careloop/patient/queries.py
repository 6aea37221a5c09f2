"""Reads for the patient's own pages, given a patient the caller already got from the access gate."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import formats, timezone

from careloop.accounts.models import Patient
from careloop.care.models import Appointment, AppointmentStatus
from careloop.care.queries import appointments_for_patient
from careloop.interventions.models import ExerciseEntry
from careloop.measures.instrument_schema import Instrument
from careloop.measures.instruments_registry import builtin_instruments
from careloop.measures.models import Response
from careloop.measures.queries import CheckInStatus, check_in_statuses
from careloop.measures.schedules import Status
from careloop.messaging.queries import unread_from_care_team
from careloop.patient.models import PatientAppPolicy, PatientPreferences

DUE = (Status.DUE, Status.OVERDUE)
CHART_POINTS = 26


def due_check_ins(patient: Patient, now: datetime | None = None) -> list[CheckInStatus]:
    return [status for status in check_in_statuses(patient, now=now) if status.status in DUE]


def goals_shown(patient: Patient) -> bool:
    """Encouragement shows only when neither the organisation nor the patient switched it off."""
    org_on = PatientAppPolicy.objects.filter(organisation_id=patient.organisation_id).values_list(
        "goals_enabled", flat=True).first()
    own_on = PatientPreferences.objects.filter(patient=patient).values_list("goals_enabled", flat=True).first()
    return org_on is not False and own_on is not False


def organisation_allows_goals(patient: Patient) -> bool:
    return PatientAppPolicy.objects.filter(organisation_id=patient.organisation_id, goals_enabled=False).count() == 0


@dataclass(frozen=True)
class Encouragement:
    check_in_days: int
    exercises: int
    days: int = 7


def encouragement(patient: Patient, now: datetime | None = None) -> Encouragement:
    """What went well in the last week — counts of days with a check-in, never a broken streak."""
    moment = now or timezone.now()
    since = moment - timedelta(days=7)
    zone = patient.zone()
    days = {t.astimezone(zone).date() for t in Response.objects.filter(
        patient=patient, submitted_at__gte=since).values_list("submitted_at", flat=True)}
    exercises = ExerciseEntry.objects.filter(patient=patient, completed_at__gte=since).count()
    return Encouragement(check_in_days=len(days), exercises=exercises)


@dataclass(frozen=True)
class Series:
    instrument_id: str
    name: str
    labels: list[str]
    values: list[int | None]
    max_total: int | None
    latest: int | None

    @property
    def rows(self) -> list[tuple[str, int | None]]:
        return list(zip(self.labels, self.values, strict=True))


def progress_series(patient: Patient) -> list[Series]:
    """Each measure's recent totals (the daily mood's mood rating), oldest first, dates in the patient's zone."""
    rows: dict[str, list[Response]] = defaultdict(list)
    for response in Response.objects.filter(patient=patient).order_by("-submitted_at")[:400]:
        if len(rows[response.instrument_id]) < CHART_POINTS:
            rows[response.instrument_id].append(response)
    series = []
    for instrument_id, responses in sorted(rows.items()):
        instrument = builtin_instruments().get(instrument_id)
        if instrument is None:
            continue
        responses.reverse()
        values = [_value(instrument_id, r) for r in responses]
        zone = patient.zone()
        labels = [formats.date_format(r.submitted_at.astimezone(zone), "SHORT_DATE_FORMAT") for r in responses]
        maximum = 10 if instrument_id == "mood_checkin" else _total_max(instrument)
        series.append(Series(instrument_id, instrument.name, labels, values, maximum, values[-1]))
    return series


def _value(instrument_id: str, response: Response) -> int | None:
    if instrument_id == "mood_checkin":
        mood = response.answers.get("mood")
        return mood if isinstance(mood, int) else None
    return response.total


def _total_max(instrument: Instrument) -> int | None:
    try:
        return int(instrument.total_range[1])
    except ValueError:
        return None


def next_appointment(patient: Patient) -> Appointment | None:
    """The soonest appointment not yet started."""
    now = timezone.now()
    return next((a for a in appointments_for_patient(patient) if a.starts_at >= now), None)


def cancelled_appointments(patient: Patient) -> list[Appointment]:
    """Appointments still to come that the care team cancelled: the change notice sends the patient here."""
    return list(Appointment.objects.filter(patient=patient, status=AppointmentStatus.CANCELLED,
                                           starts_at__gte=timezone.now()).order_by("starts_at"))


def unread_messages(patient: Patient) -> int:
    return unread_from_care_team(patient)
