"""Clinician workspace state: clinical notes, care-plan goals, appointments and suggestions under review.

Free text is encrypted (``EncryptedTextField``). A psychotherapy note is readable by its author only
(``queries.notes_visible_to``). A ``Suggestion`` is made by a rule or a model and waits for a clinician:
nothing in it reaches a patient unless a clinician accepts it, and every decision needs a reason. Each
suggestion stores its explanation and its provenance (rule id and version, or model version). An
``AppointmentReminder`` ties a sent ``measures.Reminder`` to the appointment, offset and start time it was
for: one per appointment, offset and start, so moving an appointment re-arms its reminders.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import Patient, User
from careloop.lib.encrypted import EncryptedTextField
from careloop.measures.models import Reminder

https_only = URLValidator(schemes=["https"], message=_("Enter a video link that starts with https://"))


class NoteKind(models.TextChoices):
    CONTACT = "contact", _("Contact")
    REVIEW = "review", _("Review")
    RISK_ASSESSMENT = "risk_assessment", _("Risk assessment")
    PSYCHOTHERAPY = "psychotherapy", _("Psychotherapy (private to the author)")


class ClinicalNote(models.Model):
    """One clinical note; psychotherapy notes are private to their author."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="clinical_notes")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=NoteKind.choices)
    body = EncryptedTextField()
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["patient", "written_at"], name="clinicalnote_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"note {self.pk}"


class GoalStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ACHIEVED = "achieved", _("Achieved")
    STOPPED = "stopped", _("Stopped")


class Goal(models.Model):
    """A care-plan goal agreed with the patient, with the date it is next reviewed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_goals")
    description = EncryptedTextField()
    review_on = models.DateField(help_text="the patient's local date")
    status = models.CharField(max_length=12, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"goal {self.pk}"


class AppointmentKind(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video")
    PHONE = "phone", _("Phone")


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    ATTENDED = "attended", _("Attended")
    CANCELLED = "cancelled", _("Cancelled")
    MISSED = "missed", _("Did not attend")


class Appointment(models.Model):
    """A booked contact; a video visit carries an https link to the service's own video platform."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="appointments")
    clinician = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    starts_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(default=50)
    kind = models.CharField(max_length=12, choices=AppointmentKind.choices, default=AppointmentKind.IN_PERSON)
    video_url = models.CharField(max_length=500, blank=True, validators=[https_only])
    status = models.CharField(max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(null=True, blank=True, help_text="last moved or cancelled; the patient is told")

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["patient", "starts_at"], name="appointment_patient_idx"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=~Q(kind="video") | Q(video_url__startswith="https://"),
                name="appointment_video_has_https_link",
            ),
        ]

    def __str__(self) -> str:
        return f"appointment {self.pk}"


class AppointmentReminderOffset(models.TextChoices):
    DAY_BEFORE = "day_before", _("The day before")
    HOUR_BEFORE = "hour_before", _("An hour before")
    CHANGE = "change", _("Moved or cancelled")


class AppointmentReminder(models.Model):
    """The reminder sent for one appointment at one offset before one start time, or the notice of a change.

    A change notice's reminder is due at the change it tells of (``Appointment.changed_at``), so each
    change is told once however often the appointment moves back and forth.
    """

    reminder = models.OneToOneField(Reminder, primary_key=True, on_delete=models.CASCADE,
                                    related_name="appointment_link")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    offset = models.CharField(max_length=12, choices=AppointmentReminderOffset.choices)
    starts_at = models.DateTimeField(help_text="the start the reminder was for; a new start re-arms the reminders")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # Two task runs (or two workers) racing on one appointment store one reminder per offset.
            models.UniqueConstraint(fields=["appointment", "offset", "starts_at"],
                                    condition=~Q(offset=AppointmentReminderOffset.CHANGE),
                                    name="appointmentreminder_once_per_offset"),
        ]

    def __str__(self) -> str:
        return f"{self.offset} reminder of appointment {self.appointment_id}"


class Provenance(models.TextChoices):
    SELF_REPORT = "self_report", _("Self-report")
    DEVICE = "device", _("Device (passive)")
    DERIVED = "derived", _("Derived")


class SuggestionState(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")


class Suggestion(models.Model):
    """A rule's or model's suggestion, waiting for a clinician; it reaches nobody until accepted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_suggestions")
    source_key = models.CharField(max_length=160, unique=True, help_text="idempotency: rule, patient, day")
    rule_id = models.CharField(max_length=80, blank=True)
    rule_version = models.CharField(max_length=20, blank=True)
    model_version = models.CharField(max_length=40, blank=True)
    provenance = models.CharField(max_length=20, choices=Provenance.choices)
    action = EncryptedTextField(help_text="what the clinician is asked to consider")
    explanation = EncryptedTextField(help_text="why, in words a clinician can check against the data")
    patient_message = EncryptedTextField(blank=True, default="", help_text="sent only if accepted")
    state = models.CharField(max_length=12, choices=SuggestionState.choices, default=SuggestionState.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = EncryptedTextField(blank=True, default="")

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["state", "created_at"], name="suggestion_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"suggestion {self.pk}"


class CaseloadFacts(models.Model):
    """Per patient, the slow-changing facts the caseload ranks by, kept current by ``care.facts``.

    A copy of what ``care.facts.live_facts`` computes from the source rows (scores, episodes, messages,
    notes, appointments, team memberships); it is refreshed in the same transaction as every change to
    them, so ranking thousands of patients reads one row each instead of eight subqueries.
    """

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, primary_key=True,
                                   related_name="caseload_facts")
    phq9_total = models.PositiveSmallIntegerField(null=True, help_text="latest scored PHQ-9")
    phq9_first = models.PositiveSmallIntegerField(null=True, help_text="first PHQ-9 of the open episode")
    gad7_total = models.PositiveSmallIntegerField(null=True, help_text="latest scored GAD-7")
    gad7_first = models.PositiveSmallIntegerField(null=True, help_text="first GAD-7 of the open episode")
    last_contact = models.DateTimeField(null=True, help_text="care-team message, note or attended visit")
    joined_at = models.DateTimeField(help_text="latest care-team join, else when the patient was added")
    refreshed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"caseload facts of {self.patient_id}"
