"""Stored check-in windows: kept current by every write, rolled forward, trusted only inside their span,
and answering "overdue or missed?" in SQL exactly as the live computation does."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest
import time_machine
from django.core.management import call_command

from careloop.audit.chain import SYSTEM
from careloop.measures import windows
from careloop.measures.actions import do_set_schedule, do_submit_response
from careloop.measures.models import CheckInWindow, Response, ResponseSource, Schedule
from careloop.measures.queries import schedule_spec
from careloop.measures.schedules import Status, current_window
from tests.conftest import World

pytestmark = pytest.mark.django_db


def london(day: int, hour: int, minute: int = 0) -> datetime:
    """A June 2025 moment given in London wall-clock time (BST, UTC+1)."""
    return datetime(2025, 6, day, tzinfo=UTC) + timedelta(hours=hour - 1, minutes=minute)


def weekly(world: World, instrument: str = "phq9") -> Schedule:
    """Every seven days from Monday 2 June 2025 at 09:00 London time, overdue a day later."""
    return do_set_schedule(world.own_patient, instrument, "every_n_days", {"n": 7, "at": "09:00", "grace_hours": 24},
                           actor=SYSTEM, starts_on=date(2025, 6, 2))


def answer(world: World, at: datetime, key: str = "k") -> None:
    with time_machine.travel(at, tick=False):
        do_submit_response(world.own_patient, "phq9", [1] * 9, key, actor=SYSTEM, source=ResponseSource.WEB)


def test_saving_a_schedule_stores_its_current_window(world: World) -> None:
    with time_machine.travel(london(3, 12), tick=False):
        schedule = weekly(world)
    row = CheckInWindow.objects.get(schedule=schedule)
    assert (row.valid_from, row.valid_until) == (london(2, 0), london(9, 0))
    assert (row.opens_at, row.due_at, row.overdue_at) == (london(2, 0), london(2, 9), london(3, 9))
    assert (row.previous_opens_at, row.previous_due_at, row.latest_response_at) == (None, None, None)


def test_a_response_is_copied_to_its_instruments_window_and_its_deletion_too(world: World) -> None:
    with time_machine.travel(london(3, 12), tick=False):
        schedule = weekly(world)
    answer(world, london(4, 8))
    assert CheckInWindow.objects.get(schedule=schedule).latest_response_at == london(4, 8)
    Response.objects.get().delete()
    assert CheckInWindow.objects.get(schedule=schedule).latest_response_at is None


def test_a_new_time_zone_moves_the_window(world: World) -> None:
    with time_machine.travel(london(3, 12), tick=False):
        schedule = weekly(world)
        world.own_patient.timezone = "America/New_York"
        world.own_patient.save()
    row = CheckInWindow.objects.get(schedule=schedule)
    assert row.due_at == datetime(2025, 6, 2, 13, tzinfo=UTC)  # 09:00 EDT


def test_rolling_forward_rewrites_only_windows_that_no_longer_hold(world: World) -> None:
    with time_machine.travel(london(3, 12), tick=False):
        schedule = weekly(world)
        assert windows.roll_forward() == 0
    with time_machine.travel(london(10, 12), tick=False):
        assert windows.roll_forward() == 1
        assert windows.roll_forward() == 0
    row = CheckInWindow.objects.get(schedule=schedule)
    assert (row.opens_at, row.previous_opens_at, row.previous_due_at) == (london(9, 0), london(2, 0), london(2, 9))


def test_a_window_changed_behind_the_signals_is_reported(world: World) -> None:
    with time_machine.travel(london(3, 12), tick=False):
        schedule = weekly(world)
        CheckInWindow.objects.filter(schedule=schedule).update(due_at=london(2, 10))
        assert windows.wrong(Schedule.objects.all()) == [schedule.pk]
        windows.refresh(Schedule.objects.all())
        assert windows.wrong(Schedule.objects.all()) == []


def test_deleting_a_patient_takes_their_schedules_responses_and_windows(world: World) -> None:
    with time_machine.travel(london(3, 12), tick=False):
        weekly(world)
    answer(world, london(3, 13))
    world.own_patient.delete()
    assert not CheckInWindow.objects.exists()


# Whether a check-in has lapsed: the SQL twins must agree with the Python the live path uses. The weekly
# occurrence of 2 June opens at midnight, is due at 09:00 and overdue from 09:00 on 3 June; the next opens
# on 9 June, when the first becomes the previous one (missed if nothing was answered since it opened).
MOMENTS = [london(2, 8), london(3, 8, 59), london(3, 9), london(5, 12), london(9, 0), london(9, 12), london(10, 9),
           london(11, 12)]
ANSWERS: list[datetime | None] = [None, london(1, 12), london(2, 0), london(2, 9, 30), london(4, 12), london(9, 1),
                                  london(10, 12)]


@pytest.mark.parametrize("answered_at", ANSWERS)
def test_stored_lapse_in_sql_agrees_with_the_live_rule(world: World, answered_at: datetime | None) -> None:
    with time_machine.travel(london(2, 0, 1), tick=False):
        schedule = weekly(world)
    if answered_at is not None:
        answer(world, answered_at)
    for now in MOMENTS:
        windows.refresh(Schedule.objects.all(), now)  # a row that holds now, whenever the answer came
        live = windows.lapse(current_window(schedule_spec(schedule, world.own_patient), now), answered_at, now)
        lapsed = Schedule.objects.filter(windows.stored_lapsed(now), pk=schedule.pk).exists()
        overdue = Schedule.objects.filter(windows.stored_overdue(now), pk=schedule.pk).exists()
        assert (lapsed, overdue) == (live is not None, live is not None and live[0] == Status.OVERDUE), (now, live)


def test_a_patient_who_stopped_answering_shows_overdue_then_missed_until_they_answer(world: World) -> None:
    with time_machine.travel(london(2, 0, 1), tick=False):
        schedule = weekly(world)
    window = partial(current_window, schedule_spec(schedule, world.own_patient))
    assert windows.lapse(window(london(3, 8)), None, london(3, 8)) is None  # due, not yet overdue
    assert windows.lapse(window(london(5, 12)), None, london(5, 12)) == (Status.OVERDUE, london(2, 9))
    assert windows.lapse(window(london(9, 12)), None, london(9, 12)) == (Status.MISSED, london(2, 9))
    assert windows.lapse(window(london(10, 12)), None, london(10, 12)) == (Status.OVERDUE, london(9, 9))
    assert windows.lapse(window(london(10, 12)), london(10, 11), london(10, 12)) is None  # back


def test_an_answer_from_a_clock_running_ahead_counts_once_its_time_has_come(world: World) -> None:
    with time_machine.travel(london(2, 0, 1), tick=False):
        schedule = weekly(world)
    answer(world, london(4, 12))
    window = current_window(schedule_spec(schedule, world.own_patient), london(4, 0))
    assert windows.lapse(window, london(4, 12), london(4, 0)) == (Status.OVERDUE, london(2, 9))
    assert windows.lapse(window, london(4, 12), london(4, 12)) is None


def test_the_remind_command_rolls_windows_forward(world: World) -> None:
    with time_machine.travel(london(3, 12), tick=False):
        weekly(world)
    out = io.StringIO()
    with time_machine.travel(london(10, 12) + timedelta(days=7), tick=False):
        call_command("remind", "--now", stdout=out)
    assert out.getvalue().endswith("; 1 check-in window(s) rolled forward\n")
