"""The dispatcher under a frozen clock: every rung once, weekends and holidays, failures escalate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from careloop.audit.chain import SYSTEM
from careloop.measures.actions import do_set_schedule
from careloop.safety.actions import do_acknowledge_alert
from careloop.safety.dispatch import dispatch
from careloop.safety.heartbeat import AlertsUndeliveredError, check_alert_dispatcher
from careloop.safety.models import AlertNotification, AlertSource, CoverageHoliday, DispatcherHeartbeat, RiskAlert
from careloop.safety.notify import AlertMessage, EmailSender, Recipient
from tests.conftest import World
from tests.safety.conftest import PHQ9_ITEM9_SEVERAL_DAYS, london, submit

pytestmark = pytest.mark.django_db
CSSRS_RED = {"1": 1, "2": 1, "3": 1, "4": 1, "5": 0, "6": 0}


@dataclass
class RecordingSender:
    """A channel that reaches everyone with a user or a phone and remembers whom it reached."""

    channel: str = "test"
    fail: bool = False
    sent: list[tuple[str, str]] = field(default_factory=list)

    def reaches(self, recipient: Recipient) -> bool:
        return recipient.user is not None or recipient.phone is not None

    def send(self, recipient: Recipient, message: AlertMessage) -> None:
        if self.fail:
            raise ConnectionError("provider down")
        self.sent.append((recipient.role, recipient.key))


def run(at: datetime, sender: RecordingSender) -> list[tuple[str, str]]:
    before = len(sender.sent)
    with time_machine.travel(at, tick=False):
        dispatch(timezone.now(), [sender])
    return sender.sent[before:]


def test_a_red_alert_on_a_saturday_night_walks_every_rung_once(world: World, configured: object) -> None:
    opened = london(2026, 11, 28, 23)
    with time_machine.travel(opened, tick=False):
        submit(world.own_patient, "cssrs_screener", CSSRS_RED)
    sender = RecordingSender()
    sam, bob = f"user:{world.sam.pk}", f"user:{world.bob.pk}"
    assert run(opened, sender) == [("on_call", sam), ("on_call", "phone:on_call")]  # out of hours: not Alice
    assert run(opened + timedelta(minutes=14), sender) == []  # idempotent: nothing twice
    assert run(opened + timedelta(minutes=15), sender) == [("backup", bob), ("supervisor", sam)]
    assert run(opened + timedelta(minutes=30), sender) == [("supervisor", sam), ("on_call", "phone:on_call")]
    assert run(opened + timedelta(minutes=60), sender) == [("supervisor", sam), ("on_call", "phone:on_call")]
    assert run(opened + timedelta(hours=3), sender) == []
    assert sorted(AlertNotification.objects.values_list("rung", flat=True).distinct()) == [0, 1, 2, 3]


def test_a_red_alert_in_hours_pages_the_care_team_first(world: World, configured: object) -> None:
    opened = london(2026, 11, 30, 11)  # Monday
    with time_machine.travel(opened, tick=False):
        submit(world.own_patient, "cssrs_screener", CSSRS_RED)
    sender = RecordingSender()
    assert run(opened, sender) == [("primary", f"user:{world.alice.pk}"), ("on_call", f"user:{world.sam.pk}"),
                                   ("on_call", "phone:on_call")]


def test_an_amber_alert_waits_out_the_weekend_and_the_holiday(world: World, configured: object) -> None:
    CoverageHoliday.objects.create(organisation=world.org, date=london(2026, 11, 30).date(), name="Bank holiday")
    opened = london(2026, 11, 27, 16)  # Friday 16:00; Monday is a holiday
    with time_machine.travel(opened, tick=False):
        submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    sender = RecordingSender()
    assert run(opened, sender) == [("primary", f"user:{world.alice.pk}")]
    assert run(london(2026, 11, 30, 16), sender) == []  # the holiday does not count
    assert RiskAlert.objects.get().deadline_at == london(2026, 12, 1, 16)
    sam, bob = f"user:{world.sam.pk}", f"user:{world.bob.pk}"
    assert run(london(2026, 12, 1, 16), sender) == [("backup", bob), ("supervisor", sam)]
    assert run(london(2026, 12, 2, 11, 59), sender) == []
    assert run(london(2026, 12, 2, 12), sender) == [("supervisor", sam), ("on_call", "phone:on_call")]


def test_acknowledging_stops_the_ladder(world: World, configured: object) -> None:
    opened = london(2026, 11, 28, 23)
    with time_machine.travel(opened, tick=False):
        submit(world.own_patient, "cssrs_screener", CSSRS_RED)
    sender = RecordingSender()
    run(opened, sender)
    with time_machine.travel(opened + timedelta(minutes=5), tick=False):
        do_acknowledge_alert(RiskAlert.objects.get(), world.alice, "Called the patient.", actor=SYSTEM)
    assert run(opened + timedelta(minutes=61), sender) == []


def test_a_failed_delivery_escalates_at_once_instead_of_disappearing(world: World, configured: object) -> None:
    opened = london(2026, 11, 30, 11)
    with time_machine.travel(opened, tick=False):
        submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    broken, working = RecordingSender(channel="sms", fail=True), RecordingSender(channel="email")
    alice_only = _OnlyUser(working, world.bob.pk)
    with time_machine.travel(opened, tick=False):
        report = dispatch(timezone.now(), [broken, alice_only])
    failed = AlertNotification.objects.get(rung=0)
    assert (failed.status, failed.error, failed.role) == ("failed", "ConnectionError", "primary")
    assert AlertNotification.objects.filter(rung=1, status="sent").exists()  # the backup, now, not tomorrow
    assert report.failed >= 1
    assert report.undelivered == 0


@dataclass
class _OnlyUser:
    inner: RecordingSender
    user_id: int
    channel: str = "email"

    def reaches(self, recipient: Recipient) -> bool:
        return recipient.user is not None and recipient.user.pk == self.user_id

    def send(self, recipient: Recipient, message: AlertMessage) -> None:
        self.inner.send(recipient, message)


def test_when_nobody_can_be_reached_the_heartbeat_reports_undelivered(world: World) -> None:
    submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)  # no settings: no backup, no on-call
    report = dispatch(timezone.now(), [RecordingSender(fail=True)])
    assert report.undelivered == 1
    assert DispatcherHeartbeat.objects.get().undelivered == 1
    with pytest.raises(AlertsUndeliveredError):
        check_alert_dispatcher()


def test_email_goes_through_django_mail_without_patient_data(world: World, configured: object) -> None:
    submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    dispatch(timezone.now(), [EmailSender()])
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]
    assert "Amber" in mail.outbox[0].subject
    assert "Ownpatient" not in mail.outbox[0].body
    assert "PHQ" not in mail.outbox[0].body


def test_a_check_in_missed_while_an_amber_alert_is_open_opens_its_own_alert(world: World, configured: object) -> None:
    opened = london(2026, 11, 30, 10)
    with time_machine.travel(opened, tick=False):
        do_set_schedule(world.own_patient, "gad7", "every_n_days", {"n": 1, "at": "12:00", "grace_hours": 2},
                        actor=SYSTEM, starts_on=opened.date())
        submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    sender = RecordingSender()
    run(london(2026, 11, 30, 13), sender)
    assert not RiskAlert.objects.filter(source_kind=AlertSource.MISSED_CHECK_IN).exists()
    run(london(2026, 11, 30, 15), sender)  # due 12:00 + 2 h grace, unanswered
    run(london(2026, 11, 30, 15, 5), sender)
    missed = RiskAlert.objects.get(source_kind=AlertSource.MISSED_CHECK_IN)
    assert (missed.severity, missed.hits[0]["rule_id"]) == ("moderate", "missed_check_in_while_alert_open")
