"""Message pages: the care team's view of one patient's thread and the patient's own thread.

Both read through the access gate and write through ``actions.do_send_message``. Opening a thread marks
it read for that participant only. A patient whose message contains crisis language sees crisis help in
the same response (the alert was opened in the send's transaction).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from careloop.access.gate import access_own_patient, access_patient
from careloop.accounts.models import Patient, User
from careloop.audit.chain import Actor
from careloop.consent.models import Purpose
from careloop.messaging.actions import MessageError, Sent, do_mark_read, do_send_message, thread_of
from careloop.messaging.models import SenderRole
from careloop.messaging.queries import expected_reply_days, thread_rows
from careloop.safety.actions import may_act_on_alerts
from careloop.safety.queries import help_now
from careloop.safety.rules import strongest


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required ran first  # noqa: S101
    return request.user


def _send(request: HttpRequest, patient: Patient, role: str) -> tuple[Sent | None, str]:
    try:
        sent = do_send_message(patient, _user(request), role, request.POST.get("body", ""),
                               actor=Actor.from_request(request))
    except MessageError as problem:
        return None, str(problem)
    return sent, ""


def _page(request: HttpRequest, patient: Patient, extra: dict[str, object]) -> dict[str, object]:
    rows = thread_rows(patient, _user(request))  # read state as it was when the page was asked for
    do_mark_read(thread_of(patient), _user(request))
    return {"patient": patient, "rows": rows, "zone": patient.timezone, **extra}


@require_http_methods(["GET", "POST"])
@login_required
def clinician_thread(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """The care team reads and answers one patient's thread."""
    user = _user(request)
    patient = access_patient(user, patient_id, Purpose.CARE, via=request)
    may_send = may_act_on_alerts(user, patient)
    error = ""
    if request.method == "POST":
        sent, error = _send(request, patient, SenderRole.CARE_TEAM) if may_send else (
            None, _("Only the care team can write here."))
        if sent is not None:
            messages.success(request, _("Message sent."))
            return redirect("messaging:clinician_thread", patient_id=patient.pk)
    context = _page(request, patient, {"error": error, "may_send": may_send})
    return render(request, "messaging/clinician_thread.html", context, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
@login_required
def my_messages(request: HttpRequest) -> HttpResponse:
    """The patient writes to and reads from their care team."""
    patient = access_own_patient(_user(request), via=request)
    error, found_help = "", None
    if request.method == "POST":
        sent, error = _send(request, patient, SenderRole.PATIENT)
        if sent is not None and not sent.hits:
            messages.success(request, _("Message sent to your care team."))
            return redirect("messaging:my_messages")
        severity = strongest(sent.hits) if sent is not None else None
        found_help = help_now(patient, severity, None, timezone.now()) if severity is not None else None
    context = _page(request, patient, {"error": error, "help": found_help,
                                          "reply_days": expected_reply_days(patient)})
    return render(request, "messaging/my_messages.html", context, status=400 if error else 200)
