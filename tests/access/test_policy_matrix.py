"""The policy matrix: every route, every role, own / other-team / other-organisation patients.

Routes are discovered from the URL configuration (django-ninja endpoints included), so an
endpoint is covered the day it is added. A route with a ``patient_id`` is expected to answer
exactly the personas the policy allows and to answer "not found" to everyone else; every other
route must never show the name of a patient the persona may not see. A route with any other
object id must be declared in ``OBJECT_ID_ROUTES`` with how to test it, or this test fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import Patient, User
from tests.conftest import World, build_world, log_in
from tests.routes import named_routes

# Routes that take an object id other than a patient id, with the kwargs to fill them.
OBJECT_ID_ROUTES: dict[str, dict[str, str]] = {
    "account_confirm_email": {"key": "not-a-real-key"},
    "account_reset_password_from_key": {"uidb36": "1", "key": "not-a-real-key"},
    "review_break_glass": {"grant_id": "1"},  # POST-only; tests/accounts/test_organisation.py covers who may
    # An instrument id, not an object: the page only ever shows the logged-in patient's own form.
    "patient:check_in": {"instrument": "phq9"},
    # A content module id, not an object: the page shows the module and only the patient's own form.
    "patient:exercise": {"module": "thought_record"},
}
# Patient routes whose audience differs from direct care, each with who may reach them.
BREAK_GLASS_ROUTES = {"care:break_glass"}
PERSONAS = ("anonymous", "patient_user", "alice", "bob", "sam", "ada", "rui", "olga")
PATIENTS = ("own_patient", "other_team_patient", "other_org_patient")

# Who reaches which patient for direct care: the policy table in words.
CARE_ACCESS = {
    "patient_user": {"own_patient"},
    "alice": {"own_patient"},
    "bob": {"other_team_patient"},
    "sam": {"own_patient", "other_team_patient"},
    "olga": {"other_org_patient"},
}
BREAK_GLASS_ACCESS = {
    "alice": {"own_patient", "other_team_patient"},
    "bob": {"own_patient", "other_team_patient"},
    "sam": {"own_patient", "other_team_patient"},
    "olga": {"other_org_patient"},
}


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[str, ...]

    @property
    def is_patient_route(self) -> bool:
        return "patient_id" in self.params


ROUTES = [Route(route.name, route.params) for route in named_routes()]


def test_it_discovers_patient_routes_from_the_url_configuration() -> None:
    names = {route.name for route in ROUTES if route.is_patient_route}
    assert {"care:patient_overview", "api:get_patient", "api:get_consent"} <= names


def test_it_knows_how_to_fill_every_route() -> None:
    undeclared = [r.name for r in ROUTES if set(r.params) - {"patient_id"} and r.name not in OBJECT_ID_ROUTES]
    assert undeclared == [], "declare these routes' ids in OBJECT_ID_ROUTES and how to test them"


@pytest.fixture(scope="module")
def matrix_world(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[World]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        from django.db import transaction

        with transaction.atomic():
            world = build_world()
            yield world
            transaction.set_rollback(True)


def _client(world: World, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        user: User = getattr(world, persona)
        log_in(client, user)
    return client


def _url(route: Route, patient: Patient | None) -> str:
    kwargs = dict(OBJECT_ID_ROUTES.get(route.name, {}))
    if patient is not None:
        kwargs["patient_id"] = str(patient.pk)
    return reverse(route.name, kwargs=kwargs or None)


def _expected(route: Route, persona: str, target: str) -> bool:
    table = BREAK_GLASS_ACCESS if route.name in BREAK_GLASS_ROUTES else CARE_ACCESS
    return target in table.get(persona, set())


def _names_hidden_from(world: World, persona: str) -> list[str]:
    visible = CARE_ACCESS.get(persona, set())
    return [getattr(world, key).display_name for key in PATIENTS if key not in visible]


REFUSED = {302, 401, 403, 404, 405}
ALLOWED = {200, 400, 405}  # 400: an empty form was posted; 405: the route does not take this method


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if r.is_patient_route], ids=lambda r: r.name)
@pytest.mark.parametrize("persona", PERSONAS)
def test_patient_routes_answer_only_whom_the_policy_allows(matrix_world: World, route: Route, persona: str) -> None:
    client = _client(matrix_world, persona)
    for target in PATIENTS:
        patient: Patient = getattr(matrix_world, target)
        for method in (client.get, client.post):
            response = method(_url(route, patient))
            _assert_policy(response.status_code, response.content, route, persona, target, patient, method)


def _assert_policy(status: int, body: bytes, route: Route, persona: str, target: str, patient: Patient,
                   method: Callable[..., object]) -> None:
    where = f"{persona} → {route.name} ({target}) via {getattr(method, '__name__', '?')}"
    if _expected(route, persona, target):
        assert status in ALLOWED, f"{where} answered {status}, expected the page"
        return
    assert status in REFUSED, f"{where} answered {status}: a leak"
    assert patient.display_name.encode() not in body, f"{where} showed the patient's name"


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if not r.is_patient_route], ids=lambda r: r.name)
@pytest.mark.parametrize("persona", PERSONAS)
def test_other_routes_never_show_a_patient_the_persona_may_not_see(
    matrix_world: World, route: Route, persona: str
) -> None:
    client = _client(matrix_world, persona)
    response = client.get(_url(route, None), follow=True)
    raw = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    body = raw.decode(errors="replace")
    assert response.status_code < 500, f"{persona} → {route.name} failed with {response.status_code}"
    for name in _names_hidden_from(matrix_world, persona):
        assert name not in body, f"{persona} → {route.name} showed {name!r}"
