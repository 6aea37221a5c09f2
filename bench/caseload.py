"""Server time of the caseload and of one timeline with 5,000 patients and a year of history each.

Builds (once) an organisation of 5,000 synthetic patients in ten care teams with bulk_create: an open
episode, weekly PHQ-9 and GAD-7 for up to 52 weeks (about 500,000 responses, none in the future; one
patient in five stopped answering three weeks ago, so their check-ins are overdue), two schedules each,
open alerts for one patient in twenty (some overdue), a message thread, notes, and a year of nightly
sleep and steps for one patient in ten. Patients start on different days of a four-week intake, so
their schedules do not share one start date (a shared date would flatter the check-in arithmetic). Then it times,
through Django's test client, the caseload page of the supervisor (all 5,000), of a clinician (one
team, 500) and the timeline of one patient, and prints the median of several requests. SQLite under
var/ by default; PostgreSQL with CARELOOP_DATABASE_URL.

    .venv/bin/python bench/caseload.py [--patients 5000] [--repeat 15] [--rebuild]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DB = REPO / "var" / "bench-caseload.sqlite3"
TEAMS = 10
WEEKS = 52
SLUG = "bench-caseload"
LAPSED_DAYS = 21


def setup(rebuild: bool) -> None:
    sys.path.insert(0, str(REPO))
    if "CARELOOP_DATABASE_URL" not in os.environ:
        if rebuild and DEFAULT_DB.exists():
            DEFAULT_DB.unlink()
        os.environ["CARELOOP_DATABASE_URL"] = f"sqlite:///{DEFAULT_DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)


def build(patients: int) -> None:
    from careloop.accounts.models import Organisation

    if Organisation.objects.filter(slug=SLUG).exists():
        print("reusing the bench organisation already built")
    else:
        started = time.perf_counter()
        world = _people(patients)
        _history(world["patients"], world["clinician"])
        print(f"built {patients} patients with a year of history in {time.perf_counter() - started:.1f} s")
    _store_facts()
    _analyze()


def _analyze() -> None:
    """Planner statistics, as a running database keeps them (autovacuum; SQLite's optimize): a fresh bulk
    load has none, and PostgreSQL then picks nested loops that no live service would see."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _store_facts() -> None:
    """bulk_create sends no signals, so the caseload's stored facts and check-in windows are computed here, timed."""
    from careloop.accounts.models import Patient
    from careloop.care.facts import refresh

    started = time.perf_counter()
    written = refresh(Patient.objects.filter(organisation__slug=SLUG))
    print(f"caseload facts computed for {written} patients in {(time.perf_counter() - started) * 1000:.0f} ms "
          "(what `careloop caseload-facts refresh` does)")
    from careloop.measures import windows
    from careloop.measures.models import Schedule

    started = time.perf_counter()
    written = windows.refresh(Schedule.objects.filter(patient__organisation__slug=SLUG, active=True))
    print(f"check-in windows computed for {written} schedules in {(time.perf_counter() - started) * 1000:.0f} ms "
          "(what `careloop remind` keeps current)")


def _people(count: int) -> dict[str, object]:
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

    org = Organisation.objects.create(name="Bench", slug=SLUG, country="GB")
    teams = [CareTeam.objects.create(organisation=org, name=f"Team {n}") for n in range(TEAMS)]
    supervisor = User.objects.create_user("bench-supervisor@example.org", None)
    clinician = User.objects.create_user("bench-clinician@example.org", None)
    Membership.objects.create(user=supervisor, organisation=org, role=Role.SUPERVISOR)
    Membership.objects.create(user=clinician, organisation=org, role=Role.CLINICIAN)
    CareTeamClinician.objects.create(team=teams[0], clinician=clinician)
    year_ago = datetime.now(tz=UTC) - timedelta(days=366)
    patients = Patient.objects.bulk_create(
        [Patient(organisation=org, display_name=f"Bench Patient {n:05d}", country="GB", timezone="Europe/London",
                 created_at=year_ago) for n in range(count)], batch_size=1000)
    CareTeamPatient.objects.bulk_create(
        [CareTeamPatient(team=teams[n % TEAMS], patient=p, joined_at=year_ago) for n, p in enumerate(patients)],
        batch_size=2000)
    return {"patients": patients, "clinician": clinician}


def _history(patients: list[object], clinician: object) -> None:
    from careloop.care.models import ClinicalNote, NoteKind
    from careloop.measures.models import Episode, Response, Schedule, ScheduleKind
    from careloop.messaging.models import Message, SenderRole, Thread
    from careloop.safety.models import RiskAlert
    from careloop.sensing.models import DailyFeature

    rng = random.Random(5)
    now = datetime.now(tz=UTC)
    start = now - timedelta(days=7 * WEEKS)
    Episode.objects.bulk_create([Episode(patient=p, started_at=_started(start, n)) for n, p in enumerate(patients)],
                                batch_size=2000)
    Schedule.objects.bulk_create(  # as in a real service: each patient's schedules start when they did
        [Schedule(patient=p, instrument_id=i, kind=ScheduleKind.EVERY_N_DAYS, parameters={"n": 7 if n % 3 else 14},
                  starts_on=_started(start, n).date()) for n, p in enumerate(patients) for i in ("phq9", "gad7")],
        batch_size=2000)
    print(f"{_responses(patients, rng, start, now, Response):,} responses")
    RiskAlert.objects.bulk_create([_alert(p, now, rng) for n, p in enumerate(patients) if n % 20 == 0])
    threads = Thread.objects.bulk_create([Thread(patient=p, last_message_at=now) for p in patients], batch_size=2000)
    Message.objects.bulk_create(
        [Message(thread=t, sender=clinician, sender_role=SenderRole.CARE_TEAM if k % 2 else SenderRole.PATIENT,
                 body="How are you getting on this week?", sent_at=now - timedelta(days=rng.randint(1, 60)))
         for t in threads for k in range(4)], batch_size=2000)
    ClinicalNote.objects.bulk_create(
        [ClinicalNote(patient=p, author=clinician, kind=NoteKind.REVIEW, body="Reviewed scores.",
                      written_at=now - timedelta(days=rng.randint(1, 90))) for p in patients[::2]], batch_size=2000)
    DailyFeature.objects.bulk_create(_features(patients[::10], now.date()), batch_size=5000)


def _started(start: datetime, n: int) -> datetime:
    """Patients started on different days of a four-week intake."""
    return start + timedelta(days=n % 28)


def _responses(patients: list[object], rng: random.Random, start: datetime, now: datetime, model: type) -> int:
    """Weekly PHQ-9 and GAD-7 up to now; one patient in five stopped answering three weeks ago."""
    batch: list[object] = []
    stored = 0
    for n, patient in enumerate(patients):
        level, last = rng.randint(4, 20), now - timedelta(days=LAPSED_DAYS if n % 5 == 1 else 0)
        for week in range(WEEKS):
            level = max(0, min(27, level + rng.randint(-2, 2)))
            submitted_at = _started(start, n) + timedelta(days=7 * week, hours=10)
            batch += [model(patient=patient, instrument_id=instrument, instrument_version="1.0.0", answers={},
                            total=total, band=_band(instrument, total), caseness=total >= 10, complete=True,
                            submitted_at=submitted_at, idempotency_key=uuid.uuid4().hex, source="demo")
                      for instrument, total in (("phq9", level), ("gad7", min(21, level * 3 // 4)))
                      if submitted_at <= last]
        if len(batch) >= 20_000:
            stored += len(model.objects.bulk_create(batch))
            batch = []
    return stored + len(model.objects.bulk_create(batch))


def _band(instrument: str, total: int) -> str:
    cuts = ((20, "severe"), (15, "moderately_severe"), (10, "moderate"), (5, "mild"), (0, "none_minimal"))
    if instrument == "gad7":
        cuts = ((15, "severe"), (10, "moderate"), (5, "mild"), (0, "minimal"))
    return next(band for floor, band in cuts if total >= floor)


def _alert(patient: object, now: datetime, rng: random.Random) -> object:
    from careloop.safety.models import RiskAlert

    opened = now - timedelta(hours=rng.randint(1, 72))
    return RiskAlert(patient=patient, organisation_id=patient.organisation_id, severity=rng.choice(  # type: ignore[attr-defined]
        ["high", "moderate", "low"]), source_kind="response", source_key=uuid.uuid4().hex,
        hits=[{"rule_id": "phq9_severe_band", "rule_version": "1.0.0", "severity": "moderate",
               "title": "PHQ-9 severe"}],
        opened_at=opened, deadline_at=opened + timedelta(hours=24), ceiling_at=opened + timedelta(hours=48), ladder=[])


def _features(patients: list[object], today: date) -> list[object]:
    from careloop.sensing.models import DailyFeature

    rows = []
    for patient in patients:
        for back in range(365):
            day = today - timedelta(days=back)
            rows.append(DailyFeature(patient=patient, day=day, name="total_sleep_hours", value=6.5 + (back % 5) / 2,
                                     coverage=0.9, source_stream="sleep", feature_table="sleep_daily",
                                     pipeline_version="bench"))
            rows.append(DailyFeature(patient=patient, day=day, name="steps", value=4000 + 100 * (back % 30),
                                     coverage=0.8, source_stream="steps", feature_table="activity_daily",
                                     pipeline_version="bench"))
    return rows


def client_for(email: str) -> object:
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
    from django.test import Client

    from careloop.accounts.models import User

    user = User.objects.get(email=email)
    client = Client()
    client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "mfa", "at": time.time(), "type": "totp"}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


def timed_ms(client: object, url: str, repeat: int) -> str:
    """Median, fastest and slowest of ``repeat`` requests, after one that warms caches."""
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    counted = times[1:]
    return f"{statistics.median(counted):.0f} ms (fastest {min(counted):.0f}, slowest {max(counted):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true", help="start from an empty SQLite file")
    args = parser.parse_args()
    setup(args.rebuild)
    build(args.patients)
    from django.db import connection

    from careloop.accounts.models import Patient

    patient = Patient.objects.filter(organisation__slug=SLUG, daily_features__isnull=False).first()
    supervisor, clinician = client_for("bench-supervisor@example.org"), client_for("bench-clinician@example.org")
    print(f"database: {connection.vendor}; median of {args.repeat} requests (server time via the test client)")
    print(f"caseload, supervisor ({args.patients} patients): {timed_ms(supervisor, '/care/patients/', args.repeat)}")
    one_team = timed_ms(clinician, "/care/patients/", args.repeat)
    print(f"caseload, clinician ({args.patients // TEAMS} patients): {one_team}")
    url = f"/care/patients/{patient.pk if patient else ''}/timeline/"
    print(f"timeline, one patient (104 scores/year, 730 feature days): {timed_ms(supervisor, url, args.repeat)}")


if __name__ == "__main__":
    main()
