"""In a real Chromium: a clinician passes TOTP and sees only their team; a patient sees themself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import Page

from tests.conftest import PASSWORD, World

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clinician_passes_mfa_and_sees_only_their_team(
    world: World, live_server: Any, page: Page,
    browser_problems: Callable[[Page], list[str]], run_axe: Callable[[Page], list[dict[str, Any]]],
    browser_log_in: Callable[..., None], serious: Callable[[list[dict[str, Any]]], list[str]],
) -> None:
    TOTP.activate(world.alice, SECRET)
    browser_log_in(page, live_server.url, "alice@example.org", PASSWORD, SECRET)
    page.wait_for_url("**/care/patients/")
    page.get_by_role("heading", name="My patients").wait_for()
    body = page.inner_text("main")
    assert world.own_patient.display_name in body
    assert world.other_team_patient.display_name not in body
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "clinician-patient-list.png"), full_page=True)
    assert serious(run_axe(page)) == []
    assert browser_problems(page) == []


def test_a_patient_logs_in_and_sees_their_own_page(
    world: World, live_server: Any, phone_page: Page, browser_problems: Callable[[Page], list[str]],
    browser_log_in: Callable[..., None],
) -> None:
    browser_log_in(phone_page, live_server.url, "pat@example.org", PASSWORD)
    phone_page.wait_for_url("**/me/")
    assert world.own_patient.display_name in phone_page.inner_text("h1")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone_page.screenshot(path=str(SCREENSHOTS / "patient-overview.png"), full_page=True)
    assert browser_problems(phone_page) == []
