"""Browser tests: Playwright for Python driving Debian's chromium (never a downloaded build).

One browser per test session; a fresh context (cookies, storage, service workers) per test.
Helpers here: sign in through the login page, run axe-core on a page, save a screenshot, and
(with BENCH=1) record each page's weight and largest contentful paint.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# No outside network here: without the background-networking flags chromium keeps trying.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1024, "height": 768}
# Director Park, downtown Portland (inside the program's areas); Kenton (outside).
DIRECTOR_PARK = {"latitude": 45.5186, "longitude": -122.681}
KENTON = {"latitude": 45.584, "longitude": -122.686}

REPO = Path(__file__).resolve().parents[2]
VAR = REPO / "var"
# `SCREENSHOTS=1` refreshes the committed pictures under docs/; otherwise they go under var/.
SHOTS = REPO / "docs" / "screenshots" if os.environ.get("SCREENSHOTS") == "1" \
    else VAR / "screenshots"
BENCH = os.environ.get("BENCH") == "1"
BENCH_FILE = VAR / "bench" / "pages.jsonl"
AXE_FILE = VAR / "axe" / "results.jsonl"
AXE_URL = "/static/vendor/axe-core/axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django's guard against ORM
    # calls from async code would refuse the test's own setup queries.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, running one request's Django code at a time.

    With SQLite the test database lives in memory and the server's threads share the test's
    one connection; two requests at once (a page and its service worker's fetch) would use it
    together and SQLite reports the table locked. Connections are still read in parallel
    threads: chromium opens spare connections that may never send a request, and a server
    reading one at a time would wait on them.
    """
    import threading

    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test import testcases
    from pytest_django.live_server_helper import LiveServer

    class OneAppCallAtATime(ThreadedWSGIServer):
        def set_app(self, application):
            lock = threading.Lock()

            def serial(environ, start_response):
                with lock:
                    response = application(environ, start_response)
                    try:
                        return list(response)
                    finally:  # request_finished: Django closes what the request opened
                        if hasattr(response, "close"):
                            response.close()

            super().set_app(serial)

    class SerialLiveServerThread(testcases.LiveServerThread):
        server_class = OneAppCallAtATime

    original = testcases.LiveServerThread
    testcases.LiveServerThread = SerialLiveServerThread
    try:
        server = LiveServer(request.config.getvalue("liveserver") or "localhost")
    finally:
        testcases.LiveServerThread = original
    yield server
    server.stop()


@pytest.fixture
def site(transactional_db):
    from diversion.conftest import default_site

    return default_site()


@pytest.fixture
def new_page(browser, live_server, transactional_db):
    """A factory: a page in a fresh context, phone or desktop, optionally with a location."""
    contexts = []

    def make(*, phone: bool = False, geolocation: dict | None = None, locale: str = "en-US",
             service_workers: str = "allow"):
        options = {"viewport": PHONE if phone else DESKTOP, "base_url": live_server.url,
                   "locale": locale, "service_workers": service_workers}
        if phone:
            options.update(is_mobile=True, has_touch=True, device_scale_factor=1)
        if geolocation:
            options.update(geolocation=geolocation, permissions=["geolocation"])
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        # What the Content-Security-Policy refused (an inline style or script) shows as a
        # console error: a page that relies on it looks or works differently than intended.
        page.csp_errors = []
        page.console_errors = []
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        page.on("console", lambda msg: msg.type == "error" and "Content Security Policy"
                in msg.text and page.csp_errors.append(msg.text))
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page, user, password: str | None = None) -> None:
    from django.urls import reverse

    from diversion.testing import PASSWORD

    page.goto(reverse("accounts:login"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password or PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/accounts/login" not in page.url, "sign-in failed"


def open_menu(page) -> None:
    """On a phone the site navigation sits behind the USWDS menu button: open it (a no-op on a
    desktop, where the navigation is always shown)."""
    button = page.get_by_role("button", name="Menu")
    if button.is_visible():
        button.click()


def shot(page, journey: str, step: str) -> None:
    """A viewport-only PNG of what the person sees at this step."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{journey}-{step}.png"
    page.screenshot(path=str(path), full_page=False, animations="disabled", caret="hide")
    if os.environ.get("SCREENSHOTS") == "1":
        # Committed pictures stay small: a 64-colour palette is plenty for plain pages.
        from PIL import Image

        with Image.open(path) as image:
            small = image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)


def axe_check(page, name: str) -> list[dict]:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page as it is now; fail on any serious
    or critical violation. The script is loaded from this server (the CSP allows 'self' only,
    and stays on in the tests)."""
    page.add_script_tag(url=AXE_URL)
    violations = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }""", WCAG_AA)
    AXE_FILE.parent.mkdir(parents=True, exist_ok=True)
    with AXE_FILE.open("a") as f:
        f.write(json.dumps({"page": name, "path": page.url.split("//", 1)[-1].split("/", 1)[-1],
                            "violations": violations}) + "\n")
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on {name}: " + json.dumps(bad, indent=1)
    return violations


_LCP_JS = """() => new Promise(resolve => {
    let lcp = 0;
    new PerformanceObserver(list => { for (const e of list.getEntries()) lcp = e.startTime; })
        .observe({type: 'largest-contentful-paint', buffered: true});
    setTimeout(() => resolve(lcp), 100);
})"""
_WEIGHT_JS = """() => {
    // Bytes this step brought over the wire: the document itself when it is new, then every
    // resource since the last measurement (htmx answers included); the vendor bundle is left
    // out. A step inside the same document (an htmx swap) has no paint of its own.
    const fresh = !window.__benchMeasured;
    const nav = performance.getEntriesByType('navigation')[0];
    let bytes = fresh && nav ? nav.transferSize || nav.encodedBodySize : 0;
    for (const r of performance.getEntriesByType('resource')) {
        if (r.name.includes('/static/vendor/')) continue;
        bytes += r.transferSize || r.encodedBodySize || 0;
    }
    performance.clearResourceTimings();
    window.__benchMeasured = true;
    return {bytes, fresh};
}"""


def measure(page, name: str) -> dict | None:
    """With BENCH=1: the page's bytes over the wire (the vendor bundle left out) and, for a
    new document, its largest contentful paint; appended to var/bench/pages.jsonl."""
    if not BENCH:
        return None
    page.wait_for_load_state("load")
    weight = page.evaluate(_WEIGHT_JS)
    lcp = round(page.evaluate(_LCP_JS), 1) if weight["fresh"] else None
    figures = {"page": name, "bytes": weight["bytes"], "lcp_ms": lcp, "at": time.time()}
    BENCH_FILE.parent.mkdir(parents=True, exist_ok=True)
    with BENCH_FILE.open("a") as f:
        f.write(json.dumps(figures) + "\n")
    return figures


def visit(page, journey: str, step: str, *, a11y: bool = True, at=None) -> None:
    """Every journey page: weight and speed (bench mode), axe, then a screenshot (of the part
    AT shows, when the step changed only part of a long page)."""
    page.wait_for_load_state()
    assert page.csp_errors == [], f"{journey}-{step}: {page.csp_errors}"
    measure(page, f"{journey}-{step}")
    if a11y:
        axe_check(page, f"{journey}-{step}")
        page.wait_for_timeout(50)
        page.csp_errors.clear()  # axe's own probes (it sets styles to measure) are not the page's
    if at is not None:
        at.evaluate("e => e.scrollIntoView({block: 'start'})")
    shot(page, journey, step)
