"""Clinician pages: my patients, one patient's overview, break-glass access."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from careloop.access.actions import BreakGlassError, break_glass_candidate, do_open_break_glass
from careloop.access.gate import access_patient, visible_patients
from careloop.accounts.models import User
from careloop.consent.models import Purpose
from careloop.consent.queries import grant_rows
from careloop.measures.queries import measures_context
from careloop.sensing.queries import daily_features_context


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required ran first  # noqa: S101
    return request.user


@require_GET
@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    patients = visible_patients(user, via=request).exclude(user=user)
    rows = sorted(patients.prefetch_related("care_teams"), key=lambda p: p.display_name.casefold())
    return render(request, "care/patient_list.html", {"patients": rows})


@require_GET
@login_required
def patient_overview(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = access_patient(_user(request), patient_id, Purpose.CARE, via=request)
    context = {"patient": patient, "grants": grant_rows(patient), **measures_context(patient)}
    context.update(daily_features_context(patient))
    return render(request, "care/patient_overview.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def break_glass(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    break_glass_candidate(_user(request), patient_id)
    error = ""
    if request.method == "POST":
        try:
            do_open_break_glass(_user(request), patient_id, request.POST.get("reason", ""), via=request)
        except BreakGlassError as problem:
            error = str(problem)
        else:
            messages.warning(request, "Emergency access opened. It is recorded and will be reviewed.")
            return redirect("care:patient_overview", patient_id=patient_id)
    context = {"patient_id": patient_id, "error": error}
    return render(request, "care/break_glass.html", context, status=400 if error else 200)
