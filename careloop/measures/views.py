"""The patient's check-ins on the web: the list of what is due, and one questionnaire's form.

The form is built from the instrument's data (items, answer options in their order). Where the
licence forbids shipping the wording and the organisation has not supplied its own, the page says
so and shows no form. A submitted form is answered by the same response that stored it, with the
meaning of the score and any safety findings, so crisis help never waits behind a redirect.
Resubmitting (a refresh, a double tap) carries the same idempotency key and stores nothing new.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from careloop.access.gate import access_own_patient
from careloop.accounts.models import Patient, User
from careloop.audit.chain import Actor
from careloop.measures.actions import IdempotencyConflictError, Submission, do_submit_response
from careloop.measures.instrument_schema import Instrument, Item
from careloop.measures.instruments_registry import UnknownInstrumentError, builtin_instruments, find_instrument
from careloop.measures.meaning import score_meaning
from careloop.measures.models import InstrumentWording, ResponseSource
from careloop.measures.queries import check_in_statuses, score_row
from careloop.measures.schedules import Status
from careloop.measures.scoring import ScoringInputError

# Offered to every patient even without a schedule: the quick daily rating and the core measures.
ALWAYS_OFFERED = ("mood_checkin", "phq9", "gad7")
STATUS_LABELS = {
    Status.UPCOMING: gettext_lazy("coming up"), Status.DUE: gettext_lazy("due now"),
    Status.OVERDUE: gettext_lazy("overdue"), Status.MISSED: gettext_lazy("missed"),
    Status.COMPLETED: gettext_lazy("done"),
}


def _patient(request: HttpRequest) -> Patient:
    assert isinstance(request.user, User)  # login_required ran first  # noqa: S101
    return access_own_patient(request.user, via=request)


@require_GET
@login_required
def check_in_list(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    statuses = check_in_statuses(patient)
    scheduled = {status.instrument.id for status in statuses}
    others = [builtin_instruments()[key] for key in ALWAYS_OFFERED if key not in scheduled]
    rows = [(status, STATUS_LABELS[status.status]) for status in statuses]
    context = {"statuses": rows, "others": others, "zone": patient.timezone}
    return render(request, "measures/check_in_list.html", context)


@dataclass(frozen=True)
class Question:
    item: Item
    text: str
    options: list[tuple[int, str]]
    required: bool
    chosen: int | str | None


@require_http_methods(["GET", "POST"])
@login_required
def check_in(request: HttpRequest, instrument: str) -> HttpResponse:
    patient = _patient(request)
    chosen = _instrument(instrument)
    wording = item_wording(chosen, patient)
    if wording is None:
        return render(request, "measures/check_in_unavailable.html", {"instrument": chosen})
    if request.method == "GET":
        return _form(request, chosen, wording, {}, [], str(uuid.uuid4()))
    answers = posted_answers(chosen, request.POST)
    key = request.POST.get("idempotency_key", "")
    errors = _form_problems(answers, key)
    if errors:
        return _form(request, chosen, wording, answers, errors, key or str(uuid.uuid4()), status=400)
    try:
        submission = do_submit_response(patient, chosen, answers, key, actor=Actor.from_request(request),
                                        source=ResponseSource.WEB, submitted_by=patient.user)
    except (ScoringInputError, IdempotencyConflictError) as problem:
        messages = list(problem.errors) if isinstance(problem, ScoringInputError) else [str(problem)]
        return _form(request, chosen, wording, answers, messages, str(uuid.uuid4()), status=400)
    return _result(request, chosen, submission)


def _instrument(name: str) -> Instrument:
    try:
        return find_instrument(name)
    except UnknownInstrumentError:
        raise Http404("no such questionnaire") from None


def item_wording(instrument: Instrument, patient: Patient) -> dict[str, str] | None:
    """Each item's text: the file's own, else the organisation's; None when any item has neither."""
    supplied = dict(
        InstrumentWording.objects.filter(organisation_id=patient.organisation_id, instrument_id=instrument.id)
        .values_list("item_id", "text")
    )
    wording = {item.id: item.text or supplied.get(item.id, "") for item in instrument.items}
    return wording if all(wording.values()) else None


def posted_answers(instrument: Instrument, data: Mapping[str, str]) -> dict[str, int | str | None]:
    """Answers by item id; anything not a whole number is passed on for scoring to name."""
    answers: dict[str, int | str | None] = {}
    for item in instrument.items:
        raw = data.get(f"item-{item.id}", "").strip()
        answers[item.id] = int(raw) if raw.lstrip("-").isdigit() else (raw or None)
    return answers


def _form_problems(answers: Mapping[str, object], key: str) -> list[str]:
    if all(value is None for value in answers.values()):
        return [_("Please answer the questions before sending.")]
    if not key:
        return [_("The form was incomplete. Please try again.")]
    return []


def _form(
    request: HttpRequest, instrument: Instrument, wording: Mapping[str, str],
    answers: Mapping[str, int | str | None], errors: list[str], key: str, *, status: int = 200,
) -> HttpResponse:
    questions = [
        Question(item, wording[item.id], _options(instrument, item), not item.optional, answers.get(item.id))
        for item in instrument.items
    ]
    context = {"instrument": instrument, "questions": questions, "errors": errors, "idempotency_key": key}
    return render(request, "measures/check_in_form.html", context, status=status)


def _options(instrument: Instrument, item: Item) -> list[tuple[int, str]]:
    """Labelled options as printed; a numeric scale with labelled ends shows every number."""
    options = instrument.answer_set(item).options
    if all(option.label for option in options):
        return [(option.value, option.label or "") for option in options]
    return [(o.value, f"{o.value} – {o.label}" if o.label else str(o.value)) for o in options]


def _result(request: HttpRequest, instrument: Instrument, submission: Submission) -> HttpResponse:
    context = {
        "instrument": instrument, "row": score_row(submission.response), "findings": submission.findings,
        "meaning": score_meaning(instrument, submission.response),
    }
    return render(request, "measures/check_in_result.html", context)
