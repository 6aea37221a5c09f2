"""Migration 0002: the database itself refuses UPDATE, DELETE (and TRUNCATE) on audit rows."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from careloop.audit.chain import SYSTEM, record
from careloop.audit.models import AuditEvent
from tests.audit.tampering import run_sql, tamper

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_raw_update() -> None:
    record(SYSTEM, "patient.view")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        run_sql("UPDATE audit_auditevent SET action = 'patient.edit' WHERE seq = 1")
    assert AuditEvent.objects.get(seq=1).action == "patient.view"


def test_the_database_refuses_a_raw_delete() -> None:
    record(SYSTEM, "patient.view")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        run_sql("DELETE FROM audit_auditevent WHERE seq = 1")
    assert AuditEvent.objects.count() == 1


def test_the_database_refuses_to_empty_the_table() -> None:
    record(SYSTEM, "patient.view")
    # PostgreSQL's TRUNCATE skips row triggers, so it has a trigger of its own; SQLite has no TRUNCATE.
    statement = "TRUNCATE audit_auditevent" if connection.vendor == "postgresql" else "DELETE FROM audit_auditevent"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        run_sql(statement)
    assert AuditEvent.objects.count() == 1


def test_the_triggers_are_back_after_a_tampering_helper_ran() -> None:
    record(SYSTEM, "patient.view")
    tamper("UPDATE audit_auditevent SET purpose = 'care' WHERE seq = 1")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        run_sql("UPDATE audit_auditevent SET purpose = 'research' WHERE seq = 1")
    assert AuditEvent.objects.get(seq=1).purpose == "care"
