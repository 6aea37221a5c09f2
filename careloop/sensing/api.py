"""Sensor data over the API: Open mHealth data points (`POST /patients/{id}/datapoints`, one point or a
list, validated by `omh.py`, stored synchronously as one import job) and the patient's import jobs.
The patient themself needs the `patient_app` scope; anyone else the gate lets through needs `write`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from ninja import Router

from careloop.access.gate import access_patient
from careloop.accounts.models import User
from careloop.accounts.tokens import Scope
from careloop.api import require_scope
from careloop.audit.chain import Actor
from careloop.consent.models import Purpose
from careloop.sensing import omh
from careloop.sensing.actions import do_create_import_job
from careloop.sensing.ingest import run_batches, start
from careloop.sensing.queries import recent_jobs

router = Router(tags=["sensing"])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # authentication ran first  # noqa: S101
    return request.user


def _problem(status: int, detail: str, errors: list[str] | None = None) -> JsonResponse:
    return JsonResponse({"detail": detail, "errors": errors or []}, status=status)


@router.get("/{uuid:patient_id}/imports")
def list_imports(request: HttpRequest, patient_id: uuid.UUID) -> list[dict[str, Any]]:
    require_scope(request, Scope.READ)
    patient = access_patient(_user(request), patient_id, Purpose.CARE, via=request)
    return [job.counts() for job in recent_jobs(patient)]


@router.post(
    "/{uuid:patient_id}/datapoints",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": ["object", "array"]}}}}},
)
def post_datapoints(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    patient = access_patient(_user(request), patient_id, Purpose.CARE, via=request)
    require_scope(request, Scope.PATIENT_APP if patient.user_id == request.user.pk else Scope.WRITE)
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "the body must be JSON: one Open mHealth data point or a list of them")
    if not isinstance(payload, dict | list):
        return _problem(400, "the body must be one Open mHealth data point or a list of them")
    try:
        points = omh.parse(payload)
    except omh.InvalidDataPointsError as error:
        return _problem(422, f"data points must be one of {omh.accepted()}", error.errors)
    with transaction.atomic():
        job = do_create_import_job(patient, "omh", actor=Actor.from_request(request), created_by=_user(request),
                                   source_name="api")
    start(job)
    job = run_batches(job, omh.tables(points, str(patient.pk)))
    return JsonResponse(job.counts(), status=201)
