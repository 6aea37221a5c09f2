"""Build the synthetic demo organisation, deterministically from a seed.

The same seed always gives the same people, teams, consent history and TOTP secrets, so the
log-ins printed by ``careloop demo`` stay valid across runs and machines.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone

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
from careloop.audit.chain import SYSTEM
from careloop.consent.actions import do_record_consent
from careloop.consent.models import ConsentDocument, Purpose, Stream
from careloop.demo.history import seed_history
from careloop.demo.people import (
    AT_RISK,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    FAMILY_NAMES,
    GIVEN_NAMES,
    STAFF,
    TEAM_NAMES,
    TRAJECTORIES,
)

DEMO_SLUG = "riverside-demo"
PATIENT_COUNT = 40
PATIENTS_WITH_APP_LOGIN = 6
HISTORY_WEEKS = 12
TIMEZONES = ("Europe/London", "Europe/London", "Europe/Madrid", "Asia/Dubai", "America/New_York")
LANGUAGES = {"Europe/London": "en", "Europe/Madrid": "es", "Asia/Dubai": "ar", "America/New_York": "en"}


@dataclass
class DemoLogins:
    staff: list[tuple[str, str, str]] = field(default_factory=list)  # email, role, TOTP secret
    patients: list[tuple[str, str]] = field(default_factory=list)  # email, trajectory
    created: bool = False  # built by this call (False: it already existed)


def totp_secret_for(email: str, seed: int) -> str:
    """A stable base32 TOTP secret derived from the seed and the e-mail (demo only)."""
    digest = hashlib.sha256(f"{seed}:{email}".encode()).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


def build_demo(seed: int) -> DemoLogins:
    """Create the organisation if absent and return its log-ins."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not security
    with transaction.atomic():
        org, created = Organisation.objects.get_or_create(
            slug=DEMO_SLUG, defaults={"name": "Riverside Talking Therapies (demo)", "country": "GB"}
        )
        if created:
            _populate(org, rng, seed)
    logins = _logins(org, seed)
    logins.created = created
    return logins


def _populate(org: Organisation, rng: random.Random, seed: int) -> None:
    teams = [CareTeam.objects.create(organisation=org, name=name) for name in TEAM_NAMES]
    for member in STAFF:
        user = _user(member.email, org, member.role)
        _enrol_mfa(user, totp_secret_for(member.email, seed))
        for index in member.teams:
            CareTeamClinician.objects.create(team=teams[index], clinician=user)
    documents = _consent_documents(org)
    for number in range(PATIENT_COUNT):
        patient = _patient(org, rng, number)
        _join_teams(patient, teams, number)
        _consent_history(patient, documents, rng)
        seed_history(patient, trajectory_of(number), random.Random(f"{seed}:history:{number}"))  # noqa: S311


def _user(email: str, org: Organisation, role: str) -> User:
    user = User.objects.create_user(email, DEMO_PASSWORD)
    Membership.objects.create(user=user, organisation=org, role=role)
    return user


def _enrol_mfa(user: User, secret: str) -> None:
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)


def trajectory_of(number: int) -> str:
    """Patient 0 is the one at risk; the rest cycle through improving, stable, deteriorating."""
    return AT_RISK if number == 0 else TRAJECTORIES[number % len(TRAJECTORIES)]


def patient_email(number: int) -> str:
    return f"patient{number:02d}@{DEMO_DOMAIN}"


def _patient(org: Organisation, rng: random.Random, number: int) -> Patient:
    zone = TIMEZONES[number % len(TIMEZONES)]
    user = _user(patient_email(number), org, Role.PATIENT) if number < PATIENTS_WITH_APP_LOGIN else None
    return Patient.objects.create(
        organisation=org, user=user, display_name=f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}",
        date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55)),
        timezone=zone, language=LANGUAGES[zone], country={"Europe/Madrid": "ES", "Asia/Dubai": "AE",
                                                           "America/New_York": "US"}.get(zone, "GB"),
        gender=rng.choice(("woman", "man", "non_binary", "not_recorded")),
        ethnicity=rng.choice(("white_british", "black_african", "asian_indian", "mixed", "not_recorded")),
        created_at=timezone.now() - timedelta(weeks=HISTORY_WEEKS),
    )


def _join_teams(patient: Patient, teams: list[CareTeam], number: int) -> None:
    CareTeamPatient.objects.create(team=teams[number % 2], patient=patient)
    if number % 10 == 3:  # a few patients are seen by both pathways
        CareTeamPatient.objects.create(team=teams[(number + 1) % 2], patient=patient)


def _consent_documents(org: Organisation) -> dict[str, ConsentDocument]:
    summaries = {
        Purpose.RESEARCH: "We would like to use your answers, without your name, to learn what helps people.",
        Purpose.PERSONALISATION: "We can use your data to pick exercises and reminder times that suit you.",
    }
    return {
        purpose: ConsentDocument.objects.create(
            organisation=org, purpose=purpose, version=1, language="en", title=f"{purpose.label} consent",
            summary=summary, body=summary + " You can change your mind at any time.",
        )
        for purpose, summary in summaries.items()
    }


def _consent_history(patient: Patient, documents: dict[str, ConsentDocument], rng: random.Random) -> None:
    for stream in (Stream.QUESTIONNAIRES, Stream.MOOD, Stream.STEPS, Stream.SLEEP, Stream.LOCATION):
        for purpose, document in documents.items():
            if rng.random() < 0.5:
                do_record_consent(patient, purpose, stream, granted=True, actor=SYSTEM, document=document)
                if rng.random() < 0.15:
                    do_record_consent(patient, purpose, stream, granted=False, actor=SYSTEM)


def _logins(org: Organisation, seed: int) -> DemoLogins:
    logins = DemoLogins(staff=[(m.email, m.role, totp_secret_for(m.email, seed)) for m in STAFF])
    logins.patients = [(patient_email(n), trajectory_of(n)) for n in range(PATIENTS_WITH_APP_LOGIN)]
    return logins
