"""Care-plan, notes, appointments and suggestion-review pages: thin views over ``care.actions``.

Each POST names its action; an unknown action, a bad field or a refused change re-renders the page
with the reason and status 400. Episodes and schedules are written through the measures actions,
which audit them; goals, notes, appointments and decisions through ``care.actions``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from careloop.access.gate import access_patient, visible_patients
from careloop.accounts.models import Patient, User
from careloop.audit.chain import Actor
from careloop.care.actions import (
    CareActionError,
    do_book_appointment,
    do_decide_suggestion,
    do_reschedule_appointment,
    do_save_goal,
    do_set_appointment_status,
    do_write_note,
)
from careloop.care.caseload import CASELOAD_INSTRUMENTS
from careloop.care.models import (
    Appointment,
    AppointmentKind,
    AppointmentReminder,
    AppointmentStatus,
    Goal,
    GoalStatus,
    NoteKind,
    Suggestion,
)
from careloop.care.queries import goals_of, notes_visible_to, pending_suggestions
from careloop.consent.models import Purpose
from careloop.measures.actions import EpisodeError, do_end_episode, do_set_schedule, do_start_episode
from careloop.measures.instruments_registry import UnknownInstrumentError
from careloop.measures.models import Episode, ScheduleKind
from careloop.measures.queries import check_in_statuses
from careloop.measures.schedules import ScheduleParameterError
from careloop.safety.actions import CARE_ROLES, may_act_on_alerts

Handler = Callable[[HttpRequest, User, Patient], None]


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required ran first  # noqa: S101
    return request.user


NO_OBJECT = uuid.UUID(int=0)  # matches no row: a missing or malformed id finds nothing


def _object_id(request: HttpRequest, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(request.POST.get(name, ""))
    except ValueError:
        return NO_OBJECT


def _run(request: HttpRequest, user: User, patient: Patient, handlers: dict[str, Handler]) -> str:
    """Run the POST's action; return the error to show, or "" after success."""
    handler = handlers.get(request.POST.get("action", ""))
    if handler is None:
        return _("Choose what to do.")
    if not may_act_on_alerts(user, patient):
        return _("Only a clinician or supervisor of this organisation can change this.")
    try:
        handler(request, user, patient)
    except (CareActionError, EpisodeError, ScheduleParameterError, UnknownInstrumentError, ValueError) as problem:
        return str(problem)
    messages.success(request, _("Saved."))
    return ""


def _local_date(request: HttpRequest, name: str) -> date | None:
    return parse_date(request.POST.get(name, "").strip())


def _start_episode(request: HttpRequest, user: User, patient: Patient) -> None:
    do_start_episode(patient, actor=Actor.from_request(request), created_by=user,
                     problem_descriptor=request.POST.get("problem_descriptor", "")[:10])


def _end_episode(request: HttpRequest, user: User, patient: Patient) -> None:
    episode = Episode.objects.filter(patient=patient, pk=_object_id(request, "episode"), ended_at__isnull=True).first()
    if episode is None:
        raise CareActionError(_("There is no open episode to end."))
    do_end_episode(episode, actor=Actor.from_request(request))


def _set_schedule(request: HttpRequest, user: User, patient: Patient) -> None:
    kind = request.POST.get("kind", "")
    parameters: dict[str, object] = {}
    if kind == ScheduleKind.EVERY_N_DAYS:
        parameters["n"] = request.POST.get("n", "7")
    elif kind == ScheduleKind.WEEKLY_ON_WEEKDAY:
        parameters["weekday"] = request.POST.get("weekday", "0")
    starts_on = _local_date(request, "starts_on") or timezone.now().astimezone(patient.zone()).date()
    do_set_schedule(patient, request.POST.get("instrument", ""), kind, parameters, actor=Actor.from_request(request),
                    starts_on=starts_on, created_by=user)


def _save_goal(request: HttpRequest, user: User, patient: Patient) -> None:
    goal = Goal.objects.filter(patient=patient, pk=_object_id(request, "goal")).first() if request.POST.get(
        "goal") else None
    do_save_goal(patient, user, request.POST.get("description", ""), _local_date(request, "review_on"),
                 actor=Actor.from_request(request), goal=goal, status=request.POST.get("status", GoalStatus.ACTIVE))


PLAN_ACTIONS: dict[str, Handler] = {
    "start_episode": _start_episode, "end_episode": _end_episode, "set_schedule": _set_schedule,
    "save_goal": _save_goal,
}


@require_http_methods(["GET", "POST"])
@login_required
def care_plan(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Episode, problem descriptor, assigned instruments and schedules, goals and review dates."""
    user = _user(request)
    patient = access_patient(user, patient_id, Purpose.CARE, via=request)
    error = _run(request, user, patient, PLAN_ACTIONS) if request.method == "POST" else ""
    if request.method == "POST" and not error:
        return redirect("care:care_plan", patient_id=patient.pk)
    context = {
        "patient": patient, "error": error, "may_act": may_act_on_alerts(user, patient),
        "episodes": list(Episode.objects.filter(patient=patient).order_by("-started_at")),
        "check_ins": check_in_statuses(patient), "goals": goals_of(patient), "goal_statuses": GoalStatus.choices,
        "instruments": (*CASELOAD_INSTRUMENTS, "who5", "pcl5", "isi", "k10", "mood_checkin"),
        "schedule_kinds": [(ScheduleKind.EVERY_N_DAYS, _("Every n days")),
                           (ScheduleKind.WEEKLY_ON_WEEKDAY, _("Weekly on a weekday"))],
    }
    return render(request, "care/care_plan.html", context, status=400 if error else 200)


def _write_note(request: HttpRequest, user: User, patient: Patient) -> None:
    do_write_note(patient, user, request.POST.get("kind", ""), request.POST.get("body", ""),
                  actor=Actor.from_request(request))


@require_http_methods(["GET", "POST"])
@login_required
def notes(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Clinical notes; psychotherapy notes are shown to their author only."""
    user = _user(request)
    patient = access_patient(user, patient_id, Purpose.CARE, via=request)
    error = _run(request, user, patient, {"write": _write_note}) if request.method == "POST" else ""
    if request.method == "POST" and not error:
        return redirect("care:notes", patient_id=patient.pk)
    context = {"patient": patient, "error": error, "notes": list(notes_visible_to(user, patient)),
               "kinds": NoteKind.choices, "may_act": may_act_on_alerts(user, patient)}
    return render(request, "care/notes.html", context, status=400 if error else 200)


def _local_datetime(request: HttpRequest, patient: Patient) -> datetime | None:
    raw = request.POST.get("starts_at", "").strip()
    starts = parse_datetime(raw) if raw else None
    if starts is not None and timezone.is_naive(starts):
        starts = timezone.make_aware(starts, patient.zone())  # the form asks for the patient's local time
    return starts


def _book(request: HttpRequest, user: User, patient: Patient) -> None:
    minutes = request.POST.get("minutes", "50")
    do_book_appointment(patient, user, _local_datetime(request, patient), int(minutes) if minutes.isdigit() else 50,
                        request.POST.get("kind", AppointmentKind.IN_PERSON), request.POST.get("video_url", ""),
                        actor=Actor.from_request(request))


def _chosen_appointment(request: HttpRequest, patient: Patient) -> Appointment:
    appointment = Appointment.objects.filter(patient=patient, pk=_object_id(request, "appointment")).first()
    if appointment is None:
        raise CareActionError(_("Choose an appointment."))
    return appointment


def _set_status(request: HttpRequest, user: User, patient: Patient) -> None:
    do_set_appointment_status(_chosen_appointment(request, patient), user, request.POST.get("status", ""),
                              actor=Actor.from_request(request))


def _reschedule(request: HttpRequest, user: User, patient: Patient) -> None:
    do_reschedule_appointment(_chosen_appointment(request, patient), user, _local_datetime(request, patient),
                              actor=Actor.from_request(request))


def appointments_with_reminders(patient: Patient) -> list[Appointment]:
    """The patient's appointments, latest first, each with the reminders sent for it (one more query)."""
    sent = AppointmentReminder.objects.select_related("reminder").order_by("reminder__sent_at")
    rows = Appointment.objects.filter(patient=patient).order_by("-starts_at")
    return list(rows.prefetch_related(Prefetch("reminders", queryset=sent)))


@require_http_methods(["GET", "POST"])
@login_required
def appointments(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    patient = access_patient(user, patient_id, Purpose.CARE, via=request)
    handlers: dict[str, Handler] = {"book": _book, "status": _set_status, "reschedule": _reschedule}
    error = _run(request, user, patient, handlers) if request.method == "POST" else ""
    if request.method == "POST" and not error:
        return redirect("care:appointments", patient_id=patient.pk)
    context = {"patient": patient, "error": error, "may_act": may_act_on_alerts(user, patient),
               "appointments": appointments_with_reminders(patient),
               "kinds": AppointmentKind.choices, "statuses": AppointmentStatus.choices}
    return render(request, "care/appointments.html", context, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
@login_required
def suggestion_queue(request: HttpRequest) -> HttpResponse:
    """Rule and model suggestions waiting for a clinician to accept or dismiss, with a reason."""
    user = _user(request)
    if not user.memberships.filter(role__in=CARE_ROLES).exists():
        raise Http404("no suggestion queue for this account")
    patients = visible_patients(user, via=request).exclude(user=user)
    error = _decide(request, user, patients) if request.method == "POST" else ""
    if request.method == "POST" and not error:
        return redirect("care:suggestions")
    context = {"rows": pending_suggestions(patients), "error": error}
    return render(request, "care/suggestions.html", context, status=400 if error else 200)


def _decide(request: HttpRequest, user: User, patients: object) -> str:
    suggestion = Suggestion.objects.filter(pk=_object_id(request, "suggestion"),
                                           patient__in=patients.values("pk")).first()  # type: ignore[attr-defined]
    decision = request.POST.get("decision", "")
    if suggestion is None or decision not in {"accept", "dismiss"}:
        return _("Choose a suggestion and whether to accept or dismiss it.")
    try:
        do_decide_suggestion(suggestion, user, accept=decision == "accept", reason=request.POST.get("reason", ""),
                             actor=Actor.from_request(request))
    except CareActionError as problem:
        return str(problem)
    messages.success(request, _("Decision recorded."))
    return ""
