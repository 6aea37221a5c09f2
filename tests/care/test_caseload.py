"""The caseload: order with reasons in words, filters, search, paging, and a pinned query count."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.models import Patient
from careloop.care import caseload, facts
from careloop.care.models import ClinicalNote, NoteKind
from careloop.measures.models import CheckInWindow, Schedule, ScheduleKind
from careloop.measures.schedules import Status
from tests.care.factories import alert, busy_patient, score
from tests.conftest import World, log_in, make_patient

pytestmark = pytest.mark.django_db
# session, user, roles, the gate's audit row (5), patients with their facts, alerts, schedules, the page's
# teams, the alert list's patients, team choices, session save (3)
CASELOAD_QUERIES = 17


def _page(client: Client, **query: str) -> str:
    return client.get(reverse("care:patient_list"), query).content.decode()


def test_rows_are_ordered_by_urgency_and_say_why(world: World) -> None:
    now = timezone.now()
    calm = make_patient(world.org, world.team_a, "Calm Aster")
    ClinicalNote.objects.create(patient=calm, author=world.alice, kind=NoteKind.CONTACT, body="phoned")
    worse = make_patient(world.org, world.team_a, "Worse Birch")
    score(worse, "phq9", 5, "mild", now - timedelta(days=20))
    from careloop.measures.models import Episode

    Episode.objects.create(patient=worse, started_at=now - timedelta(days=30))
    score(worse, "phq9", 14, "moderate", now - timedelta(days=1))
    overdue = make_patient(world.org, world.team_a, "Overdue Cedar")
    alert(overdue, "low", opened=now - timedelta(days=9), deadline=now - timedelta(hours=1))
    html = _page(log_in(Client(), world.alice))
    assert html.index("Overdue Cedar") < html.index("Worse Birch") < html.index("Calm Aster")
    assert "alert OVERDUE" in html
    assert "PHQ-9 reliably worse since the episode began: 5 → 14" in html
    assert "Nothing needs attention" in html


def test_new_referral_and_no_contact_reasons(world: World) -> None:
    old = make_patient(world.org, world.team_a, "Old Dahlia")
    old.created_at = timezone.now() - timedelta(days=40)
    old.save()
    from careloop.accounts.models import CareTeamPatient

    CareTeamPatient.objects.filter(patient=old).update(joined_at=timezone.now() - timedelta(days=40))
    facts.refresh(Patient.objects.filter(pk=old.pk))  # update() sends no signals
    html = _page(log_in(Client(), world.alice))
    assert "No contact recorded since joining 40 days ago" in html
    assert "New referral: joined 0 days ago, no contact yet" in html  # own_patient joined today


def _overdue_weekly(patient: Patient, now: datetime, instrument: str = "phq9") -> None:
    """A weekly check-in due 09:00 London time three days ago, unanswered since a week before that."""
    due = now.astimezone(ZoneInfo("Europe/London")).date() - timedelta(days=3)
    Schedule.objects.create(patient=patient, instrument_id=instrument, kind=ScheduleKind.EVERY_N_DAYS,
                            parameters={"n": 7}, starts_on=due - timedelta(days=14))
    score(patient, instrument, 6, "mild", now - timedelta(days=10))


def test_an_overdue_check_in_is_a_reason_whether_or_not_its_window_is_stored(world: World) -> None:
    now = timezone.now()
    lapsing = make_patient(world.org, world.team_a, "Lapsing Fern")
    _overdue_weekly(lapsing, now)
    due = f"{now.astimezone(ZoneInfo('Europe/London')).date() - timedelta(days=3):%Y-%m-%d}"
    alice = log_in(Client(), world.alice)
    assert CheckInWindow.objects.filter(schedule__patient=lapsing).exists()
    stored = _page(alice)
    assert f"PHQ-9 overdue (due {due})" in stored
    CheckInWindow.objects.all().delete()  # the live path: no stored window
    assert f"PHQ-9 overdue (due {due})" in _page(alice)
    assert caseload.lapsed_check_ins(Patient.objects.all(), now) == {
        lapsing.pk: [("phq9", Status.OVERDUE, _due_at(due))]}


@time_machine.travel(datetime(2025, 6, 11, 12, tzinfo=UTC), tick=False)  # not near a midnight, whenever run
def test_a_daily_check_in_left_unanswered_shows_as_missed_until_the_patient_answers(world: World) -> None:
    now = timezone.now()
    quiet = make_patient(world.org, world.team_a, "Quiet Juniper")
    today = now.astimezone(ZoneInfo("Europe/London")).date()
    Schedule.objects.create(patient=quiet, instrument_id="mood_checkin", kind=ScheduleKind.EVERY_N_DAYS,
                            parameters={"n": 1}, starts_on=today - timedelta(days=5))
    alice = log_in(Client(), world.alice)
    assert f"Daily mood check-in missed (due {today - timedelta(days=1):%Y-%m-%d})" in _page(alice, q="juniper")
    score(quiet, "mood_checkin", 5, "", now - timedelta(minutes=1))
    assert "missed (due" not in _page(alice, q="juniper")


def test_a_held_window_is_answered_in_sql_without_the_live_path(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    now = timezone.now()
    _overdue_weekly(make_patient(world.org, world.team_a, "Held Laurel"), now)
    computed: list[object] = []

    def counted(rows: list[object], at: datetime) -> dict[object, object]:
        computed.extend(rows)
        return {}

    monkeypatch.setattr(caseload, "live_windows", counted)
    assert len(caseload.lapsed_check_ins(Patient.objects.all(), now)) == 1
    assert computed == []  # every schedule's window held: nothing derived live


def _due_at(local_day: str) -> datetime:
    return datetime.combine(date.fromisoformat(local_day), time(9), tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)


Lapsed = dict[uuid.UUID, list[tuple[str, Status, datetime]]]


def _sorted(lapsed: Lapsed) -> Lapsed:
    """Each patient's lapsed check-ins in one order (the query returns them in any)."""
    return {patient: sorted(found) for patient, found in lapsed.items()}


@time_machine.travel(datetime(2025, 6, 9, 12, tzinfo=UTC), tick=False)  # a Monday: the weekly PHQ-9s are not yet due
def test_stored_and_live_windows_find_the_same_lapsed_check_ins(world: World) -> None:
    now = timezone.now()
    for n in range(6):
        patient = busy_patient(world.org, world.team_a, f"Busy {n}", now - timedelta(days=n))
        if n % 2:
            _overdue_weekly(patient, now, "gad7")
    stored = _sorted(caseload.lapsed_check_ins(Patient.objects.all(), now))
    CheckInWindow.objects.all().delete()
    assert _sorted(caseload.lapsed_check_ins(Patient.objects.all(), now)) == stored
    statuses = sorted((instrument, status) for found in stored.values() for instrument, status, _due in found)
    assert statuses == [("gad7", Status.OVERDUE)] * 3 + [("phq9", Status.MISSED)] * 6  # last week's unanswered


def test_filters_and_name_search(world: World) -> None:
    busy_patient(world.org, world.team_a, "Busy Elm", timezone.now())
    alice = log_in(Client(), world.alice)
    assert "Busy Elm" in _page(alice, q="elm")
    assert "Ownpatient Quill" not in _page(alice, q="elm")
    assert "Ownpatient Quill" in _page(alice, alert="none")
    assert "Busy Elm" not in _page(alice, alert="none")
    assert "Busy Elm" in _page(alice, instrument="phq9", band="moderately_severe")  # PHQ-9 15
    assert "Busy Elm" not in _page(alice, band="severe")


def test_a_supervisor_sees_the_organisation_and_filters_by_team(world: World) -> None:
    sam = log_in(Client(), world.sam)
    html = _page(sam)
    assert "Ownpatient Quill" in html
    assert "Otherteam Wren" in html
    assert "Otherorg Lark" not in html
    only_b = _page(sam, team=str(world.team_b.pk))
    assert "Otherteam Wren" in only_b
    assert "Ownpatient Quill" not in only_b


def test_paging(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caseload, "PAGE_SIZE", 2)
    for n in range(3):
        make_patient(world.org, world.team_a, f"Paged {n}")
    alice = log_in(Client(), world.alice)
    assert "page 1 of 2" in _page(alice)
    assert "page 2 of 2" in _page(alice, page="2")


@pytest.mark.parametrize("patients", [10, 50])
def test_the_caseload_renders_in_a_constant_number_of_queries(
    world: World, patients: int, django_assert_num_queries: Callable[[int], AbstractContextManager[None]]
) -> None:
    now = timezone.now()
    for n in range(patients):
        busy_patient(world.org, world.team_a, f"Patient {n}", now)
    alice = log_in(Client(), world.alice)
    alice.get(reverse("care:patient_list"))  # warm caches (instrument files, key ring)
    with django_assert_num_queries(CASELOAD_QUERIES):
        response = alice.get(reverse("care:patient_list"))
    assert response.status_code == 200
    assert response.content.decode().count('class="caseload-row"') == min(patients + 1, caseload.PAGE_SIZE)

