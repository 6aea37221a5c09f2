"""In a real Chromium: caseload → alert → acknowledge with a note → timeline → message; the patient reads it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone
from playwright.sync_api import Page

from careloop.safety.models import RiskAlert
from tests.browser.conftest import settle
from tests.care.factories import alert, busy_patient
from tests.conftest import PASSWORD, World

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clinician_acknowledges_an_alert_and_messages_the_patient(
    world: World, live_server: Any, page: Page, phone_page: Page,
    browser_problems: Callable[[Page], list[str]], run_axe: Callable[[Page], list[dict[str, Any]]],
    browser_log_in: Callable[..., None], serious: Callable[[list[dict[str, Any]]], list[str]],
) -> None:
    busy_patient(world.org, world.team_a, "Busy Juniper", timezone.now())
    alert(world.own_patient, "moderate", opened=timezone.now(), deadline=timezone.now() + timedelta(hours=8))
    TOTP.activate(world.alice, SECRET)
    browser_log_in(page, live_server.url, "alice@example.org", PASSWORD, SECRET)
    page.wait_for_url("**/care/patients/")
    assert "Amber alert open: respond by" in page.inner_text("main")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "clinician-caseload.png"), full_page=True)
    assert serious(run_axe(page)) == []

    page.locator("section.caseload-alerts").get_by_role("link", name=world.own_patient.display_name).click()
    page.wait_for_url("**/alerts/")
    page.get_by_label("Note (required): what you did or will do").first.fill("Phoned the patient; safe tonight.")
    page.get_by_role("button", name="Acknowledge").first.click()
    page.get_by_text("Saved. The note is stored with the alert.").wait_for()
    assert RiskAlert.objects.filter(patient=world.own_patient, acknowledged_at__isnull=False).exists()

    page.get_by_role("link", name="Overview").click()
    page.get_by_role("link", name="Timeline").click()
    page.get_by_role("heading", name="Safety alerts and how they were handled").wait_for()
    assert "Phoned the patient; safe tonight." in page.inner_text("main")
    page.screenshot(path=str(SCREENSHOTS / "clinician-timeline.png"), full_page=True)
    assert serious(run_axe(page)) == []

    page.get_by_role("link", name="Messages").first.click()
    page.get_by_label("Your message to the patient").fill("Thank you for talking today. See you Thursday.")
    page.get_by_role("button", name="Send message").click()
    page.get_by_text("Message sent.").wait_for()
    assert browser_problems(page) == []

    browser_log_in(phone_page, live_server.url, "pat@example.org", PASSWORD)
    phone_page.goto(f"{live_server.url}/me/messages/")
    settle(phone_page)
    phone_page.get_by_text("Thank you for talking today. See you Thursday.").wait_for()
    assert "usually replies within 2 working days" in phone_page.inner_text("main")
    assert serious(run_axe(phone_page)) == []
    assert browser_problems(phone_page) == []


def test_the_timeline_draws_its_charts_under_the_strict_policy(
    world: World, live_server: Any, page: Page, browser_problems: Callable[[Page], list[str]],
    browser_log_in: Callable[..., None],
) -> None:
    patient = busy_patient(world.org, world.team_a, "Busy Kale", timezone.now())
    TOTP.activate(world.alice, SECRET)
    browser_log_in(page, live_server.url, "alice@example.org", PASSWORD, SECRET)
    page.goto(f"{live_server.url}/care/patients/{patient.pk}/timeline/")
    page.wait_for_function("() => typeof Chart !== 'undefined' && Chart.getChart('chart-phq9') !== undefined")
    painted = page.evaluate(
        "() => { const c = document.getElementById('chart-phq9'); const d = c.getContext('2d')"
        ".getImageData(0, 0, c.width, c.height).data; return d.some((v, i) => i % 4 === 3 && v > 0); }")
    assert painted
    assert browser_problems(page) == []
