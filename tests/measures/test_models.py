"""The database itself guards the invariants the actions rely on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from careloop.measures.models import Episode, Reminder, ReminderKind, Schedule
from tests.conftest import World

START = datetime(2025, 1, 6, 9, tzinfo=UTC)


def refused(create: object) -> bool:
    try:
        with transaction.atomic():
            create()  # type: ignore[operator]
    except IntegrityError:
        return True
    return False


def test_a_patient_has_at_most_one_open_episode(world: World) -> None:
    Episode.objects.create(patient=world.own_patient, started_at=START, ended_at=START + timedelta(days=1))
    Episode.objects.create(patient=world.own_patient, started_at=START)
    assert refused(lambda: Episode.objects.create(patient=world.own_patient, started_at=START))
    assert not refused(lambda: Episode.objects.create(patient=world.other_team_patient, started_at=START))


def test_an_episode_cannot_end_before_it_starts(world: World) -> None:
    assert refused(lambda: Episode.objects.create(patient=world.own_patient, started_at=START,
                                                  ended_at=START - timedelta(seconds=1)))


def test_one_active_schedule_per_patient_and_instrument(world: World) -> None:
    def schedule(active: bool = True, instrument: str = "phq9") -> Schedule:
        return Schedule.objects.create(patient=world.own_patient, instrument_id=instrument, kind="once",
                                       starts_on=date(2025, 1, 1), active=active)

    schedule()
    schedule(active=False)
    schedule(instrument="gad7")
    assert refused(schedule)


def test_one_reminder_per_occurrence(world: World) -> None:
    schedule = Schedule.objects.create(patient=world.own_patient, instrument_id="phq9", kind="once",
                                       starts_on=date(2025, 1, 1))
    Reminder.objects.create(patient=world.own_patient, schedule=schedule, due_at=START)
    assert refused(lambda: Reminder.objects.create(patient=world.own_patient, schedule=schedule, due_at=START))


def test_only_a_check_in_reminder_names_a_schedule(world: World) -> None:
    schedule = Schedule.objects.create(patient=world.own_patient, instrument_id="phq9", kind="once",
                                       starts_on=date(2025, 1, 1))
    patient = world.own_patient
    assert refused(lambda: Reminder.objects.create(patient=patient, kind=ReminderKind.CHECK_IN, due_at=START))
    assert refused(lambda: Reminder.objects.create(patient=patient, kind=ReminderKind.APPOINTMENT, schedule=schedule,
                                                   due_at=START))
    assert not refused(lambda: Reminder.objects.create(patient=patient, kind=ReminderKind.APPOINTMENT, due_at=START))
    assert not refused(lambda: Reminder.objects.create(patient=patient, kind=ReminderKind.APPOINTMENT, due_at=START))


@pytest.mark.parametrize("model", [Episode, Schedule, Reminder])
def test_rows_describe_themselves_without_patient_content(model: type[object]) -> None:
    assert "patient" not in str(model())
