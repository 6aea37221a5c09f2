"""Responses over the API: submit one (idempotently) and list a patient's responses.

``POST /api/v1/patients/{id}/responses`` takes ``{"instrument", "answers", "params"?}`` and an
``Idempotency-Key`` header (or an ``idempotency_key`` body field). The access gate runs before the
body is even parsed, so a caller who may not reach the patient learns nothing, not even whether
their body was valid. A retried POST returns the stored response with 200 instead of 201; a key
reused for different answers is 409; answers that do not fit the instrument are 422 with every
problem naming its item.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema, Status
from pydantic import BaseModel, ConfigDict, ValidationError

from careloop.access.gate import access_patient
from careloop.accounts.models import Patient, User
from careloop.accounts.tokens import Scope
from careloop.api import require_scope
from careloop.audit.chain import Actor
from careloop.consent.models import Purpose
from careloop.measures.actions import IdempotencyConflictError, IdempotencyKeyError, Submission, do_submit_response
from careloop.measures.instruments_registry import UnknownInstrumentError, find_instrument
from careloop.measures.meaning import score_meaning
from careloop.measures.models import Response, ResponseSource
from careloop.measures.queries import band_label, instrument_of, responses_of
from careloop.measures.scoring import ScoringInputError

router = Router(tags=["responses"])
MAX_LISTED = 500


class ResponseIn(BaseModel):
    """The submitted body. Answers stay loosely typed here so that scoring names each bad item."""

    model_config = ConfigDict(extra="forbid")

    instrument: str
    answers: dict[str, Any] | list[Any]
    params: dict[str, str | int] = {}
    idempotency_key: str | None = None


class FindingOut(Schema):
    code: str
    severity: str
    message: str
    crisis_resources: list[str]


class ResponseOut(Schema):
    id: uuid.UUID
    instrument: str
    instrument_version: str
    submitted_at: datetime
    source: str
    answers: dict[str, int | None]
    total: int | None
    band: str | None
    band_label: str | None
    caseness: bool | None
    flags: list[str]
    risk_flags: list[str]
    subscales: dict[str, int | None]
    complete: bool


class SubmissionOut(ResponseOut):
    created: bool
    meaning: list[str]
    findings: list[FindingOut]


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # authentication ran first  # noqa: S101
    return request.user


def response_out(response: Response) -> dict[str, Any]:
    return {
        "id": response.pk, "instrument": response.instrument_id, "instrument_version": response.instrument_version,
        "submitted_at": response.submitted_at, "source": response.source, "answers": response.answers,
        "total": response.total, "band": response.band or None,
        "band_label": band_label(instrument_of(response), response.band) or None, "caseness": response.caseness,
        "flags": response.flags, "risk_flags": response.risk_flags, "subscales": response.subscales,
        "complete": response.complete,
    }


def _problem(status: int, detail: str, errors: list[str] | None = None) -> JsonResponse:
    return JsonResponse({"detail": detail, "errors": errors or [detail]}, status=status)


@router.get("/{uuid:patient_id}/responses", response=list[ResponseOut])
def list_responses(request: HttpRequest, patient_id: uuid.UUID, instrument: str | None = None) -> list[dict[str, Any]]:
    require_scope(request, Scope.READ)
    patient = access_patient(_user(request), patient_id, Purpose.CARE, via=request)
    return [response_out(response) for response in responses_of(patient, instrument, limit=MAX_LISTED)]


@router.post(
    "/{uuid:patient_id}/responses", response={200: SubmissionOut, 201: SubmissionOut},
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": ResponseIn.model_json_schema()}}}},
)
def submit_response(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    patient = access_patient(_user(request), patient_id, Purpose.CARE, via=request)
    own = patient.user_id == request.user.pk
    require_scope(request, Scope.PATIENT_APP if own else Scope.WRITE)
    body = _parsed_body(request)
    if isinstance(body, JsonResponse):
        return body
    key = _idempotency_key(request, body)
    if isinstance(key, JsonResponse):
        return key
    return _submitted(request, patient, body, key, ResponseSource.API if own else ResponseSource.CLINICIAN)


def _parsed_body(request: HttpRequest) -> ResponseIn | JsonResponse:
    try:
        raw = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "the body must be JSON")
    if not isinstance(raw, dict):
        return _problem(400, "the body must be a JSON object with instrument and answers")
    try:
        return ResponseIn.model_validate(raw)
    except ValidationError as error:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        return _problem(422, "the body does not match the schema", problems)


def _idempotency_key(request: HttpRequest, body: ResponseIn) -> str | JsonResponse:
    header = request.headers.get("Idempotency-Key", "").strip()
    field = (body.idempotency_key or "").strip()
    if header and field and header != field:
        return _problem(400, "the Idempotency-Key header and the idempotency_key field differ")
    if not (header or field):
        return _problem(400, "an Idempotency-Key header is required, so a retried request stores one response")
    return header or field


def _submitted(request: HttpRequest, patient: Patient, body: ResponseIn, key: str, source: str) -> Any:
    try:
        instrument = find_instrument(body.instrument)
        submission = do_submit_response(
            patient, instrument, body.answers, key, actor=Actor.from_request(request), source=source,
            submitted_by=_user(request), params=body.params,
        )
    except UnknownInstrumentError as error:
        return _problem(422, str(error))
    except ScoringInputError as error:
        return _problem(422, str(error), list(error.errors))
    except IdempotencyConflictError as error:
        return _problem(409, str(error))
    except IdempotencyKeyError as error:
        return _problem(400, str(error))
    return Status(201 if submission.created else 200, _submission_out(submission, instrument))


def _submission_out(submission: Submission, instrument: Any) -> dict[str, Any]:
    findings = [
        {"code": f.code, "severity": f.severity, "message": f.message, "crisis_resources": list(f.crisis_resources)}
        for f in submission.findings
    ]
    return {
        **response_out(submission.response), "created": submission.created, "findings": findings,
        "meaning": [str(sentence) for sentence in score_meaning(instrument, submission.response)],
    }
