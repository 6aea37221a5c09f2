"""Opening and reviewing break-glass access."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from careloop.access.gate import PatientNotFound, find_patient, roles_in_organisation
from careloop.access.models import BreakGlassGrant
from careloop.access.policy import BREAK_GLASS_ROLES
from careloop.accounts.models import Patient, Role, User
from careloop.audit.chain import Actor, record

MIN_REASON_LENGTH = 10


class BreakGlassError(ValueError):
    """The request for emergency access was incomplete."""


def break_glass_candidate(user: User, patient_id: uuid.UUID | str) -> Patient:
    """The patient ``user`` could open emergency access to; not found unless same organisation and role."""
    patient = find_patient(patient_id)
    if patient is None or not roles_in_organisation(user, patient.organisation_id) & BREAK_GLASS_ROLES:
        raise PatientNotFound
    return patient


def do_open_break_glass(user: User, patient_id: uuid.UUID | str, reason: str, *, via: HttpRequest) -> BreakGlassGrant:
    """Give ``user`` time-limited access to a patient outside their teams; flagged for review."""
    patient = break_glass_candidate(user, patient_id)
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise BreakGlassError(f"give a reason of at least {MIN_REASON_LENGTH} characters")
    minutes = settings.CARELOOP_BREAK_GLASS_MINUTES
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            user=user, patient=patient, reason=reason, expires_at=timezone.now() + timedelta(minutes=minutes)
        )
        record(Actor.from_request(via), "break_glass.open", organisation_id=patient.organisation_id,
               patient_id=patient.pk, purpose="care", target=f"break_glass:{grant.pk}", flag=True)
    return grant


def do_review_break_glass(reviewer: User, grant: BreakGlassGrant, *, via: HttpRequest) -> None:
    """Mark a break-glass use reviewed by a supervisor or admin of the same organisation."""
    org = grant.patient.organisation_id
    if not roles_in_organisation(reviewer, org) & {Role.SUPERVISOR, Role.ADMIN} or reviewer.pk == grant.user_id:
        raise BreakGlassError("only another supervisor or administrator of the organisation may review")
    with transaction.atomic():
        BreakGlassGrant.objects.filter(pk=grant.pk).update(reviewed_at=timezone.now(), reviewed_by=reviewer)
        record(Actor.from_request(via), "break_glass.review", organisation_id=org,
               patient_id=grant.patient_id, target=f"break_glass:{grant.pk}")
