"""The vendored libraries work under Careloop's strict CSP, and `vendor_js.py --check` catches drift.

A loopback http.server serves a tiny page plus static/vendor with the policy
`default-src 'self'; script-src 'self'; style-src 'self'`. Negative controls prove the
watchers can fail: a page without the htmx config trips the CSP watch, and an unlabelled
button trips axe.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

REPO = Path(__file__).resolve().parents[2]
VENDOR = REPO / "static" / "vendor"
VENDOR_SCRIPT = REPO / "scripts" / "vendor_js.py"
STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'"
SERIOUS = {"serious", "critical"}

Problems = Callable[[Page], list[str]]
Axe = Callable[[Page], list[dict[str, Any]]]

HEAD = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{htmx_config}
<title>Vendored libraries</title>
<link rel="stylesheet" href="/vendor/uplot/uPlot.min.css">
<script src="/vendor/htmx.org/htmx.min.js" defer></script>
<script src="/vendor/chart.js/chart.umd.min.js" defer></script>
<script src="/vendor/uplot/uPlot.iife.min.js" defer></script>
<script src="/vendor/idb/umd.js" defer></script>
<script src="/charts.js" defer></script>
</head>
"""
HTMX_CONFIG = """<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}'>"""
BODY = """<body>
<main>
<h1>Vendored libraries</h1>
<div><canvas id="scores" role="img" aria-label="PHQ-9 total by week: 18, 15, 11, 9"></canvas></div>
<div id="sleep"></div>
<button type="button" hx-get="/fragment.html" hx-target="#fragment">Load fragment</button>
<div id="fragment" aria-live="polite"></div>
</main>
</body>
</html>
"""
CHARTS_JS = """// Draws one Chart.js and one uPlot chart, then marks the body so the test can wait for it.
new Chart(document.getElementById("scores"), {
  type: "line",
  data: {labels: ["1 Mar", "8 Mar", "15 Mar", "22 Mar"], datasets: [{label: "PHQ-9", data: [18, 15, 11, 9]}]},
  options: {animation: false},
});
const days = [1740787200, 1740873600, 1740960000, 1741046400];
const sleep = document.getElementById("sleep");
new uPlot(
  {
    title: "Sleep hours", width: Math.min(sleep.clientWidth, 600), height: 200,
    series: [{}, {label: "sleep", stroke: "#1f4e8c"}],
  },
  [days, [7.5, 6.1, 5.2, 7.9]],
  sleep,
);
document.body.dataset.chartsReady = "true";
"""
UNLABELLED_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Unlabelled</title></head>
<body><main><h1>Unlabelled</h1><button type="button"></button></main></body></html>
"""
# A painted pixel has a non-zero alpha channel.
PAINTED_PIXELS = """(canvas) => canvas.getContext("2d")
  .getImageData(0, 0, canvas.width, canvas.height).data
  .filter((value, index) => index % 4 === 3 && value > 0).length"""
IDB_ROUND_TRIP = """async () => {
  const db = await idb.openDB("smoke", 1, {upgrade(db) { db.createObjectStore("queue", {keyPath: "key"}); }});
  await db.put("queue", {key: "answer-1", score: 9});
  return (await db.get("queue", "answer-1")).score;
}"""


class StrictCspHandler(SimpleHTTPRequestHandler):
    """Serves files with Careloop's production CSP and without access logs."""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", STRICT_CSP)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


def write_site(root: Path) -> None:
    (root / "vendor").symlink_to(VENDOR, target_is_directory=True)
    (root / "index.html").write_text(HEAD.format(htmx_config=HTMX_CONFIG) + BODY, encoding="utf-8")
    (root / "no-htmx-config.html").write_text(HEAD.format(htmx_config="") + BODY, encoding="utf-8")
    (root / "unlabelled.html").write_text(UNLABELLED_PAGE, encoding="utf-8")
    (root / "charts.js").write_text(CHARTS_JS, encoding="utf-8")
    (root / "fragment.html").write_text("<p>Fragment loaded</p>", encoding="utf-8")
    (root / "favicon.ico").write_bytes(b"")


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("site")
    write_site(root)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(StrictCspHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def vendored_version(name: str) -> str:
    manifest = json.loads((VENDOR / "VENDORED.json").read_text(encoding="utf-8"))
    return next(str(p["version"]) for p in manifest["packages"] if p["name"] == name)


def open_charts(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-charts-ready", "true")


@pytest.mark.browser
def test_vendored_libraries_load_and_render_under_strict_csp(
    page: Page, site_url: str, browser_problems: Problems
) -> None:
    open_charts(page, f"{site_url}/index.html")

    versions = page.evaluate("() => [htmx.version, Chart.version, typeof uPlot, typeof idb.openDB]")
    assert versions == [vendored_version("htmx.org"), vendored_version("chart.js"), "function", "function"]
    assert page.evaluate("() => Chart.getChart('scores') !== undefined")
    assert page.locator("#scores").evaluate(PAINTED_PIXELS) > 0
    expect(page.locator("#sleep .uplot canvas")).to_be_visible()
    assert browser_problems(page) == []


@pytest.mark.browser
def test_htmx_and_idb_work_under_strict_csp(page: Page, site_url: str, browser_problems: Problems) -> None:
    open_charts(page, f"{site_url}/index.html")

    page.get_by_role("button", name="Load fragment").click()
    expect(page.locator("#fragment")).to_have_text("Fragment loaded")
    assert page.evaluate(IDB_ROUND_TRIP) == 9
    assert browser_problems(page) == []


@pytest.mark.browser
def test_vendor_page_has_no_serious_accessibility_violations(
    page: Page, site_url: str, run_axe: Axe, browser_problems: Problems
) -> None:
    open_charts(page, f"{site_url}/index.html")

    assert [v for v in run_axe(page) if v["impact"] in SERIOUS] == []
    assert browser_problems(page) == []


@pytest.mark.browser
def test_vendor_page_renders_on_a_phone(phone_page: Page, site_url: str, browser_problems: Problems) -> None:
    open_charts(phone_page, f"{site_url}/index.html")

    # A wider layout viewport means something overflowed and the phone zoomed out to fit it.
    widths = phone_page.evaluate("() => [window.innerWidth, document.documentElement.scrollWidth]")
    assert widths == [390, 390]
    assert phone_page.locator("#scores").evaluate(PAINTED_PIXELS) > 0
    assert browser_problems(phone_page) == []


@pytest.mark.browser
def test_csp_watch_reports_htmx_indicator_styles(page: Page, site_url: str, browser_problems: Problems) -> None:
    """Negative control: without the htmx-config meta, htmx 2 injects a <style> the CSP blocks."""
    open_charts(page, f"{site_url}/no-htmx-config.html")

    assert any(p.startswith("CSP: style-src-elem blocked inline") for p in browser_problems(page))


@pytest.mark.browser
def test_axe_reports_an_unlabelled_button(page: Page, site_url: str, run_axe: Axe) -> None:
    """Negative control: axe, injected under the strict CSP, really runs and finds problems."""
    page.goto(f"{site_url}/unlabelled.html")

    assert [v["id"] for v in run_axe(page)] == ["button-name"]


def run_check(vendor_dir: Path) -> subprocess.CompletedProcess[str]:
    # Fixed argument list: this interpreter and the repo's own script.
    return subprocess.run(  # noqa: S603
        [sys.executable, str(VENDOR_SCRIPT), "--check", "--vendor-dir", str(vendor_dir)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_committed_vendor_matches_its_manifest() -> None:
    result = run_check(VENDOR)
    assert result.returncode == 0, result.stderr


def change_file(root: Path) -> str:
    (root / "chart.js" / "chart.umd.min.js").write_bytes(b"/* tampered */")
    return "changed (sha256 differs): chart.js/chart.umd.min.js"


def remove_file(root: Path) -> str:
    (root / "idb" / "LICENSE").unlink()
    return "missing: idb/LICENSE"


def add_file(root: Path) -> str:
    (root / "htmx.org" / "extra.js").write_text("alert(1)", encoding="utf-8")
    return "not in VENDORED.json: htmx.org/extra.js"


def stale_version(root: Path) -> str:
    manifest_path = root / "VENDORED.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    idb = next(p for p in manifest["packages"] if p["name"] == "idb")
    locked, idb["version"] = idb["version"], "0.0.0-stale"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    return f"stale: idb vendored 0.0.0-stale, lock pins {locked} (re-run scripts/vendor_js.py)"


@pytest.mark.parametrize("drift", [change_file, remove_file, add_file, stale_version])
def test_check_names_the_drifted_file(tmp_path: Path, drift: Callable[[Path], str]) -> None:
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR, copy)
    expected = drift(copy)

    result = run_check(copy)

    assert result.returncode == 1
    assert f"vendor drift: {expected}" in result.stderr.splitlines()
