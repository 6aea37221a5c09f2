"""Open mHealth data points over the API: validated, stored once, consent per stream, scopes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from careloop.accounts.models import Patient, User
from careloop.accounts.tokens import Scope, create_token
from careloop.consent.models import Stream
from tests.conftest import World
from tests.sensing.conftest import Grant

pytestmark = pytest.mark.django_db


def headers_for(user: User, *scopes: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(user, 'app', list(scopes), days=30).plaintext}"}


def post(patient: Patient, body: Any, headers: dict[str, str]) -> Any:
    return Client().post(f"/api/v1/patients/{patient.pk}/datapoints", body, content_type="application/json",
                         headers=headers)


def point(name: str, version: str, body: dict[str, Any], ident: str = "p-1") -> dict[str, Any]:
    return {"header": {"id": ident, "creation_date_time": "2026-01-10T08:00:05Z",
                       "schema_id": {"namespace": "omh", "name": name, "version": version},
                       "acquisition_provenance": {"source_name": "Demo Watch", "modality": "sensed"}},
            "body": body}


STEPS = point("step-count", "2.0", {"step_count": 842, "effective_time_frame": {"time_interval": {
    "start_date_time": "2026-01-10T07:00:00+01:00", "end_date_time": "2026-01-10T08:00:00+01:00"}}})
PLACE = point("geoposition", "1.0", {"latitude": {"value": 51.45, "unit": "deg"},
                                     "longitude": {"value": -2.58, "unit": "deg"},
                                     "effective_time_frame": {"date_time": "2026-01-10T08:00:00Z"}}, "p-2")


def test_data_points_are_stored_once_and_counted_per_consent(world: World, grant: Grant) -> None:
    grant(world.own_patient, Stream.STEPS)
    headers = headers_for(world.patient_user, Scope.PATIENT_APP)
    first = post(world.own_patient, [STEPS, PLACE], headers)
    assert first.status_code == 201
    assert first.json() | {"job": "-"} == first.json() | {
        "job": "-", "read": 2, "stored": 1, "duplicate": 0, "rejected": 1,
        "rejection_reasons": {"no consent for location": 1}, "state": "succeeded"}
    again = post(world.own_patient, STEPS, headers)
    assert (again.json()["stored"], again.json()["duplicate"]) == (0, 1)


def test_an_implausible_point_is_counted_by_reason_not_stored(world: World, grant: Grant) -> None:
    grant(world.own_patient, Stream.HEART_RATE)
    pulse = [point("heart-rate", "2.0", {"heart_rate": {"value": bpm, "unit": "beats/min"},
                                         "effective_time_frame": {"date_time": f"2026-01-10T08:0{index}:00Z"}},
                   f"hr-{index}") for index, bpm in enumerate((64, 8))]
    page = post(world.own_patient, pulse, headers_for(world.patient_user, Scope.PATIENT_APP))
    assert page.status_code == 201
    assert (page.json()["stored"], page.json()["rejection_reasons"]) == (1, {"heart rate outside 20–300 bpm": 1})


def test_invalid_points_are_422_with_their_index(world: World) -> None:
    bad = point("step-count", "2.0", {"step_count": -3, "effective_time_frame": {"date_time": "2026-01-10T08:00:00Z"}})
    unknown = point("blood-glucose", "4.0", {})
    page = post(world.own_patient, [STEPS, bad, unknown], headers_for(world.patient_user, Scope.PATIENT_APP))
    assert page.status_code == 422
    errors = page.json()["errors"]
    assert errors[0].startswith("[1]")
    assert errors[1].startswith("[2] schema omh:blood-glucose:4.0")


def test_not_json_is_400(world: World) -> None:
    page = Client().post(f"/api/v1/patients/{world.own_patient.pk}/datapoints", "nope",
                         content_type="application/json", headers=headers_for(world.patient_user, Scope.PATIENT_APP))
    assert page.status_code == 400


def test_scopes_and_relationships_are_enforced(world: World) -> None:
    assert post(world.own_patient, STEPS, headers_for(world.patient_user, Scope.READ)).status_code == 403
    assert post(world.own_patient, STEPS, headers_for(world.alice, Scope.PATIENT_APP)).status_code == 403
    assert post(world.own_patient, STEPS, headers_for(world.bob, Scope.WRITE)).status_code == 404
    assert post(world.own_patient, STEPS, headers_for(world.alice, Scope.WRITE)).status_code == 201
