"""Synthetic names and the demo cast. Every name is invented; none belongs to a real patient."""

from __future__ import annotations

from dataclasses import dataclass

from careloop.accounts.models import Role

GIVEN_NAMES = (
    "Amara", "Bilal", "Carmen", "Dmitri", "Esi", "Farah", "Gwen", "Hiro", "Ines", "Jonah", "Kemi", "Luca",
    "Maya", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tove", "Uma", "Viktor", "Wen", "Yara", "Zane",
)
FAMILY_NAMES = (
    "Adeyemi", "Brennan", "Castillo", "Dubois", "Eriksen", "Fofana", "Garcia", "Haddad", "Ito", "Jensen",
    "Kowalski", "Lindqvist", "Mensah", "Novak", "Okafor", "Petrov", "Rahman", "Santos", "Tanaka", "Varga",
)
DEMO_DOMAIN = "demo.careloop.invalid"
DEMO_PASSWORD = "careloop-demo-2026"  # noqa: S105 - printed demo credential; refused under production


@dataclass(frozen=True)
class StaffMember:
    email: str
    role: str
    teams: tuple[int, ...] = ()


STAFF = (
    StaffMember(f"alex.clinician@{DEMO_DOMAIN}", Role.CLINICIAN, (0,)),
    StaffMember(f"bea.clinician@{DEMO_DOMAIN}", Role.CLINICIAN, (1,)),
    StaffMember(f"chen.clinician@{DEMO_DOMAIN}", Role.CLINICIAN, (0, 1)),
    StaffMember(f"sam.supervisor@{DEMO_DOMAIN}", Role.SUPERVISOR),
    StaffMember(f"ada.admin@{DEMO_DOMAIN}", Role.ADMIN),
    StaffMember(f"rui.researcher@{DEMO_DOMAIN}", Role.RESEARCHER),
)
TEAM_NAMES = ("Depression pathway", "Anxiety pathway")
TRAJECTORIES = ("improving", "stable", "deteriorating")
AT_RISK = "at_risk"
