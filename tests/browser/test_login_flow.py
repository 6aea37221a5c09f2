"""In a real Chromium: a clinician passes TOTP and sees only their team; a patient sees themself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import Page

from careloop.demo.totp import current_code
from tests.conftest import PASSWORD, World

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_a_clinician_passes_mfa_and_sees_only_their_team(
    world: World, live_server: Any, page: Page,
    browser_problems: Callable[[Page], list[str]], run_axe: Callable[[Page], list[dict[str, Any]]],
) -> None:
    TOTP.activate(world.alice, SECRET)
    _log_in(page, live_server.url, "alice@example.org")
    page.wait_for_url("**/2fa/authenticate/")
    page.get_by_label("Code").fill(current_code(SECRET))
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/care/patients/")
    page.get_by_role("heading", name="My patients").wait_for()
    body = page.inner_text("main")
    assert world.own_patient.display_name in body
    assert world.other_team_patient.display_name not in body
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "clinician-patient-list.png"), full_page=True)
    assert [v["id"] for v in run_axe(page) if v["impact"] in {"serious", "critical"}] == []
    assert browser_problems(page) == []


def test_a_patient_logs_in_and_sees_their_own_page(
    world: World, live_server: Any, phone_page: Page, browser_problems: Callable[[Page], list[str]],
) -> None:
    _log_in(phone_page, live_server.url, "pat@example.org")
    phone_page.wait_for_url("**/me/")
    assert world.own_patient.display_name in phone_page.inner_text("h1")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone_page.screenshot(path=str(SCREENSHOTS / "patient-overview.png"), full_page=True)
    assert browser_problems(phone_page) == []
