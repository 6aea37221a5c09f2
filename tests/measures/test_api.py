"""POST /api/v1/patients/{id}/responses: idempotent, gated before parsing, errors naming the item."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.test import Client
from django.urls import reverse

from careloop.accounts.models import Patient, User
from careloop.accounts.tokens import Scope, create_token
from careloop.audit.models import AuditEvent
from careloop.measures.models import Response
from tests.conftest import World

PHQ9 = {"instrument": "PHQ-9", "answers": [1, 1, 1, 1, 1, 1, 1, 1, 0]}


def url(patient: Patient) -> str:
    return reverse("api:submit_response", kwargs={"patient_id": patient.pk})


def token_for(user: User, *scopes: str) -> dict[str, str]:
    plaintext = create_token(user, "app", list(scopes), days=30).plaintext
    return {"Authorization": f"Bearer {plaintext}"}


def post(patient: Patient, body: Any, headers: dict[str, str], key: str | None = "key-1") -> Any:
    extra = {**headers, **({"Idempotency-Key": key} if key else {})}
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Client().post(url(patient), payload, content_type="application/json", headers=extra)


def test_the_patient_app_submits_and_a_retried_post_stores_one_response(world: World) -> None:
    headers = token_for(world.patient_user, Scope.PATIENT_APP)
    first = post(world.own_patient, PHQ9, headers)
    retry = post(world.own_patient, PHQ9, headers)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json()["id"] == retry.json()["id"]
    assert (first.json()["created"], retry.json()["created"]) == (True, False)
    assert Response.objects.count() == 1
    body = first.json()
    assert (body["total"], body["band"], body["band_label"], body["source"]) == (8, "mild", "Mild", "api")
    assert body["answers"]["9"] == 0
    assert body["answers"]["10"] is None
    assert body["findings"] == []
    assert body["meaning"][0] == "Your score is 8, on a scale from 0 to 27. That is in the “Mild” range for depression."


def test_the_key_may_come_in_the_body(world: World) -> None:
    headers = token_for(world.patient_user, Scope.PATIENT_APP)
    body = {**PHQ9, "idempotency_key": "in-body"}
    assert post(world.own_patient, body, headers, key=None).status_code == 201
    assert post(world.own_patient, body, headers, key="in-body").status_code == 200
    assert post(world.own_patient, body, headers, key="other").status_code == 400
    assert Response.objects.get().idempotency_key == "in-body"


def test_without_a_key_nothing_is_stored(world: World) -> None:
    page = post(world.own_patient, PHQ9, token_for(world.patient_user, Scope.PATIENT_APP), key=None)
    assert page.status_code == 400
    assert "Idempotency-Key" in page.json()["detail"]
    assert not Response.objects.exists()


def test_malformed_answers_give_422_naming_each_item_and_save_nothing(world: World) -> None:
    headers = token_for(world.patient_user, Scope.PATIENT_APP)
    page = post(world.own_patient, {"instrument": "phq9", "answers": {"1": 0, "3": 4, "4": "two", "12": 1}}, headers)
    assert page.status_code == 422
    assert page.json()["errors"] == [
        "PHQ-9 has no item '12'", "item 3: 4 is out of range (allowed: 0, 1, 2, 3)",
        "item 4: 'two' is not a whole number",
    ]
    assert not Response.objects.exists()
    assert not AuditEvent.objects.filter(action="response.submit").exists()


def test_bodies_that_are_not_submissions_are_refused(world: World) -> None:
    headers = token_for(world.patient_user, Scope.PATIENT_APP)
    assert post(world.own_patient, b"{not json", headers).status_code == 400
    assert post(world.own_patient, [1, 2], headers).status_code == 400
    schema = post(world.own_patient, {"answers": [0] * 9}, headers)
    assert (schema.status_code, schema.json()["errors"]) == (422, ["instrument: Field required"])
    unknown = post(world.own_patient, {"instrument": "XYZ-1", "answers": []}, headers)
    assert unknown.status_code == 422
    assert "unknown instrument" in unknown.json()["detail"]
    assert post(world.own_patient, PHQ9, headers, key="x" * 101).status_code == 400
    assert not Response.objects.exists()


def test_a_key_reused_for_other_answers_is_a_conflict(world: World) -> None:
    headers = token_for(world.patient_user, Scope.PATIENT_APP)
    post(world.own_patient, PHQ9, headers)
    page = post(world.own_patient, {"instrument": "phq9", "answers": [0] * 9}, headers)
    assert page.status_code == 409
    assert Response.objects.count() == 1


def test_a_clinician_entry_is_marked_as_such_and_needs_the_write_scope(world: World) -> None:
    assert post(world.own_patient, PHQ9, token_for(world.alice, Scope.READ)).status_code == 403
    page = post(world.own_patient, PHQ9, token_for(world.alice, Scope.WRITE))
    assert page.status_code == 201
    assert page.json()["source"] == "clinician"
    assert Response.objects.get().submitted_by == world.alice


def test_the_patient_app_scope_is_needed_to_act_as_the_patient(world: World) -> None:
    assert post(world.own_patient, PHQ9, token_for(world.patient_user, Scope.READ)).status_code == 403
    assert not Response.objects.exists()


def test_an_unrelated_user_is_refused_before_the_body_is_read(world: World) -> None:
    for user in (world.bob, world.olga, world.ada, world.rui):
        headers = token_for(user, Scope.WRITE, Scope.READ)
        assert post(world.own_patient, PHQ9, headers).status_code == 404
        assert post(world.own_patient, b"garbage", headers).status_code == 404
        assert post(world.own_patient, {"instrument": "phq9", "answers": [9]}, headers).status_code == 404
    missing = Patient(pk=uuid.uuid4())
    assert post(missing, PHQ9, token_for(world.alice, Scope.WRITE)).status_code == 404
    assert not Response.objects.exists()
    assert AuditEvent.objects.filter(action="patient.denied").count() == 13


def test_the_care_team_lists_responses_newest_first(world: World) -> None:
    headers = token_for(world.patient_user, Scope.PATIENT_APP)
    post(world.own_patient, PHQ9, headers, key="a")
    post(world.own_patient, {"instrument": "gad7", "answers": [3] * 7}, headers, key="b")
    client = Client()
    listing = client.get(url(world.own_patient), headers=token_for(world.alice, Scope.READ))
    assert [row["instrument"] for row in listing.json()] == ["gad7", "phq9"]
    assert listing.json()[0]["band_label"] == "Severe"
    only = client.get(url(world.own_patient) + "?instrument=phq9", headers=token_for(world.alice, Scope.READ))
    assert [row["total"] for row in only.json()] == [8]
    refused = client.get(url(world.own_patient), headers=token_for(world.bob, Scope.READ))
    assert refused.status_code == 404
