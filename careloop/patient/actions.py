"""Writes from the patient's own pages: encouragement and language settings, data-rights requests.

Each saves and audits in one transaction. Consent changes go through ``consent.actions``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from careloop.accounts.models import Patient
from careloop.audit.chain import Actor, record
from careloop.patient.models import DataRightsKind, DataRightsRequest, PatientPreferences


def do_set_goals_preference(patient: Patient, *, enabled: bool, actor: Actor) -> PatientPreferences:
    with transaction.atomic():
        preferences, _ = PatientPreferences.objects.update_or_create(
            patient=patient, defaults={"goals_enabled": enabled, "updated_at": timezone.now()})
        record(actor, "patient_preferences.update", organisation_id=patient.organisation_id, patient_id=patient.pk,
               target=f"patient_preferences:{preferences.pk}")
    return preferences


def do_set_language(patient: Patient, language: str, *, actor: Actor) -> None:
    if language not in {code for code, _ in settings.LANGUAGES}:
        raise ValueError(f"unsupported language {language!r}")
    with transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(language=language)
        record(actor, "patient.language", organisation_id=patient.organisation_id, patient_id=patient.pk,
               target=f"patient:{patient.pk}")


def do_request_data_rights(patient: Patient, kind: str, *, actor: Actor, reason: str = "") -> DataRightsRequest:
    """Record an export or erasure request with its one-month deadline; an open one of a kind is reused."""
    if kind not in DataRightsKind.values:
        raise ValueError(f"unknown request kind {kind!r}")
    with transaction.atomic():
        existing = DataRightsRequest.objects.filter(patient=patient, kind=kind, status="open").first()
        if existing is not None:
            return existing
        request = DataRightsRequest.objects.create(patient=patient, kind=kind, reason=reason.strip()[:2000])
        record(actor, f"data_rights.{kind}_request", organisation_id=patient.organisation_id, patient_id=patient.pk,
               target=f"data_rights_request:{request.pk}")
    return request


def do_record_export(patient: Patient, *, actor: Actor) -> None:
    """A download of the patient's own data is audited like any other read of it."""
    record(actor, "patient.export", organisation_id=patient.organisation_id, patient_id=patient.pk,
           target=f"patient:{patient.pk}")
