"""Break-glass grants: time-limited emergency access outside the care team, always reviewed."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from careloop.accounts.models import Patient, User
from careloop.lib.encrypted import EncryptedTextField


class BreakGlassGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="break_glass_grants")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="break_glass_grants")
    reason = EncryptedTextField()
    opened_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"break-glass {self.pk}"
