"""Clinician pages: the caseload, one patient's overview and timeline, break-glass access.

Views stay thin: the gate returns the patients (``visible_patients``) or the patient (``access_patient``),
``caseload`` and ``timeline`` read everything in a constant number of queries, templates render.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from careloop.access.actions import BreakGlassError, break_glass_candidate, do_open_break_glass
from careloop.access.gate import access_patient, visible_patients
from careloop.accounts.models import CareTeam, Role, User
from careloop.care.caseload import CaseloadFilters, band_choices, caseload_page, instrument_choices
from careloop.care.queries import goals_of
from careloop.care.timeline import timeline_context
from careloop.consent.models import Purpose
from careloop.consent.queries import grant_rows
from careloop.measures.queries import measures_context
from careloop.sensing.queries import daily_features_context


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required ran first  # noqa: S101
    return request.user


def team_choices(user: User) -> list[CareTeam]:
    """The teams a user may filter by: their own, or every team of an organisation they supervise."""
    supervised = user.memberships.filter(role=Role.SUPERVISOR).values("organisation_id")
    rows = CareTeam.objects.filter(Q(clinicians=user) | Q(organisation_id__in=supervised)).distinct()
    return list(rows.order_by("name"))


def _page_link(filters: CaseloadFilters, page: int) -> str:
    raw = {"team": filters.team or "", "alert": filters.alert, "instrument": filters.instrument,
           "band": filters.band, "q": filters.q, "page": page}
    return "?" + urlencode({key: value for key, value in raw.items() if value})


@require_GET
@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    """The caseload: who needs attention first, and why, for every patient the user may list."""
    user = _user(request)
    filters = CaseloadFilters.from_query(request.GET.dict())
    patients = visible_patients(user, via=request).exclude(user=user)
    page = caseload_page(patients, filters, timezone.now())
    context = {
        "page": page, "filters": filters, "teams": team_choices(user), "bands": band_choices(),
        "instruments": instrument_choices(), "alert_states": [("open", _("any open alert")),
                                                              ("overdue", _("an overdue alert")),
                                                              ("none", _("no open alert"))],
        "previous": _page_link(filters, page.page - 1) if page.page > 1 else "",
        "next": _page_link(filters, page.page + 1) if page.page < page.pages else "",
    }
    return render(request, "care/patient_list.html", context)


@require_GET
@login_required
def patient_overview(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    patient = access_patient(user, patient_id, Purpose.CARE, via=request)
    context = {"patient": patient, "grants": grant_rows(patient), **measures_context(patient),
               "goals": goals_of(patient)}
    context.update(daily_features_context(patient))
    return render(request, "care/patient_overview.html", context)


@require_GET
@login_required
def timeline(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Scores, alerts, exercises, messages, appointments, passive data and engagement over time."""
    patient = access_patient(_user(request), patient_id, Purpose.CARE, via=request)
    context = {"patient": patient, **timeline_context(patient, timezone.now())}
    return render(request, "care/timeline.html", context)


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
            messages.warning(request, _("Emergency access opened. It is recorded and will be reviewed."))
            return redirect("care:patient_overview", patient_id=patient_id)
    context = {"patient_id": patient_id, "error": error}
    return render(request, "care/break_glass.html", context, status=400 if error else 200)
