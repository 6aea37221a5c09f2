"""Reminders: which check-in occurrences to remind about now, and the channels that carry any reminder.

A reminder only *adds* a nudge: whether a check-in is due, overdue or missed is derived at read time
(``schedules.py``) and shown in the app whether or not this ever runs. A run looks at each active
schedule's current occurrence and reminds once per occurrence (a unique row guards against two runs
or two workers), never in the organisation's quiet hours and never more than its daily cap, both
read in the patient's own time zone. Channels are pluggable: in-app always (the ``Reminder`` row is
the in-app notice), e-mail through Django's mail, push through a backend interface whose default
writes to the console. Messages never name the questionnaire or anything else about the patient.

``deliver`` is the one sending path: appointment reminders (``care.appointment_reminders``) store their
own ``Reminder`` row and hand it to the same function, channels and audit.
"""

from __future__ import annotations

import smtplib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol, TextIO

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from careloop.accounts.models import Patient
from careloop.audit.chain import SYSTEM, record
from careloop.measures.models import Reminder, ReminderKind, ReminderPolicy, Response, Schedule
from careloop.measures.queries import schedule_spec
from careloop.measures.schedules import Occurrence, Status, current_occurrence, local_instant, start_of_day

DEFAULT_CHANNELS = ("in_app", "email")
DEFAULT_PUSH_BACKEND = "careloop.measures.reminders.ConsolePushBackend"


@dataclass(frozen=True)
class ReminderLimits:
    quiet_start: time
    quiet_end: time
    daily_cap: int


def limits_for(patient: Patient) -> ReminderLimits:
    """The organisation's quiet hours and daily cap, or the defaults when it has set none."""
    policy = ReminderPolicy.objects.filter(organisation_id=patient.organisation_id).first()
    if policy is None:
        return ReminderLimits(ReminderPolicy.DEFAULT_QUIET_START, ReminderPolicy.DEFAULT_QUIET_END,
                              ReminderPolicy.DEFAULT_DAILY_CAP)
    return ReminderLimits(policy.quiet_start, policy.quiet_end, policy.daily_cap)


def in_quiet_hours(local: time, limits: ReminderLimits) -> bool:
    """Quiet hours may run past midnight (21:00–08:00); equal ends mean none."""
    start, end = limits.quiet_start, limits.quiet_end
    if start == end:
        return False
    return start <= local < end if start < end else (local >= start or local < end)


def quiet_hours_end(now: datetime, patient: Patient, limits: ReminderLimits) -> datetime:
    """The next moment, at or after ``now``, when the patient's local clock reads the end of quiet hours."""
    zone = patient.zone()
    today = now.astimezone(zone).date()
    end = local_instant(today, limits.quiet_end, zone)
    return end if end >= now else local_instant(today + timedelta(days=1), limits.quiet_end, zone)


def under_daily_cap(patient: Patient, now: datetime, limits: ReminderLimits) -> bool:
    """Fewer reminders of any kind than the cap so far on the patient's local day."""
    local = now.astimezone(patient.zone())
    day_start = start_of_day(local.date(), patient.zone())
    day_end = start_of_day(local.date() + timedelta(days=1), patient.zone())
    sent_today = Reminder.objects.filter(patient=patient, sent_at__gte=day_start, sent_at__lt=day_end).count()
    return sent_today < limits.daily_cap


class ReminderSender(Protocol):
    channel: str

    def send(self, patient: Patient, reminder: Reminder) -> bool:
        """Deliver the reminder; True when this channel carried it."""


class InAppSender:
    channel = "in_app"

    def send(self, patient: Patient, reminder: Reminder) -> bool:
        return True  # the stored Reminder row is what the app shows


def reminder_text(kind: str = ReminderKind.CHECK_IN) -> tuple[str, str]:
    """Subject and body: deliberately generic, so a lock screen or shared inbox reveals nothing.

    An appointment reminder names no clinician, time, place, kind of visit or video link: the patient
    opens the app, signed in, to see them.
    """
    if kind == ReminderKind.APPOINTMENT:
        return _("You have an appointment coming up"), _("You have an appointment coming up. Open Careloop to "
                                                         "see the details.")
    if kind == ReminderKind.APPOINTMENT_CHANGE:
        return _("An appointment has changed"), _("An appointment with your care team has been moved or "
                                                  "cancelled. Open Careloop to see the details.")
    return _("A check-in is waiting for you"), _("You have a check-in waiting in Careloop. Open the app to answer it.")


class EmailSender:
    channel = "email"

    def send(self, patient: Patient, reminder: Reminder) -> bool:
        if patient.user is None or not patient.user.email or not patient.user.is_active:
            return False
        subject, body = reminder_text(reminder.kind)
        try:
            send_mail(subject, body, None, [patient.user.email])
        except (smtplib.SMTPException, OSError):
            return False  # the in-app reminder still stands; the next occurrence tries again
        return True


class PushBackend(Protocol):
    def push(self, user_id: int, title: str, body: str) -> bool:
        """Send one notification to every device of ``user_id``; True when accepted."""


class ConsolePushBackend:
    """Development push: prints who would be notified (a user id, never patient data)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def push(self, user_id: int, title: str, body: str) -> bool:
        self.stream.write(f"push to user {user_id}: {title}\n")
        return True


class PushSender:
    channel = "push"

    def __init__(self, backend: PushBackend | None = None) -> None:
        path = getattr(settings, "CARELOOP_PUSH_BACKEND", DEFAULT_PUSH_BACKEND)
        self.backend: PushBackend = backend or import_string(path)()

    def send(self, patient: Patient, reminder: Reminder) -> bool:
        user = patient.user
        return user is not None and user.is_active and self.backend.push(user.pk, *reminder_text(reminder.kind))


SENDERS: dict[str, type[InAppSender | EmailSender | PushSender]] = {
    "in_app": InAppSender, "email": EmailSender, "push": PushSender,
}


def configured_senders() -> list[ReminderSender]:
    """In-app always, then the channels named in ``CARELOOP_REMINDER_CHANNELS``."""
    names = ["in_app", *getattr(settings, "CARELOOP_REMINDER_CHANNELS", DEFAULT_CHANNELS)]
    return [SENDERS[name]() for name in dict.fromkeys(names)]


def send_due_reminders(now: datetime, senders: Sequence[ReminderSender] | None = None) -> list[Reminder]:
    """Remind about every due or overdue occurrence that may be reminded about now."""
    chosen = list(senders) if senders is not None else configured_senders()
    schedules = Schedule.objects.filter(active=True).select_related("patient", "patient__user").order_by("pk")
    sent = [remind(schedule, now, chosen) for schedule in schedules]
    return [reminder for reminder in sent if reminder is not None]


def remind(schedule: Schedule, now: datetime, senders: Sequence[ReminderSender]) -> Reminder | None:
    patient = schedule.patient
    occurrence = current_occurrence(schedule_spec(schedule, patient), now)
    if occurrence is None or not _waiting(schedule, occurrence, now) or not _may_remind(patient, now):
        return None
    reminder = _claim(schedule, occurrence, now)
    return None if reminder is None else deliver(reminder, senders)


def deliver(reminder: Reminder, senders: Sequence[ReminderSender]) -> Reminder:
    """Carry a stored reminder through each channel, in the patient's language; keep which carried it; audit.

    The caller stores the row first (unique per occurrence or appointment offset), so a racing run finds
    it and sends nothing. A channel that cannot reach the patient (no log-in, no e-mail address, an
    account switched off) or fails is left out; the in-app reminder always stands.
    """
    patient = reminder.patient
    with translation.override(patient.language):
        reminder.channels = [sender.channel for sender in senders if sender.send(patient, reminder)]
    reminder.save(update_fields=["channels"])
    record(SYSTEM, "reminder.send", organisation_id=patient.organisation_id, patient_id=patient.pk,
           target=f"reminder:{reminder.pk}")
    return reminder


def _waiting(schedule: Schedule, occurrence: Occurrence, now: datetime) -> bool:
    submitted = Response.objects.filter(
        patient=schedule.patient, instrument_id=schedule.instrument_id, submitted_at__gte=occurrence.opens_at,
    ).values_list("submitted_at", flat=True)
    return occurrence.status(now, submitted) in {Status.DUE, Status.OVERDUE}


def _may_remind(patient: Patient, now: datetime) -> bool:
    limits = limits_for(patient)
    quiet = in_quiet_hours(now.astimezone(patient.zone()).time(), limits)
    return not quiet and under_daily_cap(patient, now, limits)


def _claim(schedule: Schedule, occurrence: Occurrence, now: datetime) -> Reminder | None:
    """Store the reminder before sending, so a racing run finds it and sends nothing."""
    if Reminder.objects.filter(schedule=schedule, due_at=occurrence.due_at).exists():
        return None
    try:
        with transaction.atomic():
            return Reminder.objects.create(
                patient=schedule.patient, schedule=schedule, due_at=occurrence.due_at, sent_at=now,
            )
    except IntegrityError:
        return None
