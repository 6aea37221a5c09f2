"""In a real Chromium on a phone-sized screen: a patient answers a PHQ-9 and reads what the score means."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from careloop.measures.models import Response
from tests.browser.conftest import settle
from tests.conftest import PASSWORD, World

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ANSWERS = ("Several days", "More than half the days", "Several days", "More than half the days", "Not at all",
           "Several days", "Several days", "Not at all", "Not at all")  # total 8: mild

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patient_completes_a_phq9_and_sees_the_meaning_of_their_score(
    world: World, live_server: Any, phone_page: Page,
    browser_problems: Callable[[Page], list[str]], run_axe: Callable[[Page], list[dict[str, Any]]],
    browser_log_in: Callable[..., None], serious: Callable[[list[dict[str, Any]]], list[str]],
) -> None:
    page = phone_page
    browser_log_in(page, live_server.url, "pat@example.org", PASSWORD)
    page.wait_for_url("**/me/")
    page.get_by_role("link", name="My check-ins").click()
    page.wait_for_url("**/me/check-ins/")
    settle(page)
    page.get_by_role("link", name="PHQ-9").click()
    page.get_by_role("heading", name="PHQ-9").wait_for()
    settle(page)
    assert serious(run_axe(page)) == []
    for number, answer in enumerate(ANSWERS, start=1):
        page.get_by_role("group", name=f"{number}.", exact=False).get_by_label(answer, exact=True).check()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "patient-phq9-form.png"))
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_role("heading", name="What your score means").wait_for()
    settle(page)
    meaning = page.inner_text(".meaning")
    assert "Your score is 8, on a scale from 0 to 27." in meaning
    assert "“Mild” range for depression" in meaning
    page.screenshot(path=str(SCREENSHOTS / "patient-phq9-result.png"), full_page=True)
    assert serious(run_axe(page)) == []
    assert browser_problems(page) == []
    assert Response.objects.get().total == 8
