"""Appointment reminders: one the day before and one an hour before, sent like check-in reminders.

The rules (docs/care.md, "Appointment reminders"):

- Only a *scheduled* appointment that has not started is reminded about: never a cancelled, attended or
  missed one, and never one in the past.
- **Day before**: due 24 h before the start, and may go until 3 h before it. It waits out the
  organisation's quiet hours, and is dropped if they last until its window closes (the hour-before
  reminder still comes), so nobody is woken for an appointment that is a day away.
- **Hour before**: due 1 h before the start, and may go until the start. In quiet hours it waits for
  them to end when they end at least 30 minutes before the start (an 08:30 visit under 21:00–08:00 quiet
  hours is reminded at 08:00); otherwise it goes on time (a 07:30 visit, or a 09:00 visit under quiet
  hours that end at 09:00): the patient is getting up for the appointment, and a later reminder would
  come too late to help.
- Neither is held back by the daily cap (at most two per appointment, and a missed visit costs more than
  a nudge), but both count towards it, so a day with appointment reminders carries fewer check-in ones.
- One per appointment, offset and start time: the row is stored before anything is sent, and the
  database refuses a second, so two runs or two workers send once. Moving an appointment gives it a new
  start, which re-arms both reminders for the new time; none is sent for the old one.
- The words are generic on every channel: no clinician, time, place, kind of visit or video link. The
  patient opens the app, signed in, for those. Channels are the check-in reminders' (``deliver``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from careloop.accounts.models import Patient
from careloop.care.models import Appointment, AppointmentReminder, AppointmentReminderOffset, AppointmentStatus
from careloop.measures.models import Reminder, ReminderKind
from careloop.measures.reminders import (
    ReminderLimits,
    ReminderSender,
    configured_senders,
    deliver,
    in_quiet_hours,
    limits_for,
    quiet_hours_end,
)

SHORTEST_HELD_LEAD = timedelta(minutes=30)


@dataclass(frozen=True)
class Offset:
    name: str  # an AppointmentReminderOffset
    lead: timedelta  # due this long before the start
    last_call: timedelta  # never sent later than this long before the start
    goes_in_quiet_hours_when_late: bool  # if waiting for quiet hours to end would leave under SHORTEST_HELD_LEAD


DAY_BEFORE = Offset(AppointmentReminderOffset.DAY_BEFORE, lead=timedelta(hours=24), last_call=timedelta(hours=3),
                    goes_in_quiet_hours_when_late=False)
HOUR_BEFORE = Offset(AppointmentReminderOffset.HOUR_BEFORE, lead=timedelta(hours=1), last_call=timedelta(0),
                     goes_in_quiet_hours_when_late=True)
OFFSETS = (DAY_BEFORE, HOUR_BEFORE)


def send_appointment_reminders(now: datetime, senders: Sequence[ReminderSender] | None = None) -> list[Reminder]:
    """Send every change notice and appointment reminder that is due now and may go now; returns those sent."""
    chosen = list(senders) if senders is not None else configured_senders()
    return send_change_notices(now, chosen) + _send_reminders(now, chosen)


def _send_reminders(now: datetime, chosen: Sequence[ReminderSender]) -> list[Reminder]:
    upcoming = _upcoming(now)
    done = set(AppointmentReminder.objects.filter(appointment__in=upcoming)
               .values_list("appointment_id", "offset", "starts_at"))
    policies: dict[uuid.UUID, ReminderLimits] = {}  # one read per organisation, not per appointment
    sent = []
    for appointment in upcoming:
        patient = appointment.patient
        if patient.organisation_id not in policies:
            policies[patient.organisation_id] = limits_for(patient)
        policy = policies[patient.organisation_id]
        for offset in OFFSETS:
            if (appointment.pk, offset.name, appointment.starts_at) in done:
                continue
            if may_send(offset, appointment.starts_at, now, patient, policy):
                reminder = claim(appointment, offset, now)
                if reminder is not None:
                    sent.append(deliver(reminder, chosen))
    return sent


def _upcoming(now: datetime) -> list[Appointment]:
    """Scheduled appointments starting within the longest lead, with their patients and log-ins."""
    longest = max(offset.lead for offset in OFFSETS)
    rows = Appointment.objects.filter(status=AppointmentStatus.SCHEDULED, starts_at__gt=now,
                                      starts_at__lte=now + longest)
    return list(rows.select_related("patient", "patient__user").order_by("starts_at", "pk"))


def may_send(offset: Offset, starts_at: datetime, now: datetime, patient: Patient, limits: ReminderLimits) -> bool:
    """Whether the ``offset`` reminder of an appointment starting at ``starts_at`` may go at ``now``."""
    if not starts_at - offset.lead <= now < starts_at - offset.last_call:
        return False
    return quiet_hours_allow(starts_at, now, patient, limits, goes_when_late=offset.goes_in_quiet_hours_when_late)


def quiet_hours_allow(starts_at: datetime, now: datetime, patient: Patient, limits: ReminderLimits, *,
                      goes_when_late: bool) -> bool:
    """Outside quiet hours, yes; inside, only for a message that ``goes_when_late`` and whose appointment
    starts too soon after they end (under ``SHORTEST_HELD_LEAD``) to wait for them."""
    if not in_quiet_hours(now.astimezone(patient.zone()).time(), limits):
        return True
    waiting_leaves_too_little = quiet_hours_end(now, patient, limits) > starts_at - SHORTEST_HELD_LEAD
    return goes_when_late and waiting_leaves_too_little


def send_change_notices(now: datetime, senders: Sequence[ReminderSender]) -> list[Reminder]:
    """Tell each patient whose coming appointment was moved or cancelled, once per change.

    The words are as generic as a reminder's ("an appointment has changed"): the patient opens the app for
    the new time. Quiet hours hold a notice back unless the appointment starts too soon after they end,
    so nobody travels to a visit that was cancelled overnight.
    """
    told = AppointmentReminder.objects.filter(appointment=OuterRef("pk"), offset=AppointmentReminderOffset.CHANGE,
                                              reminder__due_at=OuterRef("changed_at"))
    changed = Appointment.objects.filter(changed_at__lte=now, starts_at__gt=now).filter(~Exists(told))
    sent = []
    for appointment in changed.select_related("patient", "patient__user").order_by("changed_at", "pk"):
        if quiet_hours_allow(appointment.starts_at, now, appointment.patient, limits_for(appointment.patient),
                             goes_when_late=True):
            notice = claim_change_notice(appointment, now)
            if notice is not None:
                sent.append(deliver(notice, senders))
    return sent


def claim_change_notice(appointment: Appointment, now: datetime) -> Reminder | None:
    """Store the notice of the appointment's latest change before sending; None when told already or changed
    again meanwhile (the next run tells of the newer change). The locked row orders racing runs."""
    changed_at = appointment.changed_at
    if changed_at is None:
        return None
    with transaction.atomic():
        same = Appointment.objects.select_for_update().filter(pk=appointment.pk, changed_at=changed_at)
        told = AppointmentReminder.objects.filter(appointment=appointment, offset=AppointmentReminderOffset.CHANGE,
                                                  reminder__due_at=changed_at)
        if not list(same.values_list("pk", flat=True)) or told.exists():
            return None
        notice = Reminder.objects.create(patient=appointment.patient, kind=ReminderKind.APPOINTMENT_CHANGE,
                                         due_at=changed_at, sent_at=now)
        AppointmentReminder.objects.create(reminder=notice, appointment=appointment,
                                           offset=AppointmentReminderOffset.CHANGE, starts_at=appointment.starts_at)
    return notice


def claim(appointment: Appointment, offset: Offset, now: datetime) -> Reminder | None:
    """Store the reminder before sending; None when another run stored it or the appointment changed.

    The appointment row is locked first, so a cancellation or a move committed meanwhile is seen here
    rather than after the reminder went out.
    """
    starts_at = appointment.starts_at
    try:
        with transaction.atomic():
            unchanged = Appointment.objects.select_for_update().filter(
                pk=appointment.pk, status=AppointmentStatus.SCHEDULED, starts_at=starts_at,
            )
            if not list(unchanged.values_list("pk", flat=True)):
                return None
            reminder = Reminder.objects.create(patient=appointment.patient, kind=ReminderKind.APPOINTMENT,
                                               due_at=starts_at - offset.lead, sent_at=now)
            AppointmentReminder.objects.create(reminder=reminder, appointment=appointment, offset=offset.name,
                                               starts_at=starts_at)
    except IntegrityError:
        return None  # a racing run stored this one first
    return reminder
