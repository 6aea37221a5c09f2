"""axe on every clinician and administrator page, in English and in Arabic (right to left).

Pages are discovered from the URL configuration: every GET route under /care/, /organisation/ and
/audit/ that returns HTML, filled with a patient of the clinician's own team. A new staff page is
checked the day it is added.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse
from playwright.sync_api import Browser, Page

from careloop.accounts.models import Membership, Role
from tests.conftest import PASSWORD, World
from tests.routes import named_routes

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
STAFF_PREFIXES = ("care/", "organisation/", "audit/")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def staff_pages() -> list[tuple[str, set[str]]]:
    """(route name, its parameters) for every staff GET page that is not a JSON or file endpoint."""
    pages = []
    for route in named_routes():
        not_a_page = re.search(r"\.(json|jsonl)$|review/$|break-glass/$", route.path)
        if route.path.startswith(STAFF_PREFIXES) and not not_a_page:
            pages.append((route.name, set(route.params)))
    return sorted(pages)


def _url(name: str, params: set[str], world: World) -> str:
    assert params <= {"patient_id"}, f"{name}: say how to fill {params - {'patient_id'} }"
    return reverse(name, kwargs={"patient_id": world.own_patient.pk} if params else None)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_staff_page_passes_axe(
    world: World, live_server: Any, browser: Browser, language: str,
    browser_log_in: Callable[..., None], serious: Callable[[list[dict[str, Any]]], list[str]],
    run_axe: Callable[[Page], list[dict[str, Any]]],
) -> None:
    Membership.objects.create(user=world.alice, organisation=world.org, role=Role.ADMIN)  # organisation + audit
    TOTP.activate(world.alice, SECRET)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    browser_log_in(page, live_server.url, "alice@example.org", PASSWORD, SECRET)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    problems = {}
    pages = staff_pages()
    assert len(pages) >= 10
    for name, params in pages:
        page.goto(live_server.url + _url(name, params, world))
        assert page.locator("html").get_attribute("lang") == language, name
        found = serious(run_axe(page))
        if found:
            problems[name] = found
    context.close()
    assert problems == {}
