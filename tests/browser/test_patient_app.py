"""The patient app in a real Chromium: every page passes axe in English and Arabic, shows the crisis
button, fits a 640 px viewport (1280 px at 200% zoom); a check-in is completed with the keyboard alone;
a thought record is done in Arabic; location consent is withdrawn; the patient downloads their data."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from careloop.accounts.models import Patient
from careloop.audit.chain import Actor
from careloop.consent.actions import do_record_consent
from careloop.consent.models import ConsentDocument
from careloop.consent.queries import allows
from careloop.interventions.models import ExerciseEntry
from careloop.measures.actions import do_submit_response
from careloop.measures.models import Response, ResponseSource
from tests.conftest import PASSWORD, World
from tests.patient.test_crisis_button import FILL, patient_routes
from tests.routes import named_routes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SYSTEM = Actor(None, None)
NO_PAGE = {"patient:language", "patient:data_download"}  # a form target and a file, not pages


def serious(violations: list[dict[str, Any]]) -> list[str]:
    return [f"{v['id']}: {v['targets']}" for v in violations if v["impact"] in {"serious", "critical"}]


def page_urls(world: World) -> list[str]:
    """Every patient route that answers with a page (not a file, a form target or a JSON status)."""
    client = Client()
    client.force_login(world.patient_user, backend="allauth.account.auth_backends.AuthenticationBackend")
    urls = []
    patterns = {route.name: route.path for route in named_routes()}
    for name in patient_routes():
        kwargs = {param: FILL[param] for param in re.findall(r"<(?:\w+:)?(\w+)>", patterns[name])}
        url = reverse(name, kwargs=kwargs or None)
        if name not in NO_PAGE and client.get(url)["Content-Type"].startswith("text/html"):
            urls.append(url)
    return urls


def with_history(world: World, language: str = "en") -> None:
    Patient.objects.filter(pk=world.own_patient.pk).update(language=language)
    for key, answers in (("a", [1] * 9), ("b", [2] * 9)):
        do_submit_response(world.own_patient, "phq9", answers, key, actor=SYSTEM, source=ResponseSource.WEB)
    document = ConsentDocument.objects.create(organisation=world.org, purpose="personalisation", version=1,
                                              language="en", title="Personalisation",
                                              summary="We pick exercises for you.", body="You can stop at any time.")
    do_record_consent(world.own_patient, "personalisation", "location", granted=True, actor=SYSTEM, document=document)


def settle(page: Page) -> None:
    """Wait until the page's service worker has saved its offline copies: one request at a time.

    The live server shares one in-memory SQLite connection between its threads, so the test does not
    let the worker's background fetches overlap the next navigation.
    """
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === 'yes'")


def log_in(page: Page, base: str, *, worker: bool = True) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=login]").fill("pat@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/me/")
    if worker:
        settle(page)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_patient_page_passes_axe_and_shows_the_crisis_button(
    world: World, live_server: Any, phone_page: Page, language: str,
    browser_problems: Callable[[Page], list[str]], run_axe: Callable[[Page], list[dict[str, Any]]],
) -> None:
    with_history(world, language)
    page = phone_page
    log_in(page, live_server.url)
    failures = {}
    for url in page_urls(world):
        page.goto(live_server.url + url)
        settle(page)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("[data-crisis-button]")).to_be_visible()
        if found := serious(run_axe(page)):
            failures[url] = found
    assert failures == {}
    if language == "ar":
        assert page.get_attribute("html", "dir") == "rtl"
    assert browser_problems(page) == []


def test_every_patient_page_fits_1280_pixels_at_200_percent_zoom(
    world: World, live_server: Any, browser: Browser,
) -> None:
    with_history(world)
    context = browser.new_context(viewport={"width": 640, "height": 800}, service_workers="block")
    try:
        page = context.new_page()
        log_in(page, live_server.url, worker=False)
        overflowing = []
        for url in page_urls(world):
            page.goto(live_server.url + url)
            width = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            if width > 0:
                overflowing.append((url, width))
        assert overflowing == []
    finally:
        context.close()


def test_a_check_in_is_completed_with_the_keyboard_alone(world: World, live_server: Any, page: Page) -> None:
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/me/check-ins/mood_checkin/")
    settle(page)
    for item in ("mood", "anxiety", "sleep_quality", "energy"):
        _tab_until(page, f"() => document.activeElement.name === 'item-{item}'")
        page.keyboard.press("ArrowRight")  # selects the next option in the group
    _tab_until(page, "() => document.activeElement.matches('form.check-in button[type=submit]')")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="What your score means").wait_for()
    assert Response.objects.get().answers == {"mood": 1, "anxiety": 1, "sleep_quality": 1, "energy": 1}


def _tab_until(page: Page, condition: str) -> None:
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate(condition):
            return
    raise AssertionError(f"the keyboard never reached {condition}")


def test_a_patient_journey_on_a_phone(
    world: World, live_server: Any, phone_page: Page, browser_problems: Callable[[Page], list[str]],
) -> None:
    """Thought record in Arabic, location consent withdrawn, data downloaded."""
    with_history(world, "ar")
    page, base = phone_page, live_server.url
    log_in(page, base)
    page.get_by_role("link", name="التمارين").first.click()
    settle(page)
    page.get_by_role("link", name="سجل الأفكار").click()
    page.get_by_role("heading", name="سجل الأفكار").wait_for()
    settle(page)
    page.get_by_label("ماذا حدث؟ أين كنت ومن كان هناك؟").fill("في العمل، تأخرت في تسليم تقرير")
    page.get_by_label("ما الذي دار في ذهنك؟").fill("سأفقد وظيفتي")
    page.get_by_label("فكرة أكثر توازناً").fill("تأخرت مرة واحدة، وعملي جيد عادةً")
    page.get_by_role("button", name="حفظ").click()
    page.get_by_role("heading", name="تم الحفظ").wait_for()
    settle(page)
    entry = ExerciseEntry.objects.get()
    assert entry.module_id == "thought_record"
    assert "سأفقد وظيفتي" in entry.text

    page.get_by_role("link", name="الموافقة").click()
    settle(page)
    row = page.locator('tr[data-purpose="personalisation"][data-stream="location"]')
    expect(row.locator(".consent-state")).to_have_text("نعم")
    row.get_by_role("button").click()
    expect(page.locator('tr[data-purpose="personalisation"][data-stream="location"] .consent-state')).to_have_text("لا")
    settle(page)
    assert not allows(world.own_patient, "personalisation", "location")

    page.get_by_role("link", name="بياناتي").click()
    settle(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="تنزيل بياناتي (zip)").click()
    archive = zipfile.ZipFile(io.BytesIO(open(download_info.value.path(), "rb").read()))  # noqa: SIM115
    data = json.loads(archive.read("data.json"))
    assert data["exercises"][0]["written"]["automatic_thought"] == "سأفقد وظيفتي"
    assert [g["granted"] for g in data["consent_history"]] == [True, False]
    assert browser_problems(page) == []


def test_consent_is_withdrawn_with_the_keyboard_alone(world: World, live_server: Any, page: Page) -> None:
    with_history(world)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/me/consent/")
    settle(page)
    _tab_until(page, "() => document.activeElement.value === 'withdraw'"
                     " && document.activeElement.textContent.includes('Location')")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Stop using Location")).to_have_count(0)
    assert not allows(world.own_patient, "personalisation", "location")
