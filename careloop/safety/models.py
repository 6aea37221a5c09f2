"""Safety state: per-organisation settings and holidays, risk alerts, notifications, safety plans, heartbeat.

A ``RiskAlert`` is written in the transaction that saved the answer which caused it, with its deadline,
ceiling and planned ladder stored as data; whether it is overdue and at which rung is derived at read
time (``ladder.alert_state``). ``AlertNotification`` rows record each delivery attempt, one per alert,
rung, channel and recipient, which is what makes the dispatcher idempotent. ``SafetyPlanVersion`` keeps
every version of a patient's Stanley–Brown plan (a new row per version, all text encrypted).
``DispatcherHeartbeat`` is the dead-man's switch that ``/healthz`` reads.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from careloop.accounts.models import CareTeam, Organisation, Patient, User, validate_timezone
from careloop.lib.encrypted import EncryptedTextField
from careloop.safety.coverage import DEFAULT_WORKING_HOURS


def default_working_hours() -> dict[str, list[list[str]]]:
    return {day: [list(interval) for interval in intervals] for day, intervals in DEFAULT_WORKING_HOURS.items()}


class SafetySettings(models.Model):
    """An organisation's coverage and escalation. Without a row, answers are treated as not monitored."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="safety_settings")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    monitored = models.BooleanField(default=True, help_text="False for self-help deployments: nobody reads answers.")
    working_hours = models.JSONField(default=default_working_hours, help_text="coverage.WorkingHours")
    escalation = models.JSONField(null=True, blank=True, help_text="schema.Escalation; empty: the defaults")
    backup_clinician = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    on_call = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    on_call_phone = EncryptedTextField(blank=True, default="")

    def __str__(self) -> str:
        return f"safety settings of {self.organisation_id}"


class CoverageHoliday(models.Model):
    """A date the organisation's staff do not read answers (a public holiday, a closure)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="coverage_holidays")
    date = models.DateField(help_text="in the organisation's time zone")
    name = models.CharField(max_length=100)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organisation", "date"], name="coverageholiday_unique_date"),
        ]

    def __str__(self) -> str:
        return f"holiday {self.date}"


class AlertSource(models.TextChoices):
    RESPONSE = "response", "Questionnaire answer"
    FREE_TEXT = "free_text", "Free text"
    MISSED_CHECK_IN = "missed_check_in", "Missed check-in"


class Severity(models.TextChoices):
    HIGH = "high", "Red"
    MODERATE = "moderate", "Amber"
    LOW = "low", "Yellow"


class RiskAlert(models.Model):
    """One clinician task opened by a rule hit; times are stored, states are derived."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="risk_alerts")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    care_team = models.ForeignKey(CareTeam, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    source_kind = models.CharField(max_length=20, choices=AlertSource.choices)
    source_key = models.CharField(max_length=120, help_text="what caused it, e.g. the response id")
    response = models.ForeignKey(
        "measures.Response", null=True, blank=True, on_delete=models.SET_NULL, related_name="risk_alerts"
    )
    hits = models.JSONField(help_text="[{rule_id, rule_version, severity, detail}]")
    opened_at = models.DateTimeField(default=timezone.now)
    deadline_at = models.DateTimeField()
    ceiling_at = models.DateTimeField()
    ladder = models.JSONField(help_text="planned rungs: [{index, at, notify, runbook}]")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledge_note = EncryptedTextField(blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolve_note = EncryptedTextField(blank=True, default="")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # Idempotency: a retried submission finds the alert its first attempt opened.
            models.UniqueConstraint(fields=["source_kind", "source_key"], name="riskalert_one_per_source"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(acknowledged_at__isnull=False),
                name="riskalert_resolved_after_acknowledged",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["patient", "resolved_at"], name="riskalert_patient_open_idx"),
            models.Index(fields=["resolved_at", "opened_at"], name="riskalert_open_idx"),
        ]

    def __str__(self) -> str:
        return f"risk alert {self.pk}"


class DeliveryStatus(models.TextChoices):
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    NO_RECIPIENT = "no_recipient", "Nobody to send to"


class AlertNotification(models.Model):
    """One delivery attempt of one rung to one recipient on one channel."""

    alert = models.ForeignKey(RiskAlert, on_delete=models.CASCADE, related_name="notifications")
    rung = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=20, help_text="primary, backup, supervisor or on_call")
    channel = models.CharField(max_length=20)
    recipient = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recipient_key = models.CharField(max_length=60, help_text="user:<id>, phone:on_call or none:<role>")
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices)
    error = models.CharField(max_length=100, blank=True, help_text="the error's type, never its message")
    attempted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["alert", "rung", "channel", "recipient_key"], name="alertnotification_once_per_rung"
            ),
        ]

    def __str__(self) -> str:
        return f"notification {self.pk}"


class PlanAuthor(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINICIAN = "clinician", "Clinician"


class SafetyPlanVersion(models.Model):
    """One version of a Stanley–Brown safety plan; a change is a new row, never an edit."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="safety_plan_versions")
    version = models.PositiveIntegerField()
    warning_signs = EncryptedTextField(blank=True, default="")
    coping_strategies = EncryptedTextField(blank=True, default="")
    distractions = EncryptedTextField(blank=True, default="")
    help_contacts = EncryptedTextField(blank=True, default="")
    professional_contacts = EncryptedTextField(blank=True, default="")
    safe_environment = EncryptedTextField(blank=True, default="")
    author_role = models.CharField(max_length=20, choices=PlanAuthor.choices)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    cosigned_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cosigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["patient", "version"], name="safetyplan_unique_version"),
        ]

    def __str__(self) -> str:
        return f"safety plan {self.patient_id} v{self.version}"


class DispatcherHeartbeat(models.Model):
    """The alert dispatcher's last run (a single row): the dead-man's switch behind /healthz."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_run_at = models.DateTimeField()
    undelivered = models.PositiveIntegerField(default=0, help_text="alerts whose last due rung reached nobody")

    def __str__(self) -> str:
        return f"dispatcher heartbeat {self.last_run_at:%Y-%m-%d %H:%M}"
