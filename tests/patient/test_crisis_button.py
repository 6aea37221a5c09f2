"""Crisis help is one tap away on every patient page: walk every /me/ route from the URL configuration."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import World, log_in
from tests.routes import named_routes

# Routes under /me/ with an id that is not an object, and what to fill it with.
FILL = {"instrument": "mood_checkin", "module": "thought_record"}
CRISIS_BUTTON = 'data-crisis-button'


def patient_routes() -> list[str]:
    """Every named route whose path starts with me/ — the patient's own pages, whoever's app serves them."""
    return sorted({route.name for route in named_routes() if route.path.startswith("me/")})


def test_the_walk_finds_the_patient_pages() -> None:
    assert {"patient:overview", "patient:check_ins", "patient:consent", "safety:my_help", "safety:my_plan",
            "patient:exercise"} <= set(patient_routes())


@pytest.mark.django_db
@pytest.mark.parametrize("name", patient_routes())
def test_every_patient_page_has_the_crisis_button(world: World, name: str) -> None:
    client = log_in(Client(), world.patient_user, mfa=False)
    params = next(route.params for route in named_routes() if route.name == name)
    kwargs = {param: FILL[param] for param in params}
    response = client.get(reverse(name, kwargs=kwargs or None))
    if response.status_code == 405 or not response["Content-Type"].startswith("text/html"):
        return  # a form target (POST only) or a file download: no page to put a button on
    assert response.status_code == 200, f"{name} answered {response.status_code}"
    html = response.content.decode()
    assert CRISIS_BUTTON in html, f"{name} has no crisis button"
    assert reverse("safety:my_help") in html
