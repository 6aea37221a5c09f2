"""Browser-test fixtures: headless Debian Chromium via Playwright, watched pages and an axe runner.

Fixtures: `browser` (one Chromium per session), `page` (1280x800 desktop) and `phone_page`
(390x844, is_mobile), each in a fresh browser context. Every page is watched from its first
navigation: `browser_problems(page)` returns the CSP violations, console errors and uncaught
exceptions seen so far, so a test ends with `assert browser_problems(page) == []`, and
`run_axe(page)` injects the vendored axe-core and returns its violations. Both helpers are
fixtures that return functions, so tests never import this conftest.

Chromium is Debian's /usr/bin/chromium (scripts/install_browser.sh); `playwright install`
is never used. Use these fixtures with pytest-django's `live_server`:
`page.goto(live_server.url + "/...")`, and mark the test `@pytest.mark.browser`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from careloop.demo.totp import TOTP_PERIOD_SECONDS, current_code

# Playwright's sync API keeps an asyncio event loop running in the main thread. Django sees that
# loop and refuses ORM calls from test code (SynchronousOnlyOperation) although nothing runs in a
# coroutine: the test body is plain synchronous code and live_server serves from its own thread.
# Lifting the guard is therefore safe for the test process; it is never set in settings.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_SOURCE = REPO / "static" / "vendor" / "test" / "axe-core" / "axe.min.js"
DEFAULT_TIMEOUT_MS = 10_000

# No sandbox (containers, root), no GPU, and nothing that phones home: the tests must not touch
# the network beyond the loopback server they drive.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # small /dev/shm in containers crashes renderers
]

# Violations trimmed to what an assertion message needs.
AXE_RUN = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(
  (v) => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" "))})
)"""

# Reports every CSP violation to Python through the binding below; added to each new document
# before its own scripts run. DevTools-injected scripts are not subject to the page's CSP.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__careloopReportCsp(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` (${event.sourceFile || event.documentURI}:${event.lineNumber})`
  );
});
"""
# One macrotask round trip: violation events queued before it have been delivered after it.
SETTLE = "() => new Promise((resolve) => setTimeout(resolve, 0))"


@dataclass
class BrowserProblems:
    """What went wrong in one page, by kind, each kind in the order it happened."""

    csp_violations: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return (
            [f"CSP: {text}" for text in self.csp_violations]
            + [f"console: {text}" for text in self.console_errors]
            + [f"exception: {text}" for text in self.page_errors]
        )


_WATCHED: WeakKeyDictionary[Page, BrowserProblems] = WeakKeyDictionary()


def watch_page(page: Page) -> BrowserProblems:
    """Start recording CSP violations, console errors and uncaught exceptions of `page`."""
    problems = BrowserProblems()

    def on_csp_violation(text: str) -> None:
        problems.csp_violations.append(text)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.expose_function("__careloopReportCsp", on_csp_violation)
    page.add_init_script(CSP_LISTENER)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    _WATCHED[page] = problems
    return problems


def collect_browser_problems(page: Page) -> list[str]:
    """Everything recorded for a watched page so far; empty when the page behaved."""
    page.evaluate(SETTLE)
    return _WATCHED[page].all()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the current document; one short dict per violation.

    axe is injected with page.evaluate(source): DevTools evaluation is not subject to the
    page's CSP, so the page keeps its real policy (no bypass_csp context) and no page or
    template ever references axe. page.add_script_tag would be blocked by `script-src 'self'`.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8") + "\n;undefined")
    violations: list[dict[str, Any]] = page.evaluate(AXE_RUN)
    return violations


def open_watched_page(browser: Browser, **context_options: Any) -> Iterator[Page]:
    """A watched page in a new context of its own; closes the context afterwards."""
    context = browser.new_context(**context_options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    watch_page(page)
    yield page
    _let_the_worker_finish(page)
    context.close()


def _let_the_worker_finish(page: Page) -> None:
    """Let a patient page's service worker finish its fetches before the test database is emptied."""
    with contextlib.suppress(PlaywrightError):  # the test closed the page, or never loaded one of ours
        settle(page)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Headless Debian Chromium for the whole session.

    launch() gives every browser a fresh temporary profile (user-data dir) that Playwright
    deletes on close; Playwright refuses a --user-data-dir argument to launch().
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install_browser.sh, or deselect: -m 'not browser'")
    chromium = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    yield from open_watched_page(browser, viewport={"width": 1280, "height": 800})


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    yield from open_watched_page(
        browser,
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )


@pytest.fixture
def browser_problems() -> Callable[[Page], list[str]]:
    """`browser_problems(page)`: CSP violations, console errors and exceptions of a watched page."""
    return collect_browser_problems


@pytest.fixture
def run_axe() -> Callable[[Page], list[dict[str, Any]]]:
    """`run_axe(page)`: axe-core violations of the page's current document (id, impact, help, targets)."""
    return axe_violations


def settle(page: Page) -> None:
    """On a patient page, wait until the service worker has kept its offline copies.

    The live server shares one in-memory SQLite connection between its threads, so a test must not let
    the worker's background fetches overlap its next request (production has a connection per thread).
    Staff pages have no worker and return at once.
    """
    root = "document.documentElement.dataset"
    page.wait_for_function(f"() => !{root}.offlineStage || {root}.offlineReady === 'yes'")


def log_in_page(page: Page, base_url: str, email: str, password: str, totp_secret: str | None = None) -> None:
    """Log in through the real form; with ``totp_secret``, pass the MFA challenge too.

    The code is computed when it is typed, not before the pages load, and never in the last seconds of
    its step: on a loaded machine a code read early had expired by the time it was sent.
    """
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    if totp_secret is not None:
        page.wait_for_url("**/2fa/authenticate/")
        page.get_by_label("Code").fill(fresh_code(totp_secret))
        page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()
    settle(page)


def fresh_code(secret: str, margin_s: float = 5.0) -> str:
    """The current TOTP code, waiting for the next step if this one ends within ``margin_s`` seconds."""
    left = TOTP_PERIOD_SECONDS - time.time() % TOTP_PERIOD_SECONDS
    if left < margin_s:
        time.sleep(left + 0.1)
    return current_code(secret)


def serious_violations(violations: list[dict[str, Any]]) -> list[str]:
    """axe violations a page must not have: serious or critical impact."""
    return [f"{v['id']}: {v['targets']}" for v in violations if v["impact"] in {"serious", "critical"}]


@pytest.fixture
def browser_log_in() -> Callable[..., None]:
    """`browser_log_in(page, live_server.url, email, password, totp_secret=None)`."""
    return log_in_page


@pytest.fixture
def serious() -> Callable[[list[dict[str, Any]]], list[str]]:
    """`serious(run_axe(page))`: the serious and critical axe violations, as readable strings."""
    return serious_violations
