"""Consent documents and the history of every grant and withdrawal.

A grant row is never changed: giving and withdrawing consent each append a row, so the state at
any past moment can be answered exactly. Direct care needs no consent row — the care
relationship is its basis — but every other purpose (research, personalisation, sharing)
needs an explicit grant for the stream concerned.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from careloop.accounts.models import Organisation, Patient, User


class Purpose(models.TextChoices):
    CARE = "care", "Direct care"
    RESEARCH = "research", "Research"
    PERSONALISATION = "personalisation", "Personalisation"
    SHARING = "sharing", "Sharing with an electronic health record"


class Stream(models.TextChoices):
    QUESTIONNAIRES = "questionnaires", "Questionnaires"
    MOOD = "mood", "Daily mood"
    FREE_TEXT = "free_text", "Free text (diaries, messages)"
    STEPS = "steps", "Steps and activity"
    HEART_RATE = "heart_rate", "Heart rate"
    SLEEP = "sleep", "Sleep"
    LOCATION = "location", "Location"
    ACCELEROMETER = "accelerometer", "Accelerometer"
    PHONE_USE = "phone_use", "Phone use"
    CALLS_AND_TEXTS = "calls_and_texts", "Call and text logs (counts only)"


class ConsentDocument(models.Model):
    """One version of one consent text in one language, with its plain-language summary."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="consent_documents")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    version = models.PositiveIntegerField()
    language = models.CharField(max_length=16)
    title = models.CharField(max_length=200)
    summary = models.TextField(help_text="Plain language, reading grade 8 or below.")
    body = models.TextField()
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["organisation", "purpose", "version", "language"], name="consentdocument_unique_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version} ({self.language})"


class ConsentGrant(models.Model):
    """One decision: patient × purpose × stream, granted or withdrawn, at a moment."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consent_grants")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    stream = models.CharField(max_length=20, choices=Stream.choices)
    granted = models.BooleanField()
    document = models.ForeignKey(ConsentDocument, null=True, blank=True, on_delete=models.PROTECT)
    decided_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["patient", "purpose", "stream", "decided_at"], name="consent_lookup_idx"),
        ]

    def __str__(self) -> str:
        verb = "granted" if self.granted else "withdrew"
        return f"{verb} {self.purpose}/{self.stream}"
