"""Import pages for the care team (`/care/patients/<id>/imports/`) and the patient themself
(`/me/imports/`): upload a file, see each job's progress (a small JSON endpoint polled by
`sensing/import-progress.js`; without script the page shows the state at load and the user reloads).
Every read passes the access gate first.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from careloop.access.gate import access_own_patient, access_patient
from careloop.accounts.models import Patient, User
from careloop.audit.chain import Actor
from careloop.consent.models import Purpose
from careloop.consent.models import Stream as ConsentStream
from careloop.sensing.actions import do_upload_import
from careloop.sensing.consent import may_collect
from careloop.sensing.forms import UploadForm
from careloop.sensing.models import ImportJob
from careloop.sensing.queries import recent_jobs
from careloop.sensing.registry import STREAMS


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required ran first  # noqa: S101
    return request.user


@require_http_methods(["GET", "POST"])
@login_required
def care_imports(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = access_patient(_user(request), patient_id, Purpose.CARE, via=request)
    return imports_page(request, patient, reverse("sensing:care_import_status", args=[patient.pk]))


@require_http_methods(["GET", "POST"])
@login_required
def my_imports(request: HttpRequest) -> HttpResponse:
    patient = access_own_patient(_user(request), via=request)
    return imports_page(request, patient, reverse("sensing:my_import_status"))


@require_GET
@login_required
def care_import_status(request: HttpRequest, patient_id: uuid.UUID) -> JsonResponse:
    patient = access_patient(_user(request), patient_id, Purpose.CARE, via=request)
    return JsonResponse({"jobs": [job_status(job) for job in recent_jobs(patient)]})


@require_GET
@login_required
def my_import_status(request: HttpRequest) -> JsonResponse:
    patient = access_own_patient(_user(request), via=request)
    return JsonResponse({"jobs": [job_status(job) for job in recent_jobs(patient)]})


def imports_page(request: HttpRequest, patient: Patient, status_url: str) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None, default_timezone=patient.timezone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        do_upload_import(patient, data["source_format"], data["upload"], actor=Actor.from_request(request),
                         created_by=_user(request), column_mapping=data["column_mapping"])
        messages.success(request, _("The file was received; its import is under way."))
        return redirect(request.path)
    context = {"patient": patient, "form": form, "jobs": recent_jobs(patient), "status_url": status_url,
               "consent": consent_states(patient), "own": patient.user_id == request.user.pk}
    return render(request, "sensing/imports.html", context, status=400 if form.errors else 200)


def consent_states(patient: Patient) -> list[tuple[str, bool]]:
    """Each consent stream sensing stores, labelled, with whether the patient allows collecting it now."""
    used = sorted({spec.consent for spec in STREAMS.values()})
    return [(str(ConsentStream(name).label), may_collect(patient, name)) for name in used]


def job_status(job: ImportJob) -> dict[str, object]:
    return {**job.counts(), "state_label": str(job.get_state_display()), "finished": job.finished}
