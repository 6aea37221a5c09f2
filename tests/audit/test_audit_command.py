"""``careloop audit verify`` finds edited and missing rows; ``careloop audit export`` filters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from careloop.audit.chain import SYSTEM, Actor, content_hash, record
from careloop.audit.models import AuditEvent
from tests.audit.tampering import tamper
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_rows() -> None:
    for verb in ("open", "view", "close"):
        record(SYSTEM, f"patient.{verb}")


def verify() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("audit", "verify", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def broken_verify() -> str:
    err = StringIO()
    with pytest.raises(CommandError, match="audit chain is broken") as caught:
        call_command("audit", "verify", stdout=StringIO(), stderr=err)
    assert caught.value.returncode == 1
    return err.getvalue()


def test_it_reports_an_intact_chain(three_rows: None) -> None:
    assert verify() == ("audit chain intact\n", "")


def test_it_names_a_row_whose_field_was_edited(three_rows: None) -> None:
    tamper("UPDATE audit_auditevent SET purpose = 'research' WHERE seq = 2")
    assert broken_verify() == "row 2: row content does not match its hash (edited)\n"


def test_it_names_a_row_edited_with_its_hash_recomputed_through_the_next_link(three_rows: None) -> None:
    # Re-hashing the edited row itself still breaks the following row's link.
    event = AuditEvent.objects.get(seq=2)
    event.target = "patient:someone-else"
    tamper("UPDATE audit_auditevent SET target = %s, hash = %s WHERE seq = 2", [event.target, content_hash(event)])
    assert broken_verify() == "row 3: link to the previous row is broken\n"


def test_it_names_a_deleted_middle_row(three_rows: None) -> None:
    tamper("DELETE FROM audit_auditevent WHERE seq = 2")
    assert broken_verify().splitlines() == ["row 2: rows 2–2 are missing", "row 3: link to the previous row is broken"]


def test_it_notices_a_deleted_last_row_through_the_chain_head(three_rows: None) -> None:
    tamper("DELETE FROM audit_auditevent WHERE seq = 3")
    assert broken_verify() == "row 3: the chain head names a row that is missing or changed\n"


def test_it_exports_rows_for_one_patient_as_json_lines(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    record(SYSTEM, "patient.view", patient_id=world.own_patient.pk)
    record(SYSTEM, "patient.view", patient_id=world.other_team_patient.pk)
    call_command("audit", "export", "--patient", str(world.own_patient.pk))
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["patient_id"] for row in rows] == [str(world.own_patient.pk)]


def test_it_exports_rows_by_user_and_inclusive_dates(capsys: pytest.CaptureFixture[str]) -> None:
    for day, user_id in ((1, 5), (2, 5), (3, 5), (4, 5), (2, 6)):
        with time_machine.travel(datetime(2026, 3, day, 23, 30, tzinfo=UTC), tick=False):
            record(Actor(user_id=user_id), "patient.view")
    call_command("audit", "export", "--user", "5", "--since", "2026-03-02", "--until", "2026-03-03")
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(row["seq"], row["actor_id"], row["at"][:10]) for row in rows] == [(2, 5, "2026-03-02"),
                                                                               (3, 5, "2026-03-03")]


def test_it_rejects_a_malformed_export_date() -> None:
    with pytest.raises(CommandError, match="since"):
        call_command("audit", "export", "--since", "03/02/2026")
