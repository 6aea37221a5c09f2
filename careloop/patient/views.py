"""The patient's own pages: home, progress, consent centre, my data, settings.

Every page reads the patient through ``access_own_patient`` and writes through actions; a page for
someone without a patient record answers "not found", like every other patient page.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careloop.access.gate import access_own_patient
from careloop.accounts.models import Patient, User
from careloop.audit.chain import Actor
from careloop.consent.actions import do_record_consent
from careloop.consent.models import ConsentDocument, Purpose
from careloop.consent.queries import current_grants
from careloop.interventions.queries import due_assignments
from careloop.patient import labels, queries
from careloop.patient.actions import (
    do_record_export,
    do_request_data_rights,
    do_set_goals_preference,
    do_set_language,
)
from careloop.patient.export import export_zip
from careloop.patient.middleware import remember_language
from careloop.patient.models import DataRightsKind, DataRightsRequest


def _patient(request: HttpRequest) -> Patient:
    assert isinstance(request.user, User)  # login_required ran first  # noqa: S101
    return access_own_patient(request.user, via=request)


@require_GET
@login_required
def my_overview(request: HttpRequest) -> HttpResponse:
    """What is due, a quick mood check, the next appointment, messages and gentle encouragement."""
    patient = _patient(request)
    today = timezone.now().astimezone(patient.zone()).date()
    context = {
        "patient": patient, "due": queries.due_check_ins(patient), "exercises_due": due_assignments(patient, today),
        "appointment": queries.next_appointment(patient), "cancelled": queries.cancelled_appointments(patient),
        "unread": queries.unread_messages(patient),
        "encouragement": queries.encouragement(patient) if queries.goals_shown(patient) else None,
    }
    return render(request, "patient/home.html", context)


@require_GET
@login_required
def progress(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    series = queries.progress_series(patient)
    chart_data = [{"id": s.instrument_id, "labels": s.labels, "values": s.values, "max": s.max_total} for s in series]
    context = {"series": series, "chart_data": chart_data, "due": queries.due_check_ins(patient)}
    return render(request, "patient/progress.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def consent_centre(request: HttpRequest) -> HttpResponse:
    """Every purpose × stream, each given or withdrawn with one button."""
    patient = _patient(request)
    if request.method == "POST":
        return _change_consent(request, patient)
    state = current_grants(patient)
    purposes = [
        {"code": purpose, "label": labels.PURPOSES[purpose], "summary": labels.PURPOSE_SUMMARIES[purpose],
         "document": _document(patient, purpose),
         "streams": [{"code": stream, "label": labels.STREAMS[stream], "granted": state[(purpose, stream)]}
                     for stream in labels.STREAMS]}
        for purpose in labels.PURPOSES
    ]
    return render(request, "patient/consent.html", {"purposes": purposes, "care_summary": labels.CARE_SUMMARY})


def _document(patient: Patient, purpose: str) -> ConsentDocument | None:
    documents = ConsentDocument.objects.filter(organisation_id=patient.organisation_id, purpose=purpose)
    language = translation.get_language() or "en"
    return (documents.filter(language=language).order_by("-version").first()
            or documents.filter(language="en").order_by("-version").first())


def _change_consent(request: HttpRequest, patient: Patient) -> HttpResponse:
    purpose, stream = request.POST.get("purpose", ""), request.POST.get("stream", "")
    granted = request.POST.get("decision") == "give"
    if purpose not in labels.PURPOSES or stream not in labels.STREAMS or purpose == Purpose.CARE:
        return HttpResponseBadRequest(_("Unknown choice."))
    document = _document(patient, purpose) if granted else None
    if granted and document is None:
        messages.error(request, _("This choice is not open yet. Please ask your care team."))
        return redirect("patient:consent")
    do_record_consent(patient, purpose, stream, granted=granted, actor=Actor.from_request(request),
                      recorded_by=patient.user, document=document)
    text = _("Thank you. You said yes to “%(stream)s” for %(purpose)s.") if granted else _(
        "Done. We have stopped using “%(stream)s” for %(purpose)s.")
    messages.success(request, text % {"stream": labels.STREAMS[stream], "purpose": labels.PURPOSES[purpose]})
    return redirect("patient:consent")


@require_http_methods(["GET", "POST"])
@login_required
def data_rights(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind not in DataRightsKind.values:
            return HttpResponseBadRequest(_("Unknown request."))
        do_request_data_rights(patient, kind, actor=Actor.from_request(request), reason=request.POST.get("reason", ""))
        messages.success(request, _("We have your request. We will answer within one month."))
        return redirect("patient:data_rights")
    context = {
        "requests": DataRightsRequest.objects.filter(patient=patient).order_by("-requested_at"),
        "now": timezone.now(), "erasure_summary": labels.ERASURE_SUMMARY, "export_summary": labels.EXPORT_SUMMARY,
        "kinds": {"export": _("Copy of my data"), "erasure": _("Erase my data")},
        "statuses": {"open": _("Received"), "done": _("Done"), "refused": _("Answered, with reasons")},
    }
    return render(request, "patient/data_rights.html", context)


@require_GET
@login_required
def data_download(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    do_record_export(patient, actor=Actor.from_request(request))
    response = HttpResponse(export_zip(patient), content_type="application/zip")
    stamp = timezone.now().astimezone(patient.zone()).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="careloop-my-data-{stamp}.zip"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def app_settings(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    if request.method == "POST":
        do_set_goals_preference(patient, enabled=request.POST.get("goals") == "on", actor=Actor.from_request(request))
        messages.success(request, _("Your settings are saved."))
        return redirect("patient:settings")
    context = {"goals_on": queries.goals_shown(patient), "org_allows": queries.organisation_allows_goals(patient),
               "languages": settings.LANGUAGES, "current": translation.get_language()}
    return render(request, "patient/settings.html", context)


@require_POST
@login_required
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie, safe redirect), and the choice saved on the patient's profile."""
    from django.views.i18n import set_language as django_set_language

    patient = _patient(request)
    language = request.POST.get("language", "")
    try:
        do_set_language(patient, language, actor=Actor.from_request(request))
    except ValueError:
        return HttpResponseBadRequest(_("Unknown language."))
    remember_language(request, language)
    translation.activate(language)
    return django_set_language(request)
