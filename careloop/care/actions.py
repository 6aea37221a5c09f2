"""Writes of the clinician workspace: notes, goals, appointments and decisions on suggestions.

Each action checks that the user holds a clinician or supervisor role in the patient's organisation,
validates, saves and audits in one transaction. Audit rows name the object, never its text. Accepting a
suggestion that carries a patient message sends it through ``messaging.actions`` in the same
transaction; dismissing sends nothing. Every decision needs a reason.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from careloop.accounts.models import Patient, User
from careloop.audit.chain import Actor, record
from careloop.care.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ClinicalNote,
    Goal,
    GoalStatus,
    NoteKind,
    Suggestion,
    SuggestionState,
)
from careloop.messaging.actions import do_send_message
from careloop.messaging.models import SenderRole
from careloop.safety.actions import may_act_on_alerts

MAX_TEXT = 20_000


class CareActionError(ValueError):
    """A workspace change that cannot be made; the message says why in plain words."""


def _require_clinician(user: User, patient: Patient) -> None:
    if not may_act_on_alerts(user, patient):
        raise CareActionError("only a clinician or supervisor of this organisation can do this")


def _text(raw: str, what: str) -> str:
    cleaned = raw.strip()
    if not cleaned:
        raise CareActionError(f"{what} is required")
    if len(cleaned) > MAX_TEXT:
        raise CareActionError(f"{what} may be at most {MAX_TEXT} characters")
    return cleaned


def _audit(actor: Actor, action: str, patient: Patient, target: str) -> None:
    record(actor, action, organisation_id=patient.organisation_id, patient_id=patient.pk, target=target)


def do_write_note(patient: Patient, author: User, kind: str, body: str, *, actor: Actor) -> ClinicalNote:
    """Store a clinical note (encrypted); a psychotherapy note is readable by its author only."""
    _require_clinician(author, patient)
    if kind not in NoteKind.values:
        raise CareActionError("choose the kind of note")
    with transaction.atomic():
        note = ClinicalNote.objects.create(patient=patient, author=author, kind=kind, body=_text(body, "the note"))
        _audit(actor, "clinical_note.write", patient, f"clinical_note:{note.pk}")
    return note


def do_save_goal(patient: Patient, user: User, description: str, review_on: date | None, *, actor: Actor,
                 goal: Goal | None = None, status: str = GoalStatus.ACTIVE) -> Goal:
    """Add a care-plan goal, or change one (its text, review date or status)."""
    _require_clinician(user, patient)
    if review_on is None:
        raise CareActionError("give the date the goal is next reviewed")
    if status not in GoalStatus.values:
        raise CareActionError("unknown goal status")
    with transaction.atomic():
        target = goal or Goal(patient=patient, created_by=user)
        target.description, target.review_on, target.status = _text(description, "the goal"), review_on, status
        target.updated_at = timezone.now()
        target.save()
        _audit(actor, "care_goal.write" if goal is None else "care_goal.change", patient, f"care_goal:{target.pk}")
    return target


def do_book_appointment(patient: Patient, user: User, starts_at: datetime | None, minutes: int, kind: str,
                        video_url: str, *, actor: Actor) -> Appointment:
    """Book an appointment; a video visit needs an https link."""
    _require_clinician(user, patient)
    if starts_at is None:
        raise CareActionError("give the date and time of the appointment")
    url = video_url.strip()
    if kind == AppointmentKind.VIDEO and not url:
        raise CareActionError("a video visit needs its link")
    appointment = Appointment(patient=patient, clinician=user, starts_at=starts_at, minutes=minutes, kind=kind,
                              video_url=url, created_by=user)
    try:
        appointment.full_clean()
    except ValidationError as problem:
        raise CareActionError("; ".join(problem.messages)) from problem
    with transaction.atomic():
        appointment.save()
        _audit(actor, "appointment.book", patient, f"appointment:{appointment.pk}")
    return appointment


def do_reschedule_appointment(appointment: Appointment, user: User, starts_at: datetime | None, *,
                              actor: Actor) -> Appointment:
    """Move a scheduled appointment to a new time; its reminders are re-armed for the new start."""
    _require_clinician(user, appointment.patient)
    if starts_at is None:
        raise CareActionError("give the new date and time of the appointment")
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().select_related("patient").get(pk=appointment.pk)
        if locked.status != AppointmentStatus.SCHEDULED:
            raise CareActionError("only a scheduled appointment can be moved")
        if locked.starts_at != starts_at:
            locked.starts_at, locked.changed_at = starts_at, timezone.now()  # the patient is told (reminder task)
        locked.save(update_fields=["starts_at", "changed_at"])
        _audit(actor, "appointment.reschedule", locked.patient, f"appointment:{locked.pk}")
    return locked


def do_set_appointment_status(appointment: Appointment, user: User, status: str, *, actor: Actor) -> Appointment:
    _require_clinician(user, appointment.patient)
    if status not in AppointmentStatus.values:
        raise CareActionError("unknown appointment status")
    with transaction.atomic():
        if appointment.status == AppointmentStatus.SCHEDULED and status == AppointmentStatus.CANCELLED:
            appointment.changed_at = timezone.now()  # the patient is told (reminder task)
        appointment.status = status
        appointment.save(update_fields=["status", "changed_at"])
        _audit(actor, f"appointment.{status}", appointment.patient, f"appointment:{appointment.pk}")
    return appointment


def do_decide_suggestion(suggestion: Suggestion, user: User, *, accept: bool, reason: str,
                         actor: Actor) -> Suggestion:
    """Accept or dismiss a pending suggestion with a reason; only an accepted one may reach the patient."""
    _require_clinician(user, suggestion.patient)
    why = _text(reason, "a reason")
    with transaction.atomic():
        locked = Suggestion.objects.select_for_update().select_related("patient").get(pk=suggestion.pk)
        if locked.state != SuggestionState.PENDING:
            raise CareActionError("this suggestion was already decided")
        locked.state = SuggestionState.ACCEPTED if accept else SuggestionState.DISMISSED
        locked.decided_by, locked.decided_at, locked.decision_reason = user, timezone.now(), why
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
        _audit(actor, f"suggestion.{'accept' if accept else 'dismiss'}", locked.patient, f"suggestion:{locked.pk}")
        if accept and locked.patient_message:
            do_send_message(locked.patient, user, SenderRole.CARE_TEAM, locked.patient_message, actor=actor)
    return locked
