"""Writes of intervention data: assign a module, complete an exercise.

``do_complete_exercise`` validates the answers against the module's fields, stores structured answers
as JSON and free text encrypted, screens the free text for risk (``safety.actions.screen_text``) and
audits — all in one transaction, so no stored diary line escapes the safety screen. It is idempotent per
patient and key, like check-in responses, so an answer queued offline and sent twice is stored once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from careloop.accounts.models import Patient, User
from careloop.audit.chain import Actor, record
from careloop.interventions.content import Module, ModuleField, get_module
from careloop.interventions.models import Assignment, ExerciseEntry
from careloop.safety.actions import screen_text
from careloop.safety.models import RiskAlert

MAX_TEXT = 4000


class ExerciseInputError(ValueError):
    """Answers that do not fit the module; ``problems`` maps field name to a message."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems.items()))
        self.problems = dict(problems)


@dataclass(frozen=True)
class Completion:
    entry: ExerciseEntry
    created: bool
    alert: RiskAlert | None


def do_assign_module(
    patient: Patient, module_id: str, *, assigned_by: User | None, actor: Actor, due_on: date | None = None
) -> Assignment:
    module = get_module(module_id)
    with transaction.atomic():
        assignment = Assignment.objects.create(patient=patient, module_id=module.id, module_version=module.version,
                                               assigned_by=assigned_by, due_on=due_on)
        record(actor, "assignment.create", organisation_id=patient.organisation_id, patient_id=patient.pk,
               target=f"assignment:{assignment.pk}")
    return assignment


def do_complete_exercise(
    patient: Patient, module: Module, answers: Mapping[str, str], idempotency_key: str, *, actor: Actor
) -> Completion:
    """Validate, store (free text encrypted), screen and audit one completed exercise."""
    data, texts = split_answers(module, answers)
    key = idempotency_key.strip()[:100]
    with transaction.atomic():
        existing = ExerciseEntry.objects.filter(patient=patient, idempotency_key=key).first() if key else None
        if existing is not None:
            return Completion(existing, created=False, alert=None)
        try:
            with transaction.atomic():
                entry = ExerciseEntry.objects.create(
                    patient=patient, module_id=module.id, module_version=module.version, data=data,
                    text=json.dumps(texts, ensure_ascii=False) if texts else "", idempotency_key=key,
                    assignment=_open_assignment(patient, module.id))
        except IntegrityError:
            return Completion(ExerciseEntry.objects.get(patient=patient, idempotency_key=key), False, None)
        _close_assignment(entry)
        record(actor, "exercise.complete", organisation_id=patient.organisation_id, patient_id=patient.pk,
               target=f"exercise_entry:{entry.pk}")
        alert = None
        if texts:
            _, alert = screen_text(patient, "\n".join(texts.values()), source_key=f"exercise:{entry.pk}", actor=actor)
    return Completion(entry, created=True, alert=alert)


def split_answers(module: Module, answers: Mapping[str, str]) -> tuple[dict[str, object], dict[str, str]]:
    """(structured fields, free-text fields); raises ExerciseInputError naming every bad field."""
    data: dict[str, object] = {}
    texts: dict[str, str] = {}
    problems: dict[str, str] = {}
    for field in module.fields:
        raw = str(answers.get(field.name, "")).strip()
        if not raw:
            if field.required:
                problems[field.name] = "required"
            continue
        try:
            if field.free_text:
                texts[field.name] = _checked_text(raw)
            else:
                data[field.name] = _structured(field, raw)
        except ValueError as problem:
            problems[field.name] = str(problem)
    if problems:
        raise ExerciseInputError(problems)
    return data, texts


def _checked_text(raw: str) -> str:
    if len(raw) > MAX_TEXT:
        raise ValueError(f"at most {MAX_TEXT} characters")
    return raw


def _structured(field: ModuleField, raw: str) -> object:
    if field.type in {"scale", "number"}:
        value = int(raw)
        if (field.min is not None and value < field.min) or (field.max is not None and value > field.max):
            raise ValueError(f"between {field.min} and {field.max}")
        return value
    if field.type in {"choice", "checklist"}:
        allowed = {code for code, _ in field.choices}
        chosen = [part for part in raw.split(",") if part]
        if not set(chosen) <= allowed:
            raise ValueError("not one of the choices")
        return chosen if field.type == "checklist" else chosen[0]
    if field.type == "date":
        return date.fromisoformat(raw).isoformat()
    if field.type == "time":
        hours, minutes = (int(part) for part in raw.split(":")[:2])
        if not (0 <= hours < 24 and 0 <= minutes < 60):
            raise ValueError("not a time of day")
        return f"{hours:02d}:{minutes:02d}"
    return raw


def _open_assignment(patient: Patient, module_id: str) -> Assignment | None:
    return Assignment.objects.filter(patient=patient, module_id=module_id, completed_at__isnull=True).order_by(
        "assigned_at").first()


def _close_assignment(entry: ExerciseEntry) -> None:
    if entry.assignment_id is not None:
        Assignment.objects.filter(pk=entry.assignment_id).update(completed_at=entry.completed_at or timezone.now())
