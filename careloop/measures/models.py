"""Stored measurement: responses with their score snapshot, episodes of care, schedules, reminders.

A ``Response`` keeps the answers exactly as given and the score computed when they were saved, with
the instrument version that made it, so a later change to a data file never rewrites history. An
``Episode`` brackets a course of care; its outcome is computed from the first and last scores inside
it (``queries.py``). A ``Schedule`` says when a check-in is due in the patient's own time zone; due,
overdue and missed are derived from it at read time (``schedules.py``), never stored by a worker;
``CheckInWindow`` keeps each schedule's current occurrence with the span it holds for, a copy that lets
SQL find overdue check-ins across a caseload (``windows.py``).
``Reminder`` rows record what the reminder task sent (for a check-in occurrence, or for an appointment
through ``care.AppointmentReminder``), so it never sends twice for one occurrence.
"""

from __future__ import annotations

import uuid
from datetime import time
from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from careloop.accounts.models import Organisation, Patient, User


class ResponseSource(models.TextChoices):
    WEB = "web", "Patient web form"
    API = "api", "API"
    CLINICIAN = "clinician", "Entered by a clinician"
    DEMO = "demo", "Synthetic demo history"


class Response(models.Model):
    """One completed questionnaire: answers as given, and the score snapshot made on saving."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="responses")
    instrument_id = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=20)
    answers = models.JSONField(help_text="item id → answer value (null: unanswered)")
    params = models.JSONField(default=dict, blank=True)
    total = models.IntegerField(null=True, blank=True)
    band = models.CharField(max_length=60, blank=True)
    caseness = models.BooleanField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)
    risk_flags = models.JSONField(default=list, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    complete = models.BooleanField()
    submitted_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=100)
    source = models.CharField(max_length=20, choices=ResponseSource.choices)
    submitted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # The retry guard: a client that resends the same key can never store a second response.
            models.UniqueConstraint(fields=["patient", "idempotency_key"], name="response_unique_idempotency_key"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["patient", "instrument_id", "submitted_at"], name="response_timeline_idx"),
        ]

    def __str__(self) -> str:
        return f"response {self.pk}"


class Episode(models.Model):
    """A course of care; a patient has at most one open episode."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="episodes")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    problem_descriptor = models.CharField(max_length=10, blank=True, help_text="ICD-10 code, e.g. F41.1")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(ended_at__isnull=True), name="episode_one_open_per_patient"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")), name="episode_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"episode {self.pk}"


class ScheduleKind(models.TextChoices):
    EVERY_N_DAYS = "every_n_days", "Every n days"
    WEEKLY_ON_WEEKDAY = "weekly_on_weekday", "Weekly on a weekday"
    DAILY_RANDOM_IN_WINDOW = "daily_random_in_window", "Daily, at a random time in a window"
    ONCE = "once", "Once"


class Schedule(models.Model):
    """When one instrument is due for one patient, in the patient's own time zone."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="schedules")
    instrument_id = models.CharField(max_length=40)
    kind = models.CharField(max_length=30, choices=ScheduleKind.choices)
    parameters = models.JSONField(default=dict, blank=True, help_text="validated by schedules.parameters_for()")
    starts_on = models.DateField(help_text="the patient's local date")
    ends_on = models.DateField(null=True, blank=True, help_text="last local date, inclusive")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["patient", "instrument_id"], condition=Q(active=True), name="schedule_one_active_per_instrument"
            ),
        ]

    def __str__(self) -> str:
        return f"schedule {self.pk}"


class CheckInWindow(models.Model):
    """A schedule's current occurrence, stored so that SQL can find overdue check-ins (``measures.windows``).

    A copy of ``schedules.current_window``: the open occurrence and the last one to close, which hold from
    ``valid_from`` until ``valid_until`` (when an occurrence is open, that is when it closes). Outside that
    span, or without a row, readers compute the window live, so a stale or missing row is never a wrong
    answer, only a slower one. The latest response to the schedule's instrument is copied too, so whether
    an occurrence was answered is a comparison of two columns.
    """

    schedule = models.OneToOneField(Schedule, on_delete=models.CASCADE, primary_key=True, related_name="window")
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    opens_at = models.DateTimeField(null=True, help_text="null: no occurrence is open in the span")
    due_at = models.DateTimeField(null=True)
    overdue_at = models.DateTimeField(null=True)
    previous_opens_at = models.DateTimeField(null=True, help_text="the last occurrence to close; null: none has")
    previous_due_at = models.DateTimeField(null=True)
    latest_response_at = models.DateTimeField(null=True, help_text="the latest response to the instrument, any time")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=Q(valid_from__lt=F("valid_until")), name="checkinwindow_span_ordered"),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True, due_at__isnull=True, overdue_at__isnull=True)
                | Q(opens_at__isnull=False, due_at__isnull=False, overdue_at__isnull=False),
                name="checkinwindow_occurrence_whole"),
            models.CheckConstraint(
                condition=Q(previous_opens_at__isnull=True, previous_due_at__isnull=True)
                | Q(previous_opens_at__isnull=False, previous_due_at__isnull=False),
                name="checkinwindow_previous_whole"),
        ]

    def __str__(self) -> str:
        return f"check-in window of {self.schedule_id}"


class ReminderPolicy(models.Model):
    """An organisation's reminder limits; without a row the defaults below apply."""

    DEFAULT_QUIET_START = time(21, 0)
    DEFAULT_QUIET_END = time(8, 0)
    DEFAULT_DAILY_CAP = 2

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="reminder_policy")
    quiet_start = models.TimeField(default=DEFAULT_QUIET_START, help_text="patient's local time")
    quiet_end = models.TimeField(default=DEFAULT_QUIET_END, help_text="patient's local time")
    daily_cap = models.PositiveSmallIntegerField(default=DEFAULT_DAILY_CAP, help_text="reminders per local day")

    def __str__(self) -> str:
        return f"reminder policy of {self.organisation_id}"


class ReminderKind(models.TextChoices):
    CHECK_IN = "check_in", "Check-in"
    APPOINTMENT = "appointment", "Appointment"
    APPOINTMENT_CHANGE = "appt_change", "Appointment moved or cancelled"


class Reminder(models.Model):
    """One reminder sent to a patient, with the channels that carried it.

    A check-in reminder names its schedule and occurrence (``due_at``); an appointment reminder, or the
    notice that an appointment was moved or cancelled, has no schedule, and ``care.AppointmentReminder``
    ties it to its appointment, offset and start time. Every kind counts towards the daily cap.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=12, choices=ReminderKind.choices, default=ReminderKind.CHECK_IN)
    schedule = models.ForeignKey(Schedule, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    due_at = models.DateTimeField(help_text="when the reminder fell due: the check-in occurrence's due time, or "
                                            "the appointment's start less the reminder's lead")
    sent_at = models.DateTimeField(default=timezone.now)
    channels = models.JSONField(default=list)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # Two task runs (or two workers) racing on one occurrence store one reminder.
            models.UniqueConstraint(fields=["schedule", "due_at"], name="reminder_one_per_occurrence"),
            models.CheckConstraint(
                condition=Q(kind=ReminderKind.CHECK_IN, schedule__isnull=False)
                | Q(kind__in=[ReminderKind.APPOINTMENT, ReminderKind.APPOINTMENT_CHANGE], schedule__isnull=True),
                name="reminder_schedule_only_for_check_ins",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["patient", "sent_at"], name="reminder_daily_cap_idx"),
        ]

    def __str__(self) -> str:
        return f"reminder {self.pk}"


class InstrumentWording(models.Model):
    """An organisation's own licensed wording for an item whose text Careloop may not ship."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="instrument_wordings")
    instrument_id = models.CharField(max_length=40)
    item_id = models.CharField(max_length=20)
    text = models.TextField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["organisation", "instrument_id", "item_id"], name="instrumentwording_unique_item"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} item {self.item_id} wording"
