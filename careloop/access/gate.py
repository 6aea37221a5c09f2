"""``access_patient`` and its siblings: role, relationship, consent, audit — in one place.

Every read of patient data starts here. Each function checks the user's role and relationship
to the patient, asks consent for any purpose beyond direct care, writes an audit row, and
returns the object — or raises :class:`PatientNotFound`, the same error whether the patient
is missing or forbidden, so nobody can probe which ids exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from careloop.access.models import BreakGlassGrant
from careloop.access.policy import BREAK_GLASS_ROLES, CARE_ACCESS_BY_ROLE, Relationship
from careloop.accounts.models import CareTeamPatient, Membership, Patient, Role, User
from careloop.audit.chain import Actor, record
from careloop.consent.models import Purpose
from careloop.consent.queries import allows


class PatientNotFound(Http404):
    """The patient does not exist or this user may not reach them; deliberately the same."""

    def __init__(self) -> None:
        super().__init__("patient not found")


def access_patient(
    user: User, patient_id: uuid.UUID | str, purpose: str, *, stream: str = "", via: HttpRequest | None = None
) -> Patient:
    """Return the patient if ``user`` may read them for ``purpose``; audit the read either way."""
    actor = Actor(user.pk, None) if via is None else Actor.from_request(via)
    patient = find_patient(patient_id)
    allowed, break_glass = (False, False) if patient is None else _decide(user, patient, purpose, stream)
    pid = patient.pk if patient is not None else None
    org = patient.organisation_id if patient is not None else None
    if not allowed:
        record(actor, "patient.denied", organisation_id=org, patient_id=pid, purpose=purpose)
        raise PatientNotFound
    record(actor, "patient.read", organisation_id=org, patient_id=pid, purpose=purpose, flag=break_glass)
    assert patient is not None  # allowed implies found  # noqa: S101
    return patient


def find_patient(patient_id: uuid.UUID | str) -> Patient | None:
    try:
        return Patient.objects.select_related("organisation").get(pk=uuid.UUID(str(patient_id)))
    except (ValueError, Patient.DoesNotExist):
        return None


def _decide(user: User, patient: Patient, purpose: str, stream: str) -> tuple[bool, bool]:
    """Return (allowed, through break-glass)."""
    if not user.is_active:
        return False, False
    if purpose == Purpose.RESEARCH:
        return False, False  # research never reaches identifiable records
    if purpose != Purpose.CARE and not (stream and allows(patient, purpose, stream)):
        return False, False
    if any(has_relationship(user, patient, rel) for rel in _relationships(user, patient)):
        return True, False
    return _has_break_glass(user, patient), True


def _relationships(user: User, patient: Patient) -> Iterable[Relationship]:
    roles = roles_in_organisation(user, patient.organisation_id)
    return {rel for role in roles if (rel := CARE_ACCESS_BY_ROLE.get(role)) is not None}


def roles_in_organisation(user: User, organisation_id: uuid.UUID) -> set[str]:
    return set(Membership.objects.filter(user=user, organisation_id=organisation_id).values_list("role", flat=True))


def has_relationship(user: User, patient: Patient, relationship: Relationship) -> bool:
    """Tell whether ``user`` stands in ``relationship`` to ``patient``."""
    if relationship is Relationship.SELF:
        return patient.user_id == user.pk
    if relationship is Relationship.CARE_TEAM:
        return patient.care_teams.filter(clinicians=user).exists()
    return True  # ORGANISATION: the role was already found in the patient's organisation


def _has_break_glass(user: User, patient: Patient) -> bool:
    if not roles_in_organisation(user, patient.organisation_id) & BREAK_GLASS_ROLES:
        return False
    return BreakGlassGrant.objects.filter(user=user, patient=patient, expires_at__gt=timezone.now()).exists()


def visible_patients(user: User, purpose: str = Purpose.CARE, *, via: HttpRequest | None = None) -> QuerySet[Patient]:
    """The patients ``user`` may list for direct care (a caseload); the listing is audited."""
    if purpose != Purpose.CARE or not user.is_active:
        return Patient.objects.none()
    memberships = Membership.objects.filter(user=user)
    supervised = memberships.filter(role=Role.SUPERVISOR).values("organisation_id")
    clinician_orgs = memberships.filter(role=Role.CLINICIAN).values("organisation_id")
    patient_orgs = memberships.filter(role=Role.PATIENT).values("organisation_id")
    in_my_teams = CareTeamPatient.objects.filter(team__clinicians=user).values("patient_id")
    rows = Patient.objects.filter(  # subqueries, not joins: no DISTINCT over a large organisation
        Q(user=user, organisation_id__in=patient_orgs)
        | Q(organisation_id__in=supervised)
        | Q(pk__in=in_my_teams, organisation_id__in=clinician_orgs)
    )
    actor = Actor(user.pk, None) if via is None else Actor.from_request(via)
    record(actor, "patient.list", purpose=purpose)
    return rows


def access_own_patient(user: User, *, via: HttpRequest | None = None) -> Patient:
    """The patient record of the logged-in patient themself."""
    own = Patient.objects.filter(user=user).values_list("pk", flat=True).first()
    if own is None:
        raise PatientNotFound
    return access_patient(user, own, Purpose.CARE, via=via)
