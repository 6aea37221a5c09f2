"""The organisation administrator's audit log and export."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import User
from careloop.audit.chain import Actor, record
from careloop.audit.models import AuditEvent
from tests.conftest import World, log_in


@pytest.fixture
def rows(world: World) -> World:
    """One row in each organisation, on different days, by different people."""
    with time_machine.travel(datetime(2026, 3, 1, 10, tzinfo=UTC), tick=False):
        record(Actor(user_id=world.alice.pk), "patient.view", organisation_id=world.org.pk,
               patient_id=world.own_patient.pk, purpose="care")
    with time_machine.travel(datetime(2026, 3, 5, 10, tzinfo=UTC), tick=False):
        record(Actor(user_id=world.bob.pk), "patient.view", organisation_id=world.org.pk,
               patient_id=world.other_team_patient.pk, purpose="care")
        record(Actor(user_id=world.olga.pk), "patient.view", organisation_id=world.other_org.pk,
               patient_id=world.other_org_patient.pk, purpose="care")
    return world


def shown(client: Client, query: str = "") -> list[tuple[int | None, str]]:
    response = client.get(reverse("audit:log") + query)
    assert response.status_code == 200
    return [(event.actor_id, event.action) for event in response.context["page"]]


def test_an_admin_sees_only_their_own_organisations_rows(client: Client, rows: World) -> None:
    log_in(client, rows.ada)
    response = client.get(reverse("audit:log"))
    assert response.status_code == 200
    patients = {event.patient_id for event in response.context["page"]}
    assert patients == {rows.own_patient.pk, rows.other_team_patient.pk, None}
    assert str(rows.other_org_patient.pk) not in response.content.decode()


def test_an_admin_can_filter_by_patient_user_and_dates(client: Client, rows: World) -> None:
    log_in(client, rows.ada)
    world = rows
    assert shown(client, f"?patient={world.own_patient.pk}") == [(world.alice.pk, "patient.view")]
    assert shown(client, f"?user={world.bob.pk}") == [(world.bob.pk, "patient.view")]
    assert shown(client, "?since=2026-03-01&until=2026-03-04") == [(world.alice.pk, "patient.view")]
    assert shown(client, f"?user={world.olga.pk}") == []


@pytest.mark.parametrize(("query", "field"), [("?since=2026-13-01", "since"), ("?until=yesterday", "until"),
                                               ("?patient=1234", "patient"), ("?user=ada", "user")])
def test_a_malformed_filter_is_a_400_naming_the_field(client: Client, world: World, query: str, field: str) -> None:
    log_in(client, world.ada)
    page = client.get(reverse("audit:log") + query)
    export = client.get(reverse("audit:export") + query)
    assert page.status_code == export.status_code == 400
    assert page.context["error"].startswith(f"'{field}' is not valid")
    assert export.content.decode().startswith(f"'{field}' is not valid")
    assert not AuditEvent.objects.filter(action__startswith="audit.").exists()


def test_viewing_the_log_is_itself_audited(client: Client, world: World) -> None:
    log_in(client, world.ada)
    client.get(reverse("audit:log"), REMOTE_ADDR="192.0.2.44")
    event = AuditEvent.objects.get(action="audit.view")
    assert (event.actor_id, event.organisation_id, event.ip) == (world.ada.pk, world.org.pk, "192.0.2.44")


def test_the_export_streams_json_lines_of_the_admins_organisation_and_is_audited(client: Client, rows: World) -> None:
    log_in(client, rows.ada)
    response = client.get(reverse("audit:export"), {"since": "2026-03-05", "until": "2026-03-05"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert "attachment" in response["Content-Disposition"]
    lines = [json.loads(line) for line in response.getvalue().decode().splitlines()]
    assert [(row["actor_id"], row["patient_id"]) for row in lines] == [(rows.bob.pk, str(rows.other_team_patient.pk))]
    export = AuditEvent.objects.get(action="audit.export")
    assert (export.actor_id, export.organisation_id) == (rows.ada.pk, rows.org.pk)


@pytest.mark.parametrize("who", ["alice", "sam", "rui", "olga", "patient_user"])
@pytest.mark.parametrize("route", ["audit:log", "audit:export"])
def test_anyone_but_an_admin_gets_not_found(client: Client, rows: World, who: str, route: str) -> None:
    user: User = getattr(rows, who)
    log_in(client, user, mfa=who != "patient_user")
    assert client.get(reverse(route)).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="audit.").exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client: Client, rows: World) -> None:
    response = client.get(reverse("audit:log"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
