"""Shared personas for the whole suite.

Two organisations. In ``org`` there are two care teams: ``team_a`` (clinician Alice) and
``team_b`` (clinician Bob). ``own_patient`` is in team A and can log in; ``other_team_patient``
is in team B. ``other_org_patient`` belongs to another organisation altogether, whose clinician
is Olga. Sam supervises ``org``; Ada administers it; Rui researches in it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from django.test import Client

from careloop.accounts.models import (
    CareTeam,
    CareTeamClinician,
    CareTeamPatient,
    Membership,
    Organisation,
    Patient,
    Role,
    User,
)

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    org: Organisation
    other_org: Organisation
    team_a: CareTeam
    team_b: CareTeam
    alice: User  # clinician, team A
    bob: User  # clinician, team B
    sam: User  # supervisor of org
    ada: User  # admin of org
    rui: User  # researcher in org
    olga: User  # clinician in the other organisation
    patient_user: User  # logs in as own_patient
    own_patient: Patient
    other_team_patient: Patient
    other_org_patient: Patient


def make_user(email: str, org: Organisation, *roles: str) -> User:
    user = User.objects.create_user(email, PASSWORD)
    for role in roles:
        Membership.objects.create(user=user, organisation=org, role=role)
    return user


def make_patient(org: Organisation, team: CareTeam, name: str, user: User | None = None) -> Patient:
    patient = Patient.objects.create(organisation=org, display_name=name, country=org.country, user=user,
                                     timezone="Europe/London")
    CareTeamPatient.objects.create(team=team, patient=patient)
    return patient


def build_world() -> World:
    org = Organisation.objects.create(name="Org", slug="org", country="GB")
    other_org = Organisation.objects.create(name="Elsewhere", slug="elsewhere", country="ES")
    team_a = CareTeam.objects.create(organisation=org, name="A")
    team_b = CareTeam.objects.create(organisation=org, name="B")
    team_x = CareTeam.objects.create(organisation=other_org, name="X")
    alice, bob = make_user("alice@example.org", org, Role.CLINICIAN), make_user("bob@example.org", org, Role.CLINICIAN)
    olga = make_user("olga@example.org", other_org, Role.CLINICIAN)
    for team, clinician in ((team_a, alice), (team_b, bob), (team_x, olga)):
        CareTeamClinician.objects.create(team=team, clinician=clinician)
    patient_user = make_user("pat@example.org", org, Role.PATIENT)
    return World(
        org=org, other_org=other_org, team_a=team_a, team_b=team_b, alice=alice, bob=bob,
        sam=make_user("sam@example.org", org, Role.SUPERVISOR), ada=make_user("ada@example.org", org, Role.ADMIN),
        rui=make_user("rui@example.org", org, Role.RESEARCHER), olga=olga, patient_user=patient_user,
        own_patient=make_patient(org, team_a, "Ownpatient Quill", patient_user),
        other_team_patient=make_patient(org, team_b, "Otherteam Wren"),
        other_org_patient=make_patient(other_org, team_x, "Otherorg Lark"),
    )


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def log_in(client: Client, user: User, *, mfa: bool = True) -> Client:
    """Log ``user`` in on ``client``; staff sessions are marked as having passed MFA."""
    client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    if mfa:
        session = client.session
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "mfa", "at": time.time(), "type": "totp"}]
        session.save()
    return client
