"""Switch off the audit log's append-only triggers for a moment, to play an attacker with database access."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

TRIGGERS = importlib.import_module("careloop.audit.migrations.0002_append_only_triggers")


@contextmanager
def triggers_off() -> Iterator[None]:
    """Drop (SQLite) or disable (PostgreSQL) the triggers, then put them back exactly as migrated."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for statement in TRIGGERS.SQLITE_DOWN:
                cursor.execute(statement)
        else:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for statement in TRIGGERS.SQLITE_UP:
                    cursor.execute(statement)
            else:
                cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


def run_sql(sql: str, params: list[str] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def tamper(sql: str, params: list[str] | None = None) -> None:
    """Run one statement against the audit table with its triggers off."""
    with triggers_off():
        run_sql(sql, params)
