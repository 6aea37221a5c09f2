"""Reads of intervention data for a patient the caller already got from the access gate."""

from __future__ import annotations

import json
from datetime import date

from django.db.models import QuerySet

from careloop.accounts.models import Patient
from careloop.interventions.models import Assignment, ExerciseEntry


def open_assignments(patient: Patient) -> QuerySet[Assignment]:
    """Modules assigned and not yet completed, soonest due first."""
    return Assignment.objects.filter(patient=patient, completed_at__isnull=True).order_by("due_on", "assigned_at")


def due_assignments(patient: Patient, today: date) -> list[Assignment]:
    return [a for a in open_assignments(patient) if a.due_on is None or a.due_on <= today]


def recent_entries(patient: Patient, limit: int = 20) -> QuerySet[ExerciseEntry]:
    return ExerciseEntry.objects.filter(patient=patient).order_by("-completed_at")[:limit]


def entry_texts(entry: ExerciseEntry) -> dict[str, str]:
    """The free-text fields of an entry, decrypted."""
    return dict(json.loads(entry.text)) if entry.text else {}
