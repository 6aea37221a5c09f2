"""On a phone-sized Chromium: a patient answers a due check-in with the network cut, reconnects, and
exactly one response is stored; crisis help still opens offline; log-out leaves no cache behind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from careloop.measures.models import Response, Schedule, ScheduleKind
from tests.conftest import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MOOD = {"mood": "6", "anxiety": "3", "sleep_quality": "7", "energy": "5"}


def log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill("pat@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/me/")


def wait_until_offline_ready(page: Page) -> None:
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === 'yes'")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def outbox_size(page: Page) -> int:
    size: int = page.evaluate("""async () => {
      const db = await idb.openDB("careloop-offline", 1);
      return (await db.getAll("outbox")).length;
    }""")
    return size


def test_a_check_in_answered_offline_is_stored_exactly_once_after_reconnecting(
    world: World, live_server: Any, phone_page: Page, browser_problems: Callable[[Page], list[str]],
) -> None:
    Schedule.objects.create(patient=world.own_patient, instrument_id="mood_checkin", kind=ScheduleKind.EVERY_N_DAYS,
                            parameters={"n": 1, "at": "00:00"},
                            starts_on=timezone.now().astimezone(world.own_patient.zone()).date())
    page, base = phone_page, live_server.url
    log_in(page, base)
    wait_until_offline_ready(page)
    page.reload()  # now controlled by the worker, which has saved this patient's due check-in
    wait_until_offline_ready(page)
    expect(page.get_by_role("link", name="Daily mood check-in")).to_be_visible()

    page.context.set_offline(True)
    page.get_by_role("link", name="Daily mood check-in").click()
    page.get_by_role("heading", name="Daily mood check-in").wait_for()
    for item, value in MOOD.items():
        page.locator(f'input[name="item-{item}"][value="{value}"]').check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator("#offline-status")).to_contain_text("saved on this device")
    assert outbox_size(page) == 1
    assert Response.objects.count() == 0

    page.get_by_role("link", name="Get help now").first.click()  # crisis help works offline too
    page.get_by_role("heading", name="Get help now").wait_for()

    page.context.set_offline(False)  # the browser says "online": the page sends what it holds
    page.wait_for_function("() => document.documentElement.dataset.outbox === 'empty'")
    expect(page.locator("#offline-status")).to_contain_text("have been sent")
    assert outbox_size(page) == 0
    page.goto(f"{base}/me/")
    wait_until_offline_ready(page)
    page.reload()  # a second sync finds nothing left to send
    wait_until_offline_ready(page)
    stored = Response.objects.get()
    assert (stored.instrument_id, stored.answers) == ("mood_checkin", {k: int(v) for k, v in MOOD.items()})
    assert Response.objects.count() == 1

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    assert page.evaluate("async () => (await caches.keys()).length") == 0
    problems = [p for p in browser_problems(page) if "net::ERR_INTERNET_DISCONNECTED" not in p]
    assert problems == []
