"""The ORM refuses to change or remove audit rows."""

from __future__ import annotations

import pytest

from careloop.audit.chain import SYSTEM, record
from careloop.audit.models import AuditEvent, AuditImmutableError

pytestmark = pytest.mark.django_db


def test_it_refuses_to_save_an_existing_row() -> None:
    record(SYSTEM, "patient.view")
    event = AuditEvent.objects.get(seq=1)
    event.action = "patient.edit"
    with pytest.raises(AuditImmutableError):
        event.save()
    assert AuditEvent.objects.get(seq=1).action == "patient.view"


def test_it_refuses_to_delete_a_row() -> None:
    event = record(SYSTEM, "patient.view")
    with pytest.raises(AuditImmutableError):
        event.delete()
    assert AuditEvent.objects.filter(seq=1).exists()


def test_it_refuses_queryset_updates_and_deletes() -> None:
    record(SYSTEM, "patient.view")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.update(action="patient.edit")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(seq=1).update(action="patient.edit")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.bulk_update(list(AuditEvent.objects.all()), ["action"])
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["patient.view"]
