"""Secure messages between a patient and their care team: one thread per patient, encrypted bodies.

Read state is kept per participant (``ReadMark``: the last moment each user read the thread), so a
message is unread for everyone who has not opened the thread since it was sent. Each care team sets the
reply time shown to its patients (``TeamMessagingSettings``; two working days without a row).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import CareTeam, Patient, User
from careloop.lib.encrypted import EncryptedTextField

DEFAULT_REPLY_WORKING_DAYS = 2


class TeamMessagingSettings(models.Model):
    """How soon a care team promises to reply to a patient's message."""

    team = models.OneToOneField(CareTeam, on_delete=models.CASCADE, related_name="messaging_settings")
    reply_within_working_days = models.PositiveSmallIntegerField(default=DEFAULT_REPLY_WORKING_DAYS)

    def __str__(self) -> str:
        return f"messaging settings of team {self.team_id}"


class Thread(models.Model):
    """The conversation between one patient and their care team."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="message_thread")
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"thread {self.pk}"


class SenderRole(models.TextChoices):
    PATIENT = "patient", _("Patient")
    CARE_TEAM = "care_team", _("Care team")


class Message(models.Model):
    """One message; the body is encrypted and screened for crisis language when a patient sends it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    sender_role = models.CharField(max_length=12, choices=SenderRole.choices)
    body = EncryptedTextField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["thread", "sent_at"], name="message_thread_idx"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk}"


class ReadMark(models.Model):
    """When one participant last read one thread."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_marks")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["thread", "user"], name="readmark_one_per_participant"),
        ]

    def __str__(self) -> str:
        return f"read mark {self.pk}"
