"""Sensing state in the database: each upload is an `ImportJob` (format, state, progress, counts and
rejection reasons — never patient content), and `DailyFeature` holds one value per patient, local day and
feature with its coverage and provenance, so the timeline and rules read features without touching Parquet.
The rows themselves live in the Parquet sensor store (`store.py`).
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone

from careloop.accounts.models import Patient, User


class SourceFormat(models.TextChoices):
    APPLE_HEALTH = "apple_health", "Apple Health export (export.zip)"
    BEIWE = "beiwe", "Beiwe raw data folder (zip)"
    FITBIT = "fitbit", "Fitbit export"
    OMH = "omh", "Open mHealth data points (JSON)"
    CSV = "csv", "Generic CSV"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Finished"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """One upload (web, API or command line) read into the sensor store, with what happened to its rows."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="import_jobs")
    source_format = models.CharField(max_length=20, choices=SourceFormat.choices)
    source_name = models.CharField(max_length=200, blank=True, help_text="The uploaded file's base name.")
    column_mapping = models.JSONField(
        default=dict, blank=True, help_text="How a generic CSV's columns are read (names, formats, stream, unit)."
    )
    upload_path = models.CharField(max_length=500, blank=True, help_text="Staged upload, deleted after the run.")
    state = models.CharField(max_length=12, choices=JobState.choices, default=JobState.QUEUED)
    progress = models.FloatField(default=0.0, help_text="Fraction of the input read, 0 to 1.")
    rows_read = models.BigIntegerField(default=0)
    rows_stored = models.BigIntegerField(default=0)
    rows_duplicate = models.BigIntegerField(default=0)
    rows_rejected = models.BigIntegerField(default=0)
    rejection_reasons = models.JSONField(default=dict, blank=True, help_text="Reason → row count; no content.")
    error = models.TextField(blank=True, help_text="Why the run failed, naming the file, line or element.")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["patient", "created_at"], name="importjob_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.source_format}, {self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (JobState.SUCCEEDED, JobState.FAILED)

    def counts(self) -> dict[str, Any]:
        """The job's outcome as plain data (the CLI's JSON, the status endpoint, the API)."""
        return {
            "job": str(self.pk), "format": self.source_format, "state": self.state,
            "progress": round(self.progress, 4), "read": self.rows_read, "stored": self.rows_stored,
            "duplicate": self.rows_duplicate, "rejected": self.rows_rejected,
            "rejection_reasons": dict(self.rejection_reasons), "error": self.error,
        }


class DailyFeature(models.Model):
    """One daily feature value of one patient on one of their local days, with coverage and provenance."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="daily_features")
    day = models.DateField(help_text="The patient's local day.")
    name = models.CharField(max_length=64)
    value = models.FloatField(null=True, blank=True, help_text="Null when the day had too little data.")
    coverage = models.FloatField(help_text="Fraction of the day the source stream covered, 0 to 1.")
    source_stream = models.CharField(max_length=40)
    feature_table = models.CharField(max_length=64)
    pipeline_version = models.CharField(max_length=40)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["patient", "day", "name"], name="dailyfeature_unique_day"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["patient", "name", "day"], name="dailyfeature_series_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.day}"
