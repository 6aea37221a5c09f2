"""Writes of measurement data: submit a response, start and end episodes, set a schedule.

Each action validates, saves and audits in one transaction. ``do_submit_response`` scores the
answers (pure), saves the response with its score snapshot, asks the safety hook for findings and
writes the audit row, all in one transaction, so there is never a stored answer that safety has not
seen. It is idempotent: the same key for the same patient returns the response already stored,
also when two retries race (the unique constraint decides; the loser reads the winner's row).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from careloop.accounts.models import Patient, User
from careloop.audit.chain import Actor, record
from careloop.measures import safety_hook
from careloop.measures.instrument_schema import Instrument
from careloop.measures.instruments_registry import find_instrument
from careloop.measures.models import Episode, Response, ResponseSource, Schedule
from careloop.measures.safety_hook import SafetyFinding
from careloop.measures.schedules import parameters_for
from careloop.measures.scoring import AnswersInput, ScoreResult, score, validated_input

MAX_KEY_LENGTH = 100


class IdempotencyConflictError(ValueError):
    """The key was already used for different answers: a client bug, never silently merged."""


class IdempotencyKeyError(ValueError):
    """No usable idempotency key: without one a retry could store the answers twice."""


class EpisodeError(ValueError):
    """An episode change that cannot be made (one already open, an end before the start)."""


@dataclass(frozen=True)
class Submission:
    """What a submission produced: the stored response, whether this call stored it, and findings."""

    response: Response
    created: bool
    findings: list[SafetyFinding]


def do_submit_response(
    patient: Patient,
    instrument: Instrument | str,
    answers: AnswersInput,
    idempotency_key: str,
    *,
    actor: Actor,
    source: str,
    submitted_by: User | None = None,
    params: Mapping[str, object] | None = None,
) -> Submission:
    """Score, save, evaluate for safety and audit one response; ScoringInputError names bad items."""
    chosen = instrument if isinstance(instrument, Instrument) else find_instrument(instrument)
    key = _checked_key(idempotency_key)
    given, chosen_params = validated_input(chosen, answers, params or {})
    result = score(chosen, given, **chosen_params)
    with transaction.atomic():
        response, created = _stored_or_new(patient, key, given, result, source, submitted_by)
        if created:
            record(actor, "response.submit", organisation_id=patient.organisation_id, patient_id=patient.pk,
                   target=f"response:{response.pk}")
        findings = safety_hook.evaluate(response)
    return Submission(response=response, created=created, findings=findings)


def _checked_key(key: str) -> str:
    key = key.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise IdempotencyKeyError(f"an idempotency key of 1 to {MAX_KEY_LENGTH} characters is required")
    return key


def _stored_or_new(
    patient: Patient, key: str, answers: dict[str, int | None], result: ScoreResult, source: str,
    submitted_by: User | None,
) -> tuple[Response, bool]:
    existing = Response.objects.filter(patient=patient, idempotency_key=key).first()
    if existing is not None:
        return _same_submission(existing, answers, result), False
    try:
        with transaction.atomic():  # a savepoint: a lost race must not poison the outer transaction
            return _new_response(patient, key, answers, result, source, submitted_by), True
    except IntegrityError:
        # A concurrent retry stored this key between our read and our insert.
        winner = Response.objects.get(patient=patient, idempotency_key=key)
        return _same_submission(winner, answers, result), False


def _same_submission(existing: Response, answers: dict[str, int | None], result: ScoreResult) -> Response:
    if existing.instrument_id != result.instrument_id or existing.answers != answers:
        raise IdempotencyConflictError("this idempotency key was already used for different answers")
    return existing


def _new_response(
    patient: Patient, key: str, answers: dict[str, int | None], result: ScoreResult, source: str,
    submitted_by: User | None,
) -> Response:
    if source not in ResponseSource.values:
        raise ValueError(f"unknown response source {source!r}")
    return Response.objects.create(
        patient=patient, idempotency_key=key, source=source, submitted_by=submitted_by, answers=answers,
        **snapshot_fields(result),
    )


def snapshot_fields(result: ScoreResult) -> dict[str, object]:
    """The score snapshot stored with a response (shared with the demo history)."""
    return {
        "instrument_id": result.instrument_id, "instrument_version": result.version,
        "params": dict(result.params), "total": result.total, "band": result.band or "",
        "caseness": result.caseness, "flags": list(result.flags), "risk_flags": list(result.risk_flags),
        "subscales": dict(result.subscales), "complete": result.complete,
    }


def do_start_episode(
    patient: Patient, *, actor: Actor, started_at: datetime | None = None, problem_descriptor: str = "",
    created_by: User | None = None,
) -> Episode:
    """Open an episode of care; refused while another is open."""
    with transaction.atomic():
        if Episode.objects.filter(patient=patient, ended_at__isnull=True).exists():
            raise EpisodeError("this patient already has an open episode; end it first")
        episode = Episode.objects.create(
            patient=patient, started_at=started_at or timezone.now(), problem_descriptor=problem_descriptor.strip(),
            created_by=created_by,
        )
        record(actor, "episode.start", organisation_id=patient.organisation_id, patient_id=patient.pk,
               target=f"episode:{episode.pk}")
    return episode


def do_end_episode(episode: Episode, *, actor: Actor, ended_at: datetime | None = None) -> Episode:
    """Close an open episode; its outcome is then read from the scores inside it."""
    ended_at = ended_at or timezone.now()
    if episode.ended_at is not None:
        raise EpisodeError("this episode has already ended")
    if ended_at < episode.started_at:
        raise EpisodeError("an episode cannot end before it started")
    with transaction.atomic():
        episode.ended_at = ended_at
        episode.save(update_fields=["ended_at"])
        record(actor, "episode.end", organisation_id=episode.patient.organisation_id, patient_id=episode.patient_id,
               target=f"episode:{episode.pk}")
    return episode


def do_set_schedule(
    patient: Patient, instrument: Instrument | str, kind: str, parameters: Mapping[str, object], *,
    actor: Actor, starts_on: date, ends_on: date | None = None, created_by: User | None = None,
) -> Schedule:
    """Replace the patient's active schedule for one instrument; ScheduleParameterError names bad fields."""
    chosen = instrument if isinstance(instrument, Instrument) else find_instrument(instrument)
    checked = parameters_for(kind, parameters)
    if ends_on is not None and ends_on < starts_on:
        raise ValueError("a schedule cannot end before it starts")
    with transaction.atomic():
        Schedule.objects.filter(patient=patient, instrument_id=chosen.id, active=True).update(active=False)
        schedule = Schedule.objects.create(
            patient=patient, instrument_id=chosen.id, kind=kind, starts_on=starts_on, ends_on=ends_on,
            parameters=checked.model_dump(mode="json", exclude={"kind"}), created_by=created_by,
        )
        record(actor, "schedule.set", organisation_id=patient.organisation_id, patient_id=patient.pk,
               target=f"schedule:{schedule.pk}")
    return schedule
