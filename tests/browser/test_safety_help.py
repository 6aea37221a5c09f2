"""In a real Chromium on a phone: PHQ-9 item 9 "Several days" brings crisis help and the C-SSRS at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from careloop.safety.models import RiskAlert, SafetySettings
from tests.browser.conftest import settle
from tests.conftest import PASSWORD, World

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ANSWERS = ("Several days", "Not at all", "Several days", "Not at all", "Not at all", "Not at all", "Not at all",
           "Not at all", "Several days")  # item 9: thoughts of being better off dead, several days

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_item9_several_days_shows_crisis_help_and_the_cssrs_screener_first(
    world: World, live_server: Any, phone_page: Page,
    browser_problems: Callable[[Page], list[str]], run_axe: Callable[[Page], list[dict[str, Any]]],
    browser_log_in: Callable[..., None], serious: Callable[[list[dict[str, Any]]], list[str]],
) -> None:
    SafetySettings.objects.create(organisation=world.org, timezone="Europe/London")
    page = phone_page
    browser_log_in(page, live_server.url, "pat@example.org", PASSWORD)
    page.wait_for_url("**/me/")
    page.goto(f"{live_server.url}/me/check-ins/phq9/")
    settle(page)
    for number, answer in enumerate(ANSWERS, start=1):
        page.get_by_role("group", name=f"{number}.", exact=False).get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Send my answers").click()

    page.get_by_role("heading", name="Help is here now").wait_for()
    settle(page)
    screener = page.get_by_role("link", name="Answer the C-SSRS questions now")
    assert screener.get_attribute("href") == "/me/check-ins/cssrs_screener/"
    assert page.get_by_role("link", name="Call 116 123").get_attribute("href") == "tel:116123"
    assert page.get_by_role("link", name="Call 999").is_visible()
    help_box = page.locator(".help-now").bounding_box()
    saved = page.get_by_role("heading", name="Your PHQ-9 answers are saved").bounding_box()
    assert help_box is not None
    assert saved is not None
    assert help_box["y"] < saved["y"]
    assert "Do not rely on this app to keep you safe" in page.inner_text(".help-now")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "patient-phq9-crisis-help.png"), full_page=True)
    assert serious(run_axe(page)) == []
    assert browser_problems(page) == []
    assert RiskAlert.objects.get().severity == "moderate"
