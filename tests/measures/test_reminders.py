"""The reminder task: once per occurrence, never in quiet hours, never past the daily cap."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.conf import LazySettings
from django.core import mail
from django.core.management import call_command

from careloop.audit.chain import SYSTEM
from careloop.audit.models import AuditEvent
from careloop.measures.actions import do_set_schedule, do_submit_response
from careloop.measures.models import Reminder, ReminderPolicy, ResponseSource
from careloop.measures.reminders import (
    ConsolePushBackend,
    EmailSender,
    InAppSender,
    PushSender,
    ReminderLimits,
    ReminderSender,
    configured_senders,
    in_quiet_hours,
    send_due_reminders,
)
from careloop.measures.tasks import send_check_in_reminders
from tests.conftest import World

pytestmark = pytest.mark.usefixtures("locmem_email")


@pytest.fixture
def locmem_email(settings: LazySettings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def london(day: int, hour: int, minute: int = 0) -> datetime:
    """A June 2025 moment given in London wall-clock time (BST, UTC+1)."""
    return datetime(2025, 6, day, hour - 1, minute, tzinfo=UTC)


def daily(world: World, instrument: str = "phq9", at: str = "09:00", grace_hours: int = 24) -> None:
    do_set_schedule(world.own_patient, instrument, "every_n_days", {"n": 1, "at": at, "grace_hours": grace_hours},
                    actor=SYSTEM, starts_on=date(2025, 6, 1))


def weekly(world: World, instrument: str, at: str = "09:00") -> None:
    do_set_schedule(world.own_patient, instrument, "every_n_days", {"n": 7, "at": at, "grace_hours": 72},
                    actor=SYSTEM, starts_on=date(2025, 6, 2))


def test_a_due_check_in_is_reminded_once_in_app_and_by_generic_email(world: World) -> None:
    daily(world)
    [reminder] = send_due_reminders(london(2, 10))
    assert reminder.channels == ["in_app", "email"]
    assert reminder.due_at == london(2, 9)
    [message] = mail.outbox
    assert message.to == ["pat@example.org"]
    assert "PHQ" not in f"{message.subject} {message.body}"
    assert world.own_patient.display_name not in message.body
    assert send_due_reminders(london(2, 11)) == []
    assert AuditEvent.objects.filter(action="reminder.send", patient_id=world.own_patient.pk).count() == 1


def test_nothing_is_sent_before_the_due_time(world: World) -> None:
    daily(world)
    assert send_due_reminders(london(2, 8, 59)) == []


def test_a_check_in_completed_today_is_not_reminded(world: World) -> None:
    daily(world)
    with time_machine.travel(london(2, 8, 30), tick=False):
        do_submit_response(world.own_patient, "phq9", [0] * 9, "k", actor=SYSTEM, source=ResponseSource.WEB)
    assert send_due_reminders(london(2, 10)) == []
    assert len(send_due_reminders(london(3, 10))) == 1  # tomorrow is another occurrence


def test_quiet_hours_hold_a_reminder_until_they_end(world: World) -> None:
    daily(world, at="20:45", grace_hours=12)  # due 20:45, quiet from 21:00 to 08:00 by default
    assert send_due_reminders(london(2, 21, 30)) == []
    with time_machine.travel(london(2, 23, 59), tick=False):
        assert send_check_in_reminders.call() == 0
    assert len(send_due_reminders(london(2, 20, 50))) == 1


def test_the_organisation_sets_quiet_hours_and_the_cap(world: World) -> None:
    ReminderPolicy.objects.create(organisation=world.org, quiet_start=time(12), quiet_end=time(14), daily_cap=1)
    weekly(world, "phq9")
    weekly(world, "gad7")
    assert send_due_reminders(london(2, 12, 30)) == []
    assert len(send_due_reminders(london(2, 14))) == 1
    assert send_due_reminders(london(2, 18)) == []  # cap of one reached for the local day
    assert len(send_due_reminders(london(3, 9))) == 1  # a new local day


def test_the_default_cap_is_two_reminders_a_local_day(world: World) -> None:
    for instrument in ("phq9", "gad7", "mood_checkin"):
        weekly(world, instrument)
    assert len(send_due_reminders(london(2, 10))) == 2
    assert send_due_reminders(london(2, 20)) == []
    # 23:30 UTC on the 2nd is already the 3rd in London: a new day, but inside quiet hours.
    assert send_due_reminders(datetime(2025, 6, 2, 23, 30, tzinfo=UTC)) == []
    assert len(send_due_reminders(london(3, 8))) == 1


def test_the_task_runs_at_the_frozen_now(world: World) -> None:
    daily(world)
    with time_machine.travel(london(4, 9, 15), tick=False):
        assert send_check_in_reminders.call() == 1
    assert Reminder.objects.get().sent_at == london(4, 9, 15)


def test_the_command_runs_the_task_in_process(world: World) -> None:
    daily(world)
    out = io.StringIO()
    with time_machine.travel(london(4, 10), tick=False):
        call_command("remind", "--now", stdout=out)
    assert out.getvalue() == "1 reminder(s) sent; 1 check-in window(s) rolled forward\n"


@pytest.mark.parametrize(
    ("local", "quiet"),
    [(time(20, 59), False), (time(21), True), (time(23, 59), True), (time(0), True), (time(7, 59), True),
     (time(8), False)],
)
def test_quiet_hours_may_span_midnight(local: time, quiet: bool) -> None:
    assert in_quiet_hours(local, ReminderLimits(time(21), time(8), 2)) is quiet


def test_equal_quiet_ends_mean_no_quiet_hours() -> None:
    assert not in_quiet_hours(time(3), ReminderLimits(time(0), time(0), 2))


def test_push_goes_through_its_backend_and_names_only_the_user(world: World) -> None:
    daily(world)
    stream = io.StringIO()
    [reminder] = send_due_reminders(london(2, 10), [InAppSender(), PushSender(ConsolePushBackend(stream))])
    assert reminder.channels == ["in_app", "push"]
    assert stream.getvalue() == f"push to user {world.patient_user.pk}: A check-in is waiting for you\n"


def test_channels_come_from_settings_with_in_app_always_first(settings: LazySettings) -> None:
    settings.CARELOOP_REMINDER_CHANNELS = ["push", "email"]
    assert [sender.channel for sender in configured_senders()] == ["in_app", "push", "email"]


def test_a_failing_mail_server_leaves_the_in_app_reminder(world: World, settings: LazySettings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens
    daily(world)
    [reminder] = send_due_reminders(london(2, 10), [InAppSender(), EmailSender()])
    assert reminder.channels == ["in_app"]


def test_a_patient_without_a_log_in_gets_in_app_only(world: World) -> None:
    do_set_schedule(world.other_team_patient, "phq9", "every_n_days", {"n": 1}, actor=SYSTEM,
                    starts_on=date(2025, 6, 1))
    stream = io.StringIO()
    senders: list[ReminderSender] = [InAppSender(), EmailSender(), PushSender(ConsolePushBackend(stream))]
    [reminder] = send_due_reminders(london(2, 10), senders)
    assert reminder.channels == ["in_app"]
    assert mail.outbox == []
    assert stream.getvalue() == ""
