"""Audit filters and JSON lines."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from io import StringIO

import pytest
import time_machine

from careloop.audit.chain import SYSTEM, Actor, record
from careloop.audit.export import EXPORTED_FIELDS, AuditFilter, write_json_lines
from tests.conftest import World


def test_it_writes_one_json_object_per_row_with_every_field(world: World) -> None:
    with time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        record(Actor(user_id=world.alice.pk, ip="192.0.2.1"), "patient.view", organisation_id=world.org.pk,
               patient_id=world.own_patient.pk, purpose="care", target="patient")
    out = StringIO()
    write_json_lines(AuditFilter().queryset(), out)
    (line,) = out.getvalue().splitlines()
    row = json.loads(line)
    assert set(row) == set(EXPORTED_FIELDS)
    assert row["at"] == "2026-03-01 09:00:00+00:00"
    assert (row["seq"], row["actor_id"], row["ip"], row["patient_id"], row["organisation_id"]) == (
        1, world.alice.pk, "192.0.2.1", str(world.own_patient.pk), str(world.org.pk))
    assert "Quill" not in line


def test_it_filters_by_organisation_patient_and_user(world: World) -> None:
    record(Actor(user_id=world.alice.pk), "patient.view", organisation_id=world.org.pk, patient_id=world.own_patient.pk)
    record(Actor(user_id=world.bob.pk), "patient.view", organisation_id=world.org.pk,
           patient_id=world.other_team_patient.pk)
    record(Actor(user_id=world.olga.pk), "patient.view", organisation_id=world.other_org.pk,
           patient_id=world.other_org_patient.pk)

    def seqs(audit_filter: AuditFilter) -> list[int]:
        return list(audit_filter.queryset().values_list("seq", flat=True))

    assert seqs(AuditFilter()) == [1, 2, 3]
    assert seqs(AuditFilter(organisation_id=world.org.pk)) == [1, 2]
    assert seqs(AuditFilter(patient_id=world.other_team_patient.pk)) == [2]
    assert seqs(AuditFilter(actor_id=world.olga.pk)) == [3]
    assert seqs(AuditFilter(organisation_id=world.org.pk, actor_id=world.olga.pk)) == []


@pytest.mark.django_db
def test_since_and_until_are_whole_days_inclusive() -> None:
    for moment in ("2026-02-28T23:59:59", "2026-03-01T00:00:00", "2026-03-02T23:59:59", "2026-03-03T00:00:00"):
        with time_machine.travel(datetime.fromisoformat(moment).replace(tzinfo=UTC), tick=False):
            record(SYSTEM, "patient.view")
    rows = AuditFilter(since=date(2026, 3, 1), until=date(2026, 3, 2)).queryset()
    assert list(rows.values_list("seq", flat=True)) == [2, 3]
