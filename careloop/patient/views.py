"""The patient's own overview."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from careloop.access.gate import access_own_patient
from careloop.accounts.models import User
from careloop.consent.queries import grant_rows


@require_GET
@login_required
def my_overview(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)  # login_required ran first  # noqa: S101
    patient = access_own_patient(request.user, via=request)
    grants = grant_rows(patient)
    return render(request, "patient/overview.html", {"patient": patient, "grants": grants})
