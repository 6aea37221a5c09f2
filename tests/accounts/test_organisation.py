"""The organisation page: people, teams and break-glass reviews, for administrators and supervisors."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from careloop.access.actions import do_open_break_glass
from careloop.access.models import BreakGlassGrant
from careloop.audit.models import AuditEvent
from tests.conftest import World, log_in


def _open(world: World) -> BreakGlassGrant:
    request = RequestFactory().post("/")
    request.user = world.alice
    return do_open_break_glass(world.alice, world.other_team_patient.pk, "Bob is away; crisis call now",
                               via=request)


def test_an_admin_sees_staff_teams_and_reviews_but_no_patient_name(world: World) -> None:
    _open(world)
    page = log_in(Client(), world.ada).get(reverse("organisation"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "alice@example.org" in body
    assert "Bob is away" in body
    assert "olga@example.org" not in body
    for patient in (world.own_patient, world.other_team_patient, world.other_org_patient):
        assert patient.display_name not in body


@pytest.mark.parametrize("persona", ["alice", "patient_user", "rui", "olga"])
def test_others_get_not_found(world: World, persona: str) -> None:
    assert log_in(Client(), getattr(world, persona)).get(reverse("organisation")).status_code == 404


def test_a_supervisor_marks_a_break_glass_use_reviewed_and_it_is_audited(world: World) -> None:
    grant = _open(world)
    client = log_in(Client(), world.sam)
    client.post(reverse("review_break_glass", kwargs={"grant_id": grant.pk}))
    grant.refresh_from_db()
    assert grant.reviewed_by == world.sam
    assert AuditEvent.objects.filter(action="break_glass.review", patient_id=world.other_team_patient.pk).exists()


def test_nobody_reviews_their_own_use_or_another_organisations(world: World) -> None:
    grant = _open(world)
    url = reverse("review_break_glass", kwargs={"grant_id": grant.pk})
    log_in(Client(), world.alice).post(url)
    assert log_in(Client(), world.olga).post(url).status_code == 404
    grant.refresh_from_db()
    assert grant.reviewed_at is None
