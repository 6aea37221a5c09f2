"""Read helpers for one patient's measurement data, each in a constant number of queries.

Callers pass a ``Patient`` they already obtained from the access gate; nothing here decides who may
read. ``recent_scores`` lists the latest responses with their band labels; ``episode_summaries``
computes each episode's outcome from its first and last complete scores per measure with
``outcomes.episode_outcome``; ``check_in_statuses`` says which scheduled check-ins are due,
overdue or missed right now, derived from the schedules and response times (no worker involved).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from careloop.accounts.models import Patient
from careloop.measures.instrument_schema import Instrument
from careloop.measures.instruments_registry import builtin_instruments
from careloop.measures.models import Episode, Response, Schedule
from careloop.measures.outcomes import (
    EpisodeOutcome,
    MeasureCatalogue,
    episode_outcome,
    measure_catalogue,
    outcome_rules,
)
from careloop.measures.schedules import Occurrence, ScheduleSpec, Status, current_occurrence, parameters_for

# The longest window an occurrence can stay open (a one-off's 90 days, or yearly), plus a day.
LOOKBACK = timedelta(days=366)


@dataclass(frozen=True)
class ScoreRow:
    response: Response
    instrument_name: str
    band_label: str
    max_total: int | None


def instrument_of(response: Response) -> Instrument | None:
    return builtin_instruments().get(response.instrument_id)


def band_label(instrument: Instrument | None, band: str) -> str:
    """The data file's label for a stored band id (the id itself if the file no longer has it)."""
    if instrument is None or instrument.bands is None or not band:
        return band
    labels = {r.band: r.label for scheme in instrument.bands.schemes.values() for r in scheme.ranges}
    return labels.get(band, band)


def score_row(response: Response) -> ScoreRow:
    instrument = instrument_of(response)
    return ScoreRow(
        response=response,
        instrument_name=instrument.name if instrument else response.instrument_id,
        band_label=band_label(instrument, response.band),
        max_total=instrument.total_range[1] if instrument and instrument.total else None,
    )


def responses_of(patient: Patient, instrument_id: str | None = None, *, limit: int) -> list[Response]:
    """The patient's responses, newest first, optionally to one instrument."""
    rows = Response.objects.filter(patient=patient).order_by("-submitted_at")
    if instrument_id:
        rows = rows.filter(instrument_id=instrument_id)
    return list(rows[:limit])


def recent_scores(patient: Patient, *, limit: int = 20, exclude: Sequence[str] = ("mood_checkin",)) -> list[ScoreRow]:
    """The latest responses, newest first; daily mood ratings are left out by default (no total)."""
    rows = Response.objects.filter(patient=patient).exclude(instrument_id__in=exclude).order_by("-submitted_at")
    return [score_row(response) for response in rows[:limit]]


@dataclass(frozen=True)
class EpisodeSummary:
    episode: Episode
    first_scores: dict[str, int]
    last_scores: dict[str, int]
    outcome: EpisodeOutcome | None  # None until some measure has two scores in the episode

    @property
    def pairs(self) -> list[tuple[str, int, int]]:
        return [(name, first, self.last_scores[name]) for name, first in self.first_scores.items()]

    @property
    def label(self) -> str:
        return "" if self.outcome is None else self.outcome.nhs.label.replace("_", " ")

    @property
    def flags(self) -> list[str]:
        """The NHS Talking Therapies flags that hold, in words."""
        if self.outcome is None:
            return []
        nhs = self.outcome.nhs
        held = {"caseness at start": nhs.caseness_at_start, "recovered": nhs.recovered,
                "reliable improvement": nhs.reliable_improvement, "reliable recovery": nhs.reliable_recovery,
                "reliable deterioration": nhs.reliable_deterioration, "no reliable change": nhs.no_reliable_change}
        return [name for name, value in held.items() if value]


def episode_summaries(patient: Patient, *, now: datetime | None = None) -> list[EpisodeSummary]:
    """Every episode, newest first, with its outcome from paired first and last scores."""
    episodes = list(Episode.objects.filter(patient=patient).order_by("-started_at"))
    if not episodes:
        return []
    responses = list(
        Response.objects.filter(patient=patient, complete=True, total__isnull=False,
                                submitted_at__gte=min(e.started_at for e in episodes))
        .order_by("submitted_at").only("instrument_id", "total", "submitted_at")
    )
    moment, catalogue = now or timezone.now(), measure_catalogue(outcome_rules())
    return [_summary(episode, responses, moment, catalogue) for episode in episodes]


def _summary(
    episode: Episode, responses: Iterable[Response], now: datetime, catalogue: MeasureCatalogue
) -> EpisodeSummary:
    end = episode.ended_at or now
    by_measure: dict[str, list[int]] = defaultdict(list)
    for response in responses:
        measure = catalogue.lookup(response.instrument_id)
        if measure is not None and episode.started_at <= response.submitted_at <= end and response.total is not None:
            by_measure[measure.name].append(response.total)
    paired = {name: totals for name, totals in by_measure.items() if len(totals) >= 2}
    first = {name: totals[0] for name, totals in paired.items()}
    last = {name: totals[-1] for name, totals in paired.items()}
    outcome = episode_outcome(first, last, problem=episode.problem_descriptor or None) if paired else None
    return EpisodeSummary(episode=episode, first_scores=first, last_scores=last, outcome=outcome)


@dataclass(frozen=True)
class CheckInStatus:
    schedule: Schedule
    instrument: Instrument
    occurrence: Occurrence
    status: Status


def schedule_spec(schedule: Schedule, patient: Patient) -> ScheduleSpec:
    return ScheduleSpec(
        key=str(schedule.pk), parameters=parameters_for(schedule.kind, schedule.parameters),
        starts_on=schedule.starts_on, ends_on=schedule.ends_on, zone=patient.zone(),
    )


def check_in_statuses(patient: Patient, *, now: datetime | None = None) -> list[CheckInStatus]:
    """The current occurrence of each active schedule and its status at ``now``."""
    moment = now or timezone.now()
    schedules = list(Schedule.objects.filter(patient=patient, active=True).order_by("instrument_id"))
    submitted = _submission_times(patient, schedules, moment)
    statuses = []
    for schedule in schedules:
        occurrence = current_occurrence(schedule_spec(schedule, patient), moment)
        instrument = builtin_instruments().get(schedule.instrument_id)
        if occurrence is not None and instrument is not None:
            status = occurrence.status(moment, submitted[schedule.instrument_id])
            statuses.append(CheckInStatus(schedule, instrument, occurrence, status))
    return statuses


def _submission_times(patient: Patient, schedules: Sequence[Schedule], now: datetime) -> dict[str, list[datetime]]:
    """Recent submission times per instrument: enough to judge any open occurrence."""
    times: dict[str, list[datetime]] = defaultdict(list)
    rows = Response.objects.filter(
        patient=patient, instrument_id__in=[s.instrument_id for s in schedules], submitted_at__gte=now - LOOKBACK,
    ).values_list("instrument_id", "submitted_at")
    for instrument_id, submitted_at in rows:
        times[instrument_id].append(submitted_at)
    return times


def measures_context(patient: Patient, *, now: datetime | None = None) -> dict[str, object]:
    """Everything the clinician's overview shows about measures (template ``measures/patient_measures.html``)."""
    return {
        "scores": recent_scores(patient),
        "episodes": episode_summaries(patient, now=now),
        "check_ins": check_in_statuses(patient, now=now),
    }
