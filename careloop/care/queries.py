"""Reads of the clinician workspace for pages, and the one the patient app calls for its own page.

Callers pass a patient the access gate already returned. ``notes_visible_to`` enforces the one rule
the gate cannot: a psychotherapy note is readable by its author only, whoever else may read the
record (supervisors and break-glass included). ``appointments_for_patient`` is what the patient's own
pages show (the patient app imports it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from careloop.accounts.models import Patient, User
from careloop.care.models import (
    Appointment,
    AppointmentStatus,
    ClinicalNote,
    Goal,
    NoteKind,
    Suggestion,
    SuggestionState,
)

PAST_APPOINTMENTS_SHOWN = timedelta(days=30)


def notes_visible_to(user: User, patient: Patient) -> QuerySet[ClinicalNote]:
    """The patient's notes that ``user`` may read, newest first: psychotherapy notes only to their author."""
    rows = ClinicalNote.objects.filter(patient=patient).filter(~Q(kind=NoteKind.PSYCHOTHERAPY) | Q(author=user))
    return rows.select_related("author").order_by("-written_at")


def goals_of(patient: Patient) -> list[Goal]:
    return list(Goal.objects.filter(patient=patient).order_by("status", "review_on"))


def appointments_for_patient(patient: Patient, *, now: datetime | None = None) -> list[Appointment]:
    """The patient's appointments from a month ago onwards, soonest first, cancelled ones left out.

    For the patient's own page: call it with the patient from ``access_own_patient``.
    """
    since = (now or timezone.now()) - PAST_APPOINTMENTS_SHOWN
    rows = Appointment.objects.filter(patient=patient, starts_at__gte=since).exclude(status=AppointmentStatus.CANCELLED)
    return list(rows.order_by("starts_at"))


def pending_suggestions(patients: QuerySet[Patient]) -> list[Suggestion]:
    """Suggestions waiting for review for these (already gated) patients, oldest first."""
    rows = Suggestion.objects.filter(patient__in=patients.values("pk"), state=SuggestionState.PENDING)
    return list(rows.select_related("patient").order_by("created_at"))
