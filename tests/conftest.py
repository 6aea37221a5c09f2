"""Shared personas for the whole suite.

Two organisations. In ``org`` there are two care teams: ``team_a`` (clinician Alice) and
``team_b`` (clinician Bob). ``own_patient`` is in team A and can log in; ``other_team_patient``
is in team B. ``other_org_patient`` belongs to another organisation altogether, whose clinician
is Olga. Sam supervises ``org``; Ada administers it; Rui researches in it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
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
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
    return client


@pytest.fixture(autouse=True)
def audit_log_can_be_flushed(request: pytest.FixtureRequest) -> Iterator[None]:
    """Let a transactional test's teardown empty the append-only audit table.

    Transactional tests (browser tests with a live server) end with a flush of every table, which
    the audit triggers rightly refuse. The triggers are put back before each such test and
    lifted only for its teardown.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        yield
        return
    request.getfixturevalue("transactional_db")
    _set_audit_triggers(on=True)
    yield
    _set_audit_triggers(on=False)


def _set_audit_triggers(*, on: bool) -> None:
    from django.db import connection

    from tests.audit.tampering import TRIGGERS

    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            cursor.execute(f"ALTER TABLE audit_auditevent {'ENABLE' if on else 'DISABLE'} TRIGGER USER")
            return
        for statement in TRIGGERS.SQLITE_UP if on else TRIGGERS.SQLITE_DOWN:
            verb = "CREATE TRIGGER" if on else "DROP TRIGGER"
            cursor.execute(statement.replace(verb, f"{verb} IF {'NOT ' if on else ''}EXISTS", 1))


@pytest.fixture(autouse=True)
def alert_dispatcher_running(request: pytest.FixtureRequest) -> None:
    """Database tests run as if the safety alert dispatcher had just beaten (as it does every minute).

    Without a heartbeat ``/healthz`` is rightly red; tests of the dead-man's switch itself delete or
    age the row (tests/safety/test_heartbeat.py).
    """
    if request.node.get_closest_marker("django_db") is None and "db" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db" if _is_transactional(request) else "db")
    from django.utils import timezone

    from careloop.safety.models import DispatcherHeartbeat

    DispatcherHeartbeat.objects.update_or_create(pk=1, defaults={"last_run_at": timezone.now(), "undelivered": 0})


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker is not None and marker.kwargs.get("transaction")) or "transactional_db" in request.fixturenames


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Rate limits and used TOTP codes live in the cache; no test inherits another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: pytest.FixtureRequest) -> None:
    """Argon2 is deliberately slow; tests that are not about hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After each database test, every stored caseload fact and check-in window must equal its live computation.

    The caseload ranks by facts stored per patient and refreshed on every save and delete of their
    source rows (careloop/care/facts.py), and finds overdue check-ins through windows stored per
    schedule (careloop/measures/windows.py). A write that bypasses signals (bulk_create, update, raw
    SQL) without calling ``refresh`` would leave a clinician's triage order stale; this makes any
    test that exercises such a write fail. Live-server tests are left out: their server thread may
    still be answering the browser on the shared test connection; so are tests that end inside a
    failed transaction (they test refusals), where no query can run.
    """
    result = yield
    from django.db import connection

    if connection.needs_rollback:
        return result
    marker = item.get_closest_marker("django_db")
    uses_db = marker is not None or "db" in getattr(item, "fixturenames", ())
    if uses_db and not (marker is not None and marker.kwargs.get("transaction")) and (
            "transactional_db" not in getattr(item, "fixturenames", ())):
        from careloop.accounts.models import Patient
        from careloop.care.facts import stale
        from careloop.measures import windows
        from careloop.measures.models import Schedule

        outdated = stale(Patient.objects.all())
        assert not outdated, f"{len(outdated)} patient(s) with stale caseload facts: call careloop.care.facts.refresh"
        wrong = windows.wrong(Schedule.objects.filter(active=True))
        assert not wrong, f"{len(wrong)} check-in window(s) hold now but differ: call careloop.measures.windows.refresh"
    return result


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI every test must run: a skipped test fails the run."""
    import os

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not os.environ.get("CI"):
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped:
        reporter.write_line(f"CI runs every test, but {len(skipped)} were skipped", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
