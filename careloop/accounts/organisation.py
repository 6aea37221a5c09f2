"""What an organisation's administrators and supervisors see of it: people, teams, reviews due.

No clinical content appears here: staff e-mails and roles, team sizes, and the break-glass uses
waiting for someone other than their user to review them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from careloop.access.models import BreakGlassGrant
from careloop.accounts.models import CareTeam, Membership, Organisation, Role, User

OVERSIGHT_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})


@dataclass(frozen=True)
class StaffRow:
    email: str
    roles: tuple[str, ...]
    active: bool


def overseen_organisation(user: User) -> Organisation | None:
    """The organisation ``user`` administers or supervises, if any."""
    membership = (
        Membership.objects.filter(user=user, role__in=OVERSIGHT_ROLES).select_related("organisation").first()
    )
    return membership.organisation if membership is not None else None


def staff_of(organisation_id: uuid.UUID) -> list[StaffRow]:
    roles: dict[User, list[str]] = {}
    rows = Membership.objects.filter(organisation_id=organisation_id).exclude(role=Role.PATIENT)
    for membership in rows.select_related("user").order_by("user__email", "role"):
        roles.setdefault(membership.user, []).append(membership.role)
    return [StaffRow(user.email, tuple(found), user.is_active) for user, found in roles.items()]


def teams_of(organisation_id: uuid.UUID) -> QuerySet[CareTeam]:
    return (
        CareTeam.objects.filter(organisation_id=organisation_id)
        .annotate(clinician_count=Count("clinicians", distinct=True), patient_count=Count("patients", distinct=True))
        .order_by("name")
    )


def break_glass_awaiting_review(organisation_id: uuid.UUID) -> QuerySet[BreakGlassGrant]:
    return (
        BreakGlassGrant.objects.filter(patient__organisation_id=organisation_id, reviewed_at=None)
        .select_related("user")
        .order_by("opened_at")
    )
