"""Appointment reminders: the day before and an hour before, once each, never for a visit that will not happen.

Times are June 2025 in London (BST, UTC+1), the test patients' zone. Default quiet hours are 21:00–08:00.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.conf import LazySettings
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import Patient, User
from careloop.audit.chain import SYSTEM
from careloop.audit.models import AuditEvent
from careloop.care.actions import (
    CareActionError,
    do_book_appointment,
    do_reschedule_appointment,
    do_set_appointment_status,
)
from careloop.care.appointment_reminders import (
    DAY_BEFORE,
    HOUR_BEFORE,
    claim,
    claim_change_notice,
    send_appointment_reminders,
)
from careloop.care.models import Appointment, AppointmentReminder
from careloop.measures.actions import do_set_schedule
from careloop.measures.models import Reminder, ReminderKind, ReminderPolicy
from careloop.measures.reminders import (
    ConsolePushBackend,
    EmailSender,
    InAppSender,
    PushSender,
    ReminderSender,
    send_due_reminders,
)
from careloop.measures.tasks import send_check_in_reminders
from tests.concurrency import race
from tests.conftest import World, log_in

pytestmark = pytest.mark.usefixtures("locmem_email")

VIDEO_LINK = "https://video.example.org/room/7"


@pytest.fixture
def locmem_email(settings: LazySettings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def london(day: int, hour: int, minute: int = 0) -> datetime:
    """A June 2025 moment given in London wall-clock time (BST, UTC+1)."""
    return datetime(2025, 6, day, hour, minute, tzinfo=UTC) - timedelta(hours=1)


def book(world: World, starts_at: datetime, *, patient: Patient | None = None, clinician: User | None = None,
         kind: str = "video") -> Appointment:
    return do_book_appointment(patient or world.own_patient, clinician or world.alice, starts_at, 50, kind,
                               VIDEO_LINK if kind == "video" else "", actor=SYSTEM)


def every_run(first: datetime, last: datetime, step: timedelta = timedelta(minutes=5)) -> list[tuple[datetime, str]]:
    """Run the sender every ``step`` from ``first`` to ``last``, as a timer would; (when, offset) of each send."""
    sent, at = [], first
    while at <= last:
        sent += [(at, reminder.appointment_link.offset) for reminder in send_appointment_reminders(at)]
        at += step
    return sent


def test_an_appointment_is_reminded_the_day_before_and_an_hour_before_once_each(world: World) -> None:
    appointment = book(world, london(10, 14))
    assert every_run(london(8, 12), london(10, 15), timedelta(minutes=10)) == [
        (london(9, 14), "day_before"), (london(10, 13), "hour_before"),
    ]
    reminders = list(Reminder.objects.order_by("due_at"))
    assert [r.due_at for r in reminders] == [london(9, 14), london(10, 13)]
    assert {(r.kind, r.schedule, tuple(r.channels)) for r in reminders} == {
        (ReminderKind.APPOINTMENT, None, ("in_app", "email"))}
    assert [(link.appointment, link.starts_at) for link in AppointmentReminder.objects.all()] == [
        (appointment, london(10, 14))] * 2
    assert [message.to for message in mail.outbox] == [["pat@example.org"]] * 2
    assert AuditEvent.objects.filter(action="reminder.send", patient_id=world.own_patient.pk).count() == 2


def test_the_words_name_no_clinician_patient_time_kind_or_link(world: World) -> None:
    book(world, london(10, 14))
    stream = io.StringIO()
    senders: list[ReminderSender] = [InAppSender(), EmailSender(), PushSender(ConsolePushBackend(stream))]
    send_appointment_reminders(london(9, 14), senders)
    send_appointment_reminders(london(10, 13), senders)
    [day_before, hour_before] = mail.outbox
    shown = [stream.getvalue(), *(f"{m.subject}\n{m.body}" for m in (day_before, hour_before))]
    assert stream.getvalue() == f"push to user {world.patient_user.pk}: You have an appointment coming up\n" * 2
    assert day_before.subject == "You have an appointment coming up"
    assert day_before.body == "You have an appointment coming up. Open Careloop to see the details."
    for text in shown[1:]:
        assert not re.search(r"\d", text)  # no date, time or duration
    for text in shown:
        for secret in (world.alice.email, "alice", VIDEO_LINK, "video.example", "https", "video", "Video",
                       world.own_patient.display_name, "Quill"):
            assert secret not in text


@pytest.mark.parametrize("status", ["cancelled", "attended", "missed"])
def test_an_appointment_that_will_not_happen_is_never_reminded(world: World, status: str) -> None:
    appointment = book(world, london(10, 14))
    do_set_appointment_status(appointment, world.alice, status, actor=SYSTEM)
    assert every_run(london(9, 13), london(10, 15), timedelta(minutes=10)) == []
    assert mail.outbox == []


def test_cancelling_after_the_day_before_reminder_stops_the_hour_before_one(world: World) -> None:
    appointment = book(world, london(10, 14))
    assert len(send_appointment_reminders(london(9, 14))) == 1
    do_set_appointment_status(appointment, world.alice, "cancelled", actor=SYSTEM)
    assert every_run(london(10, 12), london(10, 14)) == []
    assert len(mail.outbox) == 1


def test_a_past_appointment_is_not_reminded(world: World) -> None:
    book(world, london(10, 14))
    book(world, london(2, 9))  # recorded after the event
    assert every_run(london(10, 14), london(11, 14), timedelta(minutes=10)) == []


def test_moving_an_appointment_re_arms_its_reminders_for_the_new_time_only(world: World) -> None:
    appointment = book(world, london(10, 14))
    assert len(send_appointment_reminders(london(9, 14))) == 1  # the day before the old time
    with time_machine.travel(london(9, 15), tick=False):
        do_reschedule_appointment(appointment, world.alice, london(12, 11), actor=SYSTEM)
    assert every_run(london(9, 15), london(12, 12), timedelta(minutes=10)) == [
        (london(9, 15), "change"),  # the patient is told at once (outside quiet hours)
        (london(11, 11), "day_before"), (london(12, 10), "hour_before"),  # and nothing at the old time
    ]
    starts = sorted(AppointmentReminder.objects.values_list("offset", "starts_at"))
    assert starts == [("change", london(12, 11)), ("day_before", london(10, 14)), ("day_before", london(12, 11)),
                      ("hour_before", london(12, 11))]
    assert AuditEvent.objects.filter(action="appointment.reschedule").count() == 1


def test_moving_the_same_day_re_arms_the_hour_before_reminder(world: World) -> None:
    appointment = book(world, london(10, 14))
    assert len(send_appointment_reminders(london(10, 13))) == 1
    do_reschedule_appointment(appointment, world.alice, london(10, 16), actor=SYSTEM)
    assert every_run(london(10, 13), london(10, 16)) == [(london(10, 15), "hour_before")]


def test_only_a_scheduled_appointment_can_be_moved(world: World) -> None:
    appointment = book(world, london(10, 14))
    do_set_appointment_status(appointment, world.alice, "cancelled", actor=SYSTEM)
    with pytest.raises(CareActionError, match="only a scheduled"):
        do_reschedule_appointment(appointment, world.alice, london(12, 14), actor=SYSTEM)
    with pytest.raises(CareActionError, match="only a clinician"):
        do_reschedule_appointment(book(world, london(10, 15)), world.olga, london(12, 14), actor=SYSTEM)


def test_a_claim_made_after_a_cancellation_or_a_move_sends_nothing(world: World) -> None:
    cancelled, moved = book(world, london(10, 14)), book(world, london(10, 15))
    stale_cancelled, stale_moved = Appointment.objects.get(pk=cancelled.pk), Appointment.objects.get(pk=moved.pk)
    do_set_appointment_status(cancelled, world.alice, "cancelled", actor=SYSTEM)
    do_reschedule_appointment(moved, world.alice, london(11, 15), actor=SYSTEM)
    assert claim(stale_cancelled, HOUR_BEFORE, london(10, 13)) is None
    assert claim(stale_moved, HOUR_BEFORE, london(10, 14)) is None
    assert not Reminder.objects.exists()


def test_two_runs_that_both_passed_the_check_store_and_send_one(world: World) -> None:
    """What two workers racing meet: both saw no reminder, both try to store one; the database keeps one."""
    appointment = book(world, london(10, 14))
    first = claim(appointment, DAY_BEFORE, london(9, 14))
    assert first is not None
    assert claim(appointment, DAY_BEFORE, london(9, 14, 1)) is None
    assert claim(appointment, HOUR_BEFORE, london(10, 13)) is not None  # another offset is another reminder
    assert Reminder.objects.count() == AppointmentReminder.objects.count() == 2


def test_the_database_refuses_a_second_reminder_for_one_offset_and_start(world: World) -> None:
    appointment = book(world, london(10, 14))

    def store() -> None:
        with transaction.atomic():
            reminder = Reminder.objects.create(patient=world.own_patient, kind=ReminderKind.APPOINTMENT,
                                               due_at=london(9, 14))
            AppointmentReminder.objects.create(reminder=reminder, appointment=appointment, offset="day_before",
                                               starts_at=london(10, 14))

    store()
    with pytest.raises(IntegrityError):
        store()
    assert AppointmentReminder.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_workers_send_one_reminder(world: World) -> None:
    """Real threads, each with its own connection, all running the sender at the same moment."""
    if connection.vendor == "sqlite":
        # Racing writers cannot interleave on SQLite (IMMEDIATE transactions take the write lock at BEGIN),
        # and its shared in-memory test database refuses rather than waits; the claim path is tested above.
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        return
    book(world, london(10, 14))
    sent = race(lambda: len(send_appointment_reminders(london(9, 14))))
    assert sorted(sent) == [0, 0, 0, 1]
    assert AppointmentReminder.objects.count() == Reminder.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("starts", "quiet", "minutes_before"),
    [
        (time(14), (time(21), time(8)), 60),  # outside quiet hours
        (time(9), (time(21), time(8)), 60),  # at 08:00, as quiet hours end
        (time(8, 30), (time(21), time(8)), 30),  # held until 08:00, which still leaves 30 minutes
        (time(8, 10), (time(21), time(8)), 60),  # waiting until 08:00 would leave 10 minutes: on time
        (time(7, 30), (time(21), time(8)), 60),  # the visit itself is in quiet hours: on time
        (time(0, 30), (time(21), time(8)), 60),  # just after midnight: quiet hours end long after the visit
        (time(9), (time(21), time(9)), 60),  # quiet hours end as the visit starts: on time, at 08:00
        (time(13, 30), (time(12), time(13)), 30),  # daytime quiet hours are waited out too
    ],
)
def test_the_hour_before_reminder_and_quiet_hours(
    world: World, starts: time, quiet: tuple[time, time], minutes_before: int
) -> None:
    ReminderPolicy.objects.create(organisation=world.org, quiet_start=quiet[0], quiet_end=quiet[1], daily_cap=2)
    start = london(10, starts.hour, starts.minute)
    book(world, start)
    assert every_run(start - timedelta(minutes=90), start) == [(start - timedelta(minutes=minutes_before),
                                                                "hour_before")]


def test_the_day_before_reminder_waits_for_quiet_hours_to_end(world: World) -> None:
    book(world, london(10, 7, 30))  # due at 07:30 the day before, inside quiet hours
    assert every_run(london(9, 7), london(9, 12)) == [(london(9, 8), "day_before")]


def test_a_late_evening_booking_wakes_nobody_and_gets_the_hour_before_reminder(world: World) -> None:
    with time_machine.travel(london(9, 22), tick=False):
        book(world, london(10, 9))
    assert every_run(london(9, 22), london(10, 9)) == [(london(10, 8), "hour_before")]


def test_a_booking_inside_the_last_three_hours_gets_only_the_hour_before_reminder(world: World) -> None:
    with time_machine.travel(london(10, 11, 30), tick=False):
        book(world, london(10, 14))
    assert every_run(london(10, 11, 30), london(10, 14)) == [(london(10, 13), "hour_before")]


def daily_check_in(world: World) -> None:
    do_set_schedule(world.own_patient, "phq9", "every_n_days", {"n": 1, "at": "09:00", "grace_hours": 24},
                    actor=SYSTEM, starts_on=date(2025, 6, 1))


def test_the_daily_cap_does_not_hold_an_appointment_reminder(world: World) -> None:
    ReminderPolicy.objects.create(organisation=world.org, daily_cap=1)
    daily_check_in(world)
    assert len(send_due_reminders(london(9, 9, 10))) == 1  # the cap of one is reached
    book(world, london(10, 12))
    assert every_run(london(9, 11), london(9, 13)) == [(london(9, 12), "day_before")]


def test_an_appointment_reminder_counts_towards_the_daily_cap(world: World) -> None:
    ReminderPolicy.objects.create(organisation=world.org, daily_cap=1)
    daily_check_in(world)
    book(world, london(10, 9, 30))
    with time_machine.travel(london(9, 9, 30), tick=False):
        assert send_check_in_reminders.call() == 1  # the appointment's, first; the check-in is then held
    assert Reminder.objects.get().kind == ReminderKind.APPOINTMENT
    assert send_due_reminders(london(9, 20)) == []


def test_the_periodic_command_sends_appointment_reminders(world: World) -> None:
    book(world, london(10, 14))
    out = io.StringIO()
    with time_machine.travel(london(9, 14, 2), tick=False):
        call_command("remind", "--now", stdout=out)
    assert out.getvalue() == "1 reminder(s) sent; 0 check-in window(s) rolled forward\n"
    assert Reminder.objects.get().sent_at == london(9, 14, 2)


def test_a_patient_without_a_log_in_is_reminded_in_the_app_only(world: World) -> None:
    book(world, london(10, 14), patient=world.other_team_patient, clinician=world.bob, kind="phone")
    stream = io.StringIO()
    [reminder] = send_appointment_reminders(london(9, 14), [InAppSender(), PushSender(ConsolePushBackend(stream))])
    assert reminder.channels == ["in_app"]
    assert stream.getvalue() == ""


def test_a_switched_off_account_gets_no_e_mail_or_push(world: World, settings: LazySettings) -> None:
    settings.CARELOOP_REMINDER_CHANNELS = ["email", "push"]
    world.patient_user.is_active = False
    world.patient_user.save(update_fields=["is_active"])
    book(world, london(10, 14))
    [reminder] = send_appointment_reminders(london(9, 14))
    assert reminder.channels == ["in_app"]
    assert mail.outbox == []


def test_the_reminder_is_written_in_the_patient_language(world: World) -> None:
    Patient.objects.filter(pk=world.own_patient.pk).update(language="es")
    book(world, london(10, 14))
    send_appointment_reminders(london(9, 14))
    [message] = mail.outbox
    assert message.subject == "Tienes una cita próximamente"
    assert "Careloop" in message.body


def test_the_appointments_page_moves_an_appointment(world: World) -> None:
    appointment = book(world, london(10, 14))
    url = reverse("care:appointments", args=[world.own_patient.pk])
    move = {"action": "reschedule", "appointment": str(appointment.pk), "starts_at": "2025-06-12T11:00"}
    assert log_in(Client(), world.bob).post(url, move).status_code == 404  # another team's clinician
    assert log_in(Client(), world.patient_user, mfa=False).post(url, move).status_code == 400  # may not act
    assert Appointment.objects.get().starts_at == london(10, 14)
    alice = log_in(Client(), world.alice)
    assert 'value="2025-06-10T14:00"' in alice.get(url).content.decode()  # in the patient's time
    assert alice.post(url, move).status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == london(12, 11)
    assert alice.post(url, {**move, "starts_at": ""}).status_code == 400


def test_the_appointments_page_shows_the_reminders_sent_and_for_which_time(world: World) -> None:
    appointment = book(world, london(10, 14))
    assert [offset for _, offset in every_run(london(9, 14), london(9, 14))] == [DAY_BEFORE.name]
    do_reschedule_appointment(appointment, world.alice, london(12, 11), actor=SYSTEM)
    page = log_in(Client(), world.alice).get(reverse("care:appointments", args=[world.own_patient.pk]))
    html = page.content.decode()
    assert "The day before: 2025-06-09 14:00 (in_app" in html  # in the patient's time, with its channels
    assert "for its earlier time" in html  # sent before the move, for the old start


def move(world: World, appointment: Appointment, to: datetime, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        do_reschedule_appointment(appointment, world.alice, to, actor=SYSTEM)


def test_a_moved_appointment_is_told_once_in_words_that_name_nothing(world: World) -> None:
    appointment = book(world, london(10, 14))
    move(world, appointment, london(12, 11), london(9, 10))
    assert every_run(london(9, 10), london(9, 11)) == [(london(9, 10), "change")]
    [notice] = mail.outbox
    assert notice.subject == "An appointment has changed"
    assert notice.body == ("An appointment with your care team has been moved or cancelled. Open Careloop to see "
                           "the details.")
    assert Reminder.objects.get(kind=ReminderKind.APPOINTMENT_CHANGE).due_at == london(9, 10)  # the change told of


def test_a_cancelled_appointment_is_told_and_one_that_happened_or_was_missed_is_not(world: World) -> None:
    cancelled, attended, missed = (book(world, london(10, 14)) for _ in range(3))
    with time_machine.travel(london(9, 10), tick=False):
        do_set_appointment_status(cancelled, world.alice, "cancelled", actor=SYSTEM)
        do_set_appointment_status(attended, world.alice, "attended", actor=SYSTEM)
        do_set_appointment_status(missed, world.alice, "missed", actor=SYSTEM)
    assert [r.appointment_link.appointment for r in send_appointment_reminders(london(9, 10, 5))] == [cancelled]
    assert send_appointment_reminders(london(9, 10, 10)) == []


def test_each_change_is_told_even_back_to_an_earlier_time(world: World) -> None:
    appointment = book(world, london(10, 14))
    for at, to in ((london(8, 10), london(12, 11)), (london(8, 11), london(10, 14)), (london(8, 12), london(12, 11))):
        move(world, appointment, to, at)
        assert [r.due_at for r in send_appointment_reminders(at)] == [at]
    assert AppointmentReminder.objects.filter(offset="change").count() == 3


def test_moving_to_the_same_time_tells_nothing(world: World) -> None:
    appointment = book(world, london(10, 14))
    move(world, appointment, london(10, 14), london(9, 10))
    assert every_run(london(9, 10), london(9, 11)) == []


def test_a_change_notice_waits_out_quiet_hours_unless_the_visit_is_too_soon_after_them(world: World) -> None:
    later, early = book(world, london(11, 14)), book(world, london(10, 8, 20))
    move(world, later, london(11, 15), london(9, 22))
    do_set_appointment_status(early, world.alice, "cancelled", actor=SYSTEM)
    Appointment.objects.filter(pk=early.pk).update(changed_at=london(9, 22))  # cancelled at 22:00 too
    assert every_run(london(9, 22), london(10, 8, 5)) == [
        (london(9, 22), "change"),  # the 08:20 visit: waiting until 08:00 would leave 20 minutes
        (london(10, 8), "change"),  # the other waits for the end of quiet hours
    ]


def test_a_change_to_a_visit_already_past_is_not_told(world: World) -> None:
    appointment = book(world, london(10, 14))
    move(world, appointment, london(10, 9), london(10, 12))  # recorded after the event
    assert every_run(london(10, 12), london(10, 13)) == []


def test_a_notice_claimed_after_a_newer_change_sends_nothing(world: World) -> None:
    appointment = book(world, london(10, 14))
    move(world, appointment, london(12, 11), london(9, 10))
    stale = Appointment.objects.get(pk=appointment.pk)
    move(world, appointment, london(13, 11), london(9, 11))
    assert claim_change_notice(stale, london(9, 11)) is None
    assert [r.due_at for r in send_appointment_reminders(london(9, 12))] == [london(9, 11)]


def test_the_appointments_page_shows_the_change_notice(world: World) -> None:
    appointment = book(world, london(10, 14))
    move(world, appointment, london(12, 11), london(9, 10))
    send_appointment_reminders(london(9, 10))
    html = log_in(Client(), world.alice).get(reverse("care:appointments", args=[world.own_patient.pk])).content
    assert "Moved or cancelled: 2025-06-09 10:00 (in_app, email)" in html.decode()
