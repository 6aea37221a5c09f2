"""Patient records over the API; every read goes through the access gate."""

from __future__ import annotations

import uuid
from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema

from careloop.access.gate import access_patient, visible_patients
from careloop.accounts.models import Patient, User
from careloop.accounts.tokens import Scope
from careloop.api import require_scope
from careloop.consent.models import Purpose
from careloop.consent.queries import current_grants

router = Router(tags=["patients"])


class PatientOut(Schema):
    id: uuid.UUID
    display_name: str
    date_of_birth: date | None
    timezone: str
    language: str
    country: str


class ConsentStateOut(Schema):
    purpose: str
    stream: str
    granted: bool


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # authentication ran first  # noqa: S101
    return request.user


def _out(patient: Patient) -> PatientOut:
    return PatientOut(
        id=patient.pk, display_name=patient.display_name, date_of_birth=patient.date_of_birth,
        timezone=patient.timezone, language=patient.language, country=patient.country,
    )


@router.get("/", response=list[PatientOut])
def list_patients(request: HttpRequest) -> list[PatientOut]:
    require_scope(request, Scope.READ)
    return [_out(patient) for patient in visible_patients(_user(request), via=request)]


@router.get("/{uuid:patient_id}", response=PatientOut)
def get_patient(request: HttpRequest, patient_id: uuid.UUID) -> PatientOut:
    require_scope(request, Scope.READ)
    return _out(access_patient(_user(request), patient_id, Purpose.CARE, via=request))


@router.get("/{uuid:patient_id}/consent", response=list[ConsentStateOut])
def get_consent(request: HttpRequest, patient_id: uuid.UUID) -> list[ConsentStateOut]:
    require_scope(request, Scope.READ)
    patient = access_patient(_user(request), patient_id, Purpose.CARE, via=request)
    return [ConsentStateOut(purpose=p, stream=s, granted=g) for (p, s), g in sorted(current_grants(patient).items())]
