"""Assignments of content modules to patients, and the exercises patients complete.

Module content lives in data files (``content.py``); rows here name a module by id and the
version that was shown, so a later edit of a content pack never rewrites history. Free text a
patient writes is encrypted (``ExerciseEntry.text``); everything else a module collects is a
JSON object of non-free-text fields (ratings, choices, counts, times).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.utils import timezone

from careloop.accounts.models import Patient, User
from careloop.lib.encrypted import EncryptedTextField


class Assignment(models.Model):
    """A clinician (or the service) asked this patient to work through one module."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="assignments")
    module_id = models.CharField(max_length=60)
    module_version = models.CharField(max_length=20)
    assigned_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField(null=True, blank=True, help_text="the patient's local date")
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["patient", "completed_at"], name="assignment_open_idx"),
        ]

    def __str__(self) -> str:
        return f"assignment {self.pk}"


class ExerciseEntry(models.Model):
    """One completed exercise: structured fields as JSON, free text encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="exercise_entries")
    module_id = models.CharField(max_length=60)
    module_version = models.CharField(max_length=20, blank=True)
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    data = models.JSONField(default=dict, blank=True, help_text="non-free-text fields only")
    text = EncryptedTextField(blank=True, default="", help_text="free text the patient wrote (encrypted)")
    completed_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["patient", "module_id", "completed_at"], name="exerciseentry_timeline_idx"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["patient", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="exerciseentry_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"exercise entry {self.pk}"
