"""The patient app's own state: encouragement settings and data-rights requests.

Goals and streaks are gentle encouragement only. An organisation can switch them off for everyone
(``PatientAppPolicy``) and each patient can switch them off for themself (``PatientPreferences``);
both default to on, and no page ever frames a gap as a loss.

A ``DataRightsRequest`` records a request to export or erase data, with the one-month deadline the
law sets (UK/EU GDPR Art. 12(3)) stored as data so overdue requests are derived at read time.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import datetime
from typing import ClassVar

from django.db import models
from django.utils import timezone

from careloop.accounts.models import Organisation, Patient, User
from careloop.lib.encrypted import EncryptedTextField


class PatientAppPolicy(models.Model):
    """An organisation's switches for the patient app; without a row the defaults apply."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="patient_app_policy")
    goals_enabled = models.BooleanField(default=True, help_text="show goals and gentle streaks to patients")

    def __str__(self) -> str:
        return f"patient app policy of {self.organisation_id}"


class PatientPreferences(models.Model):
    """One patient's own switches."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="app_preferences")
    goals_enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"preferences of {self.patient_id}"


class DataRightsKind(models.TextChoices):
    EXPORT = "export", "Copy of my data"
    ERASURE = "erasure", "Erase my data"


class DataRightsStatus(models.TextChoices):
    OPEN = "open", "Received"
    DONE = "done", "Done"
    REFUSED = "refused", "Refused in part, with reasons"


def one_month_after(moment: datetime) -> datetime:
    """The same day next month (the last day where that month is shorter), as GDPR counts a month."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


class DataRightsRequest(models.Model):
    """A patient's request to receive or erase their data, answered within one month."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="data_rights_requests")
    kind = models.CharField(max_length=10, choices=DataRightsKind.choices)
    status = models.CharField(max_length=10, choices=DataRightsStatus.choices, default=DataRightsStatus.OPEN)
    requested_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    reason = EncryptedTextField(blank=True, default="", help_text="what the patient wrote, if anything")
    completed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "due_at"], name="datarights_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} request {self.pk}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.due_at is None:
            self.due_at = one_month_after(self.requested_at)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def overdue(self, now: datetime) -> bool:
        return self.status == DataRightsStatus.OPEN and now > self.due_at
