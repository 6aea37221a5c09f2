"""Safety over the API: alerts with derived state (no notes) and crisis help, through the gate."""

from __future__ import annotations

import pytest
from django.test import Client

from careloop.accounts.tokens import Scope, create_token
from tests.conftest import World, log_in
from tests.safety.conftest import PHQ9_ITEM9_SEVERAL_DAYS, submit

pytestmark = pytest.mark.django_db


def test_the_care_team_lists_alerts_with_their_derived_state(world: World, configured: object) -> None:
    submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    body = log_in(Client(), world.alice).get(f"/api/v1/patients/{world.own_patient.pk}/risk-alerts").json()
    assert [(a["severity"], a["status"], a["overdue"], a["rung"]) for a in body] == [("moderate", "open", False, 0)]
    assert "note" not in str(body)


def test_an_unrelated_clinician_gets_not_found(world: World, configured: object) -> None:
    submit(world.own_patient, "phq9", PHQ9_ITEM9_SEVERAL_DAYS)
    assert log_in(Client(), world.bob).get(f"/api/v1/patients/{world.own_patient.pk}/risk-alerts").status_code == 404


def test_the_patient_app_reads_its_crisis_help(world: World, configured: object) -> None:
    secret = create_token(world.patient_user, "app", [Scope.PATIENT_APP], days=1).plaintext
    response = Client().get(f"/api/v1/patients/{world.own_patient.pk}/crisis-help",
                            headers={"Authorization": f"Bearer {secret}"})
    body = response.json()
    assert response.status_code == 200
    assert [c["call"] for c in body["contacts"]] == ["116 123", "999"]
    assert body["monitored"] is True
    assert body["time_zone"] == "Europe/London"
