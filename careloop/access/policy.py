"""Who may reach which patient, as data.

Each role names the relationship it needs with a patient for direct care. An administrator
runs the organisation but reads no clinical content unless they are also a clinician; a
researcher never reaches an identifiable record (research uses de-identified extracts). The
policy-matrix test walks every route against this table.
"""

from __future__ import annotations

from enum import Enum

from careloop.accounts.models import Role


class Relationship(Enum):
    SELF = "the patient themself"
    CARE_TEAM = "a clinician in one of the patient's care teams"
    ORGANISATION = "a supervisor in the patient's organisation"


CARE_ACCESS_BY_ROLE: dict[str, Relationship | None] = {
    Role.PATIENT: Relationship.SELF,
    Role.CLINICIAN: Relationship.CARE_TEAM,
    Role.SUPERVISOR: Relationship.ORGANISATION,
    Role.ADMIN: None,
    Role.RESEARCHER: None,
}

# Roles that may open break-glass access to a patient of their own organisation.
BREAK_GLASS_ROLES = frozenset({Role.CLINICIAN, Role.SUPERVISOR})
