"""The patient's exercises: the list of modules, and one module to read and complete.

A completed exercise is stored through ``do_complete_exercise``, which screens what the patient wrote
for risk in the same transaction; where the screen finds risk the answer page shows crisis help at once.
Forms carry an idempotency key, so a resend (or an answer queued offline) is stored once.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET, require_http_methods

from careloop.access.gate import access_own_patient
from careloop.accounts.models import Patient, User
from careloop.audit.chain import Actor
from careloop.interventions.actions import ExerciseInputError, do_complete_exercise
from careloop.interventions.content import Module, UnknownModuleError, get_module, list_modules
from careloop.interventions.markdown import render_markdown
from careloop.interventions.queries import due_assignments
from careloop.safety.queries import help_now
from careloop.safety.schema import Severity


def _patient(request: HttpRequest) -> Patient:
    assert isinstance(request.user, User)  # login_required ran first  # noqa: S101
    return access_own_patient(request.user, via=request)


def _language() -> str:
    return translation.get_language() or "en"


@require_GET
@login_required
def exercise_list(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    today = timezone.now().astimezone(patient.zone()).date()
    assigned = {a.module_id for a in due_assignments(patient, today)}
    modules = list_modules(_language())
    return render(request, "interventions/exercise_list.html", {"modules": modules, "assigned": assigned})


@require_http_methods(["GET", "POST"])
@login_required
def exercise(request: HttpRequest, module: str) -> HttpResponse:
    patient = _patient(request)
    try:
        chosen = get_module(module, _language())
    except UnknownModuleError:
        raise Http404("no such exercise") from None
    if request.method == "GET" or chosen.kind != "exercise":
        return _page(request, chosen, {}, {}, str(uuid.uuid4()))
    answers = {field.name: request.POST.get(field.name, "") for field in chosen.fields}
    for field in chosen.fields:
        if field.type == "checklist":
            answers[field.name] = ",".join(request.POST.getlist(field.name))
    key = request.POST.get("idempotency_key", "") or request.headers.get("Idempotency-Key", "")
    try:
        done = do_complete_exercise(patient, chosen, answers, key, actor=Actor.from_request(request))
    except ExerciseInputError as problem:
        return _page(request, chosen, answers, problem.problems, key or str(uuid.uuid4()), status=400)
    found_help = help_now(patient, Severity(done.alert.severity), None, timezone.now()) if done.alert else None
    return render(request, "interventions/exercise_done.html", {"module": chosen, "help": found_help})


def _page(request: HttpRequest, module: Module, answers: dict[str, str], problems: dict[str, str], key: str,
          *, status: int = 200) -> HttpResponse:
    context = {"module": module, "body": render_markdown(module.body), "answers": answers, "problems": problems,
               "idempotency_key": key, "shown_language": module.language,
               "fallback": module.language != _language().split("-")[0]}
    return render(request, "interventions/exercise.html", context, status=status)
