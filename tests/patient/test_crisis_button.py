"""Crisis help is one tap away on every patient page: walk every /me/ route from the URL configuration."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import World, log_in

# Routes under /me/ with an id that is not an object, and what to fill it with.
FILL = {"instrument": "mood_checkin", "module": "thought_record"}
CRISIS_BUTTON = 'data-crisis-button'


def _walk(patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, route, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", route


def patient_routes() -> list[str]:
    """Every named route whose path starts with me/ — the patient's own pages, whoever's app serves them."""
    return sorted({name for name, route in _walk(get_resolver().url_patterns) if route.startswith("me/")})


def test_the_walk_finds_the_patient_pages() -> None:
    assert {"patient:overview", "patient:check_ins", "patient:consent", "safety:my_help", "safety:my_plan",
            "patient:exercise"} <= set(patient_routes())


@pytest.mark.django_db
@pytest.mark.parametrize("name", patient_routes())
def test_every_patient_page_has_the_crisis_button(world: World, name: str) -> None:
    client = log_in(Client(), world.patient_user, mfa=False)
    pattern = next(route for n, route in _walk(get_resolver().url_patterns) if n == name)
    kwargs = {param: FILL[param] for param in re.findall(r"<(?:\w+:)?(\w+)>", pattern)}
    response = client.get(reverse(name, kwargs=kwargs or None))
    if response.status_code == 405 or not response["Content-Type"].startswith("text/html"):
        return  # a form target (POST only) or a file download: no page to put a button on
    assert response.status_code == 200, f"{name} answered {response.status_code}"
    html = response.content.decode()
    assert CRISIS_BUTTON in html, f"{name} has no crisis button"
    assert reverse("safety:my_help") in html
