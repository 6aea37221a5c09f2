"""Audit rows and the head of their hash chain.

Each row carries the SHA-256 of its own content and of the row before it, so an edited,
inserted or deleted row breaks the chain and ``careloop audit verify`` finds it. The ORM refuses
to update or delete rows (and database triggers refuse it too). Rows say who did what to which
patient, why and from where — never clinical content.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.db import models


class AuditImmutableError(RuntimeError):
    """Raised on any attempt to change or remove an audit row through the ORM."""


def _refuse(*args: Any, **kwargs: Any) -> NoReturn:
    raise AuditImmutableError("the audit log is append-only")


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    update = _refuse
    delete = _refuse
    bulk_update = _refuse


class AuditEvent(models.Model):
    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    organisation_id = models.UUIDField(null=True, db_index=True)
    actor_id = models.BigIntegerField(null=True, db_index=True)
    action = models.CharField(max_length=64)
    patient_id = models.UUIDField(null=True, db_index=True)
    purpose = models.CharField(max_length=32, blank=True)
    target = models.CharField(max_length=128, blank=True, help_text="Object type and id, never content.")
    ip = models.GenericIPAddressField(null=True)
    flagged_for_review = models.BooleanField(default=False)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects: ClassVar[models.Manager[AuditEvent]] = AuditQuerySet.as_manager()

    class Meta:
        ordering = ("seq",)
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["at"], name="audit_at_idx")]

    def __str__(self) -> str:
        return f"audit {self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            _refuse()
        super().save(*args, force_insert=True)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()


class AuditChainHead(models.Model):
    """The single row naming the last link, so a deleted tail is detected as well."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head at {self.last_seq}"
