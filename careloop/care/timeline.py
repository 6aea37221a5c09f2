"""One patient's timeline for the care team, in a constant number of queries whatever the history length.

Scores per measure with their severity bands, caseness line and reliable-change markers (against the
first score of the open episode, NHS Talking Therapies thresholds), each point with its provenance:
who reported it and which instrument version scored it. Beside it: alerts and how they were handled,
exercises done, messages, appointments, daily passive features with coverage and pipeline version,
and engagement (check-ins completed against due in the last ``ENGAGEMENT_DAYS``). Chart data is
handed to the page as JSON (``json_script``); every chart has a table with the same values.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.utils.translation import gettext as _

from careloop.accounts.models import Patient
from careloop.care.models import Appointment
from careloop.measures.instrument_schema import Instrument
from careloop.measures.instruments_registry import builtin_instruments
from careloop.measures.models import Episode, Response, ResponseSource, Schedule
from careloop.measures.outcomes import outcome_rules
from careloop.measures.queries import band_label, schedule_spec
from careloop.measures.schedules import Status, occurrences_between
from careloop.messaging.models import Message
from careloop.safety.queries import AlertRow, patient_alert_rows
from careloop.safety.rules import reliable_change_thresholds
from careloop.sensing.models import DailyFeature
from careloop.sensing.queries import LOW_COVERAGE, label_of

ENGAGEMENT_DAYS = 28
SENSING_DAYS = 28
RECENT_MESSAGES = 10


@dataclass(frozen=True)
class Point:
    response: Response
    local_day: str
    band_label: str
    change: str  # "", "worse" or "better": reliable change against the episode's first score
    provenance: str


@dataclass
class MeasureSeries:
    instrument: Instrument
    points: list[Point] = field(default_factory=list)

    @property
    def chart_id(self) -> str:
        return f"chart-{self.instrument.id}"

    def chart(self) -> dict[str, Any]:
        instrument = self.instrument
        bands = next(iter(instrument.bands.schemes.values())).ranges if instrument.bands else ()
        return {
            "id": self.chart_id, "title": instrument.name, "labels": [p.local_day for p in self.points],
            "values": [p.response.total for p in self.points], "max": instrument.total_range[1],
            "bands": [{"min": b.min, "max": b.max, "label": b.label} for b in bands],
            "caseness": caseness_line(instrument.id),
            "markers": [{"index": i, "change": p.change} for i, p in enumerate(self.points) if p.change],
            "label": _("%(name)s total") % {"name": instrument.name},
        }


def caseness_line(instrument_id: str) -> int | None:
    rule = outcome_rules().measures.get(instrument_id)
    threshold = rule.caseness if rule else None
    return int(threshold.at_least) if threshold is not None and threshold.at_least is not None else None


def provenance_of(response: Response) -> str:
    who = {ResponseSource.CLINICIAN: _("self-report entered by a clinician"),
           ResponseSource.DEMO: _("synthetic demo data")}.get(ResponseSource(response.source), _("self-report"))
    return _("%(who)s · scored by %(instrument)s rules v%(version)s") % {
        "who": who, "instrument": response.instrument_id, "version": response.instrument_version}


def measure_series(patient: Patient, since: dt.datetime | None) -> list[MeasureSeries]:
    """Every scored measure's series, oldest first; change is judged against the open episode's first score."""
    rows = Response.objects.filter(patient=patient, total__isnull=False).order_by("submitted_at").only(
        "instrument_id", "instrument_version", "total", "band", "submitted_at", "source")
    zone, thresholds = patient.zone(), reliable_change_thresholds()
    series: dict[str, MeasureSeries] = {}
    firsts: dict[str, int] = {}
    for response in rows:
        instrument = builtin_instruments().get(response.instrument_id)
        if instrument is None or response.total is None:
            continue
        if since is not None and response.submitted_at >= since:
            firsts.setdefault(instrument.id, response.total)
        change = _change(response.total, firsts.get(instrument.id), thresholds.get(instrument.id))
        point = Point(response, response.submitted_at.astimezone(zone).date().isoformat(),
                      band_label(instrument, response.band), change, provenance_of(response))
        series.setdefault(instrument.id, MeasureSeries(instrument)).points.append(point)
    return list(series.values())


def _change(total: int, first: int | None, threshold: object) -> str:
    if first is None or threshold is None:
        return ""
    if total - first >= threshold:  # type: ignore[operator]
        return "worse"
    return "better" if first - total >= threshold else ""  # type: ignore[operator]


@dataclass(frozen=True)
class FeatureSeries:
    name: str
    label: str
    unit: str
    days: list[tuple[str, float | None, int, bool]]  # local day, value, coverage %, low coverage
    provenance: str

    def chart(self) -> dict[str, Any]:
        return {"id": f"chart-feature-{self.name}", "title": self.label, "labels": [d[0] for d in self.days],
                "values": [d[1] for d in self.days], "bands": [], "caseness": None, "markers": [], "max": None,
                "label": f"{self.label} ({self.unit})" if self.unit else self.label}


def feature_series(patient: Patient, today: dt.date) -> list[FeatureSeries]:
    rows = DailyFeature.objects.filter(patient=patient, day__gt=today - dt.timedelta(days=SENSING_DAYS)).order_by(
        "name", "day")
    grouped: dict[str, list[DailyFeature]] = defaultdict(list)
    for row in rows:
        grouped[row.name].append(row)
    return [_feature(name, found) for name, found in grouped.items()]


def _feature(name: str, rows: list[DailyFeature]) -> FeatureSeries:
    label = label_of(name)
    days = [(r.day.isoformat(), r.value, round(r.coverage * 100), r.coverage < LOW_COVERAGE) for r in rows]
    versions = sorted({f"{r.source_stream} · {r.feature_table} {r.pipeline_version}" for r in rows})
    return FeatureSeries(name, label.label, label.unit, days, _("device (passive), derived by %(how)s") % {
        "how": ", ".join(versions)})


@dataclass(frozen=True)
class Engagement:
    due: int
    completed: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.completed / self.due) if self.due else None


def engagement(patient: Patient, now: dt.datetime) -> Engagement:
    """Scheduled check-ins due in the last ENGAGEMENT_DAYS, and how many were answered in their window."""
    start = now - dt.timedelta(days=ENGAGEMENT_DAYS)
    schedules = list(Schedule.objects.filter(patient=patient, active=True))
    submitted: dict[str, list[dt.datetime]] = defaultdict(list)
    for instrument_id, at in Response.objects.filter(patient=patient, submitted_at__gte=start - dt.timedelta(
            days=8)).values_list("instrument_id", "submitted_at"):
        submitted[instrument_id].append(at)
    due = completed = 0
    for schedule in schedules:
        for occurrence in occurrences_between(schedule_spec(schedule, patient), start, now):
            if start <= occurrence.due_at <= now:
                due += 1
                completed += occurrence.status(now, submitted[schedule.instrument_id]) == Status.COMPLETED
    return Engagement(due, completed)


def exercises_done(patient: Patient) -> list[Any] | None:
    """Exercises the patient completed (the interventions app's entries), or None before that app exists."""
    try:
        model = apps.get_model("interventions", "ExerciseEntry")
    except LookupError:
        return None
    return list(model.objects.filter(patient=patient).order_by("-completed_at")[:20])


def open_episode(patient: Patient) -> Episode | None:
    return Episode.objects.filter(patient=patient, ended_at__isnull=True).first()


def timeline_context(patient: Patient, now: dt.datetime) -> dict[str, Any]:
    episode = open_episode(patient)
    measures = measure_series(patient, episode.started_at if episode else None)
    features = feature_series(patient, now.astimezone(patient.zone()).date())
    alerts: list[AlertRow] = patient_alert_rows(patient, now)
    return {
        "episode": episode, "measures": measures, "features": features, "alert_rows": alerts,
        "charts": [m.chart() for m in measures] + [f.chart() for f in features],
        "engagement": engagement(patient, now), "exercises": exercises_done(patient),
        "recent_messages": list(Message.objects.filter(thread__patient=patient).select_related("sender")
                                .order_by("-sent_at")[:RECENT_MESSAGES]),
        "appointments": list(Appointment.objects.filter(patient=patient).order_by("-starts_at")[:20]),
    }
