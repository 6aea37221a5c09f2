"""Safety pages: the patient's safety plan and help page, the clinician's alert queue, alerts and plan.

Every page reads through the access gate and writes through ``actions``. The patient's plan page
(``/me/safety-plan/``) is built to become available offline in the patient app (a later issue): it
renders from the one latest plan version with no per-request state beyond the CSRF token, so a service
worker can cache its GET; it is still sent ``no-store`` today, like every page with patient data.
A patient who opens a care-team page about themself sees it read-only (the gate allows self-access).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from careloop.access.gate import access_own_patient, access_patient, visible_patients
from careloop.accounts.models import Patient, User
from careloop.audit.chain import Actor
from careloop.consent.models import Purpose
from careloop.safety.actions import (
    CARE_ROLES,
    SafetyActionError,
    do_acknowledge_alert,
    do_cosign_safety_plan,
    do_resolve_alert,
    do_save_safety_plan,
    may_act_on_alerts,
)
from careloop.safety.models import PlanAuthor, RiskAlert
from careloop.safety.plan import SECTION_FIELDS
from careloop.safety.queries import help_now, latest_plan, open_alert_rows, patient_alert_rows, plan_summary
from careloop.safety.schema import Severity


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required ran first  # noqa: S101
    return request.user


def _sections(request: HttpRequest) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in SECTION_FIELDS}


@require_http_methods(["GET", "POST"])
@login_required
def my_plan(request: HttpRequest) -> HttpResponse:
    """The patient writes their own plan; each save is a new version for the clinician to co-sign."""
    patient = access_own_patient(_user(request), via=request)
    error = ""
    if request.method == "POST":
        try:
            do_save_safety_plan(patient, _sections(request), author=_user(request), author_role=PlanAuthor.PATIENT,
                                actor=Actor.from_request(request))
        except SafetyActionError as problem:
            error = str(problem)
        else:
            messages.success(request, _("Your safety plan is saved."))
            return redirect("safety:my_plan")
    context = {"patient": patient, "plan": plan_summary(patient), "error": error}
    return render(request, "safety/my_plan.html", context, status=400 if error else 200)


@require_GET
@login_required
def my_help(request: HttpRequest) -> HttpResponse:
    """Crisis numbers, the safety plan and who is watching, whenever the patient wants them."""
    patient = access_own_patient(_user(request), via=request)
    found_help = help_now(patient, Severity.LOW, None, timezone.now())
    return render(request, "safety/my_help.html", {"help": found_help, "standalone": True})


@require_GET
@login_required
def alert_queue(request: HttpRequest) -> HttpResponse:
    """Open alerts of every patient the user may list, most urgent first; overdue derived now."""
    user = _user(request)
    organisations = set(user.memberships.filter(role__in=CARE_ROLES).values_list("organisation_id", flat=True))
    if not organisations:
        raise Http404("no alert queue for this account")
    patients = list(visible_patients(user, via=request).filter(organisation_id__in=organisations).exclude(user=user))
    rows = open_alert_rows(patients, timezone.now())
    return render(request, "safety/alert_queue.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@login_required
def patient_alerts(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """One patient's alerts; clinicians acknowledge or resolve them here with a note."""
    user = _user(request)
    patient = access_patient(user, patient_id, Purpose.CARE, via=request)
    error = ""
    if request.method == "POST":
        error = _act_on_alert(request, user, patient)
        if not error:
            return redirect("safety:patient_alerts", patient_id=patient.pk)
    context = {
        "patient": patient, "rows": patient_alert_rows(patient, timezone.now()), "error": error,
        "may_act": may_act_on_alerts(user, patient), "plan": plan_summary(patient),
    }
    return render(request, "safety/patient_alerts.html", context, status=400 if error else 200)


def _act_on_alert(request: HttpRequest, user: User, patient: Patient) -> str:
    alert_id = _uuid(request.POST.get("alert", ""))
    alert = RiskAlert.objects.filter(patient=patient, pk=alert_id).first() if alert_id else None
    action = {"acknowledge": do_acknowledge_alert, "resolve": do_resolve_alert}.get(request.POST.get("action", ""))
    if alert is None or action is None:
        return _("Choose an alert and whether to acknowledge or resolve it.")
    try:
        action(alert, user, request.POST.get("note", ""), actor=Actor.from_request(request))
    except SafetyActionError as problem:
        return str(problem)
    messages.success(request, _("Saved. The note is stored with the alert."))
    return ""


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
@login_required
def clinician_plan(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """The clinician reads, edits (a new version) and co-signs the patient's plan."""
    user = _user(request)
    patient = access_patient(user, patient_id, Purpose.CARE, via=request)
    error = _plan_post(request, user, patient) if request.method == "POST" else ""
    if request.method == "POST" and not error:
        return redirect("safety:clinician_plan", patient_id=patient.pk)
    context = {"patient": patient, "plan": plan_summary(patient), "error": error,
               "may_act": may_act_on_alerts(user, patient)}
    return render(request, "safety/clinician_plan.html", context, status=400 if error else 200)


def _plan_post(request: HttpRequest, user: User, patient: Patient) -> str:
    actor = Actor.from_request(request)
    try:
        if not may_act_on_alerts(user, patient):
            raise SafetyActionError(_("Only a clinician or supervisor can change or co-sign the plan here."))
        if request.POST.get("action") == "cosign":
            latest = latest_plan(patient)
            if latest is None:
                raise SafetyActionError(_("There is no plan to co-sign yet."))
            do_cosign_safety_plan(latest, user, actor=actor)
        elif request.POST.get("action") == "save":
            do_save_safety_plan(patient, _sections(request), author=user, author_role=PlanAuthor.CLINICIAN, actor=actor)
        else:
            raise SafetyActionError(_("Choose to save or to co-sign the plan."))
    except SafetyActionError as problem:
        return str(problem)
    messages.success(request, _("The safety plan is updated."))
    return ""
