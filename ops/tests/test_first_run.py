"""The first run, as a newcomer meets it: `make run` on a fresh copy of the repository, then
the sign-in page and the officer's form in Debian's chromium.

Not part of `make test` (it starts the real server from a copy of the tree): `make
test-first-run` runs it, and so does CI. The copy has no `.venv/` and no `var/`; it reuses this
checkout's `.venv` through make's VENV variable (a full install takes minutes), and its own code
runs (PYTHONPATH points at the copy, and the database must appear under the copy's var/).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from diversion.tests_browser.conftest import CHROMIUM, CHROMIUM_ARGS, DIRECTOR_PARK, PHONE

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 240
# The stylesheet's header colour (--brand): a browser's own style gives a header no background.
BRAND = "rgb(0, 94, 162)"
PASSWORD = "lead-demo-password"  # the demo's (diversion/platform/demo_users.py)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no {CHROMIUM}")


def copy_tree(dest: Path) -> None:
    """What a fresh clone has: the files git knows (committed, or new and not ignored), as they
    are in the working tree now. No .venv/, no var/, nothing collected."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
        check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    # make would install again (into the shared .venv, pointing it at this copy) if the copy's
    # requirement files looked newer than the .venv's stamp: date them before it.
    for name in ("requirements.txt", "requirements-dev.txt", "pyproject.toml"):
        os.utime(dest / name, (0, 0))


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return response.status == 200
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def first_run(tmp_path):
    """`make run` in a fresh copy; yields (base URL, copy, a function giving the output so far)."""
    work = tmp_path / "diversion"
    copy_tree(work)
    assert not (work / "var").exists() and not (work / ".venv").exists()
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DIVERSION_") and k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY"}}
    env["PYTHONPATH"] = str(work)
    proc = subprocess.Popen(
        ["make", "run", f"PORT={port}", f"VENV={Path(sys.prefix)}"], cwd=work, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not answers(f"{base}/healthz"):
            assert proc.poll() is None, "make run stopped:\n" + "".join(lines[-30:])
            assert time.monotonic() < deadline, "make run never listened:\n" + "".join(lines)
            time.sleep(0.5)
        time.sleep(0.5)  # the lines it prints once it listens
        yield base, work, lambda: list(lines)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_make_run_serves_the_styled_app_and_the_officer_form(first_run):
    from playwright.sync_api import expect, sync_playwright

    base, work, output = first_run
    startup = output()
    # Its own code and data: the database is the copy's, under its var/.
    assert (work / "var" / "diversion.sqlite3").exists()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(
            base_url=base, viewport=PHONE, is_mobile=True, has_touch=True,
            geolocation=DIRECTOR_PARK, permissions=["geolocation"])
        context.set_default_timeout(15_000)
        page = context.new_page()
        failed, console_errors = [], []
        page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
        page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
        page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))
        try:
            page.goto("/accounts/login/")
            page.wait_for_load_state("load")
            assert failed == [], f"what the sign-in page asked for and did not get: {failed}"
            # The vendored USWDS stylesheet is applied and its typeface loaded from this server.
            assert "Public Sans Web" in page.evaluate("getComputedStyle(document.body).fontFamily")
            assert page.evaluate("""async () => { await document.fonts.ready;
                return document.fonts.check('1em "Public Sans Web"'); }""")
            # htmx is loaded.
            assert page.evaluate("() => typeof htmx === 'object' && !!htmx.version")
            # The icon a browser asks for answers, and so does the service worker.
            assert page.request.get("/favicon.ico").status == 200
            worker = page.request.get("/sw.js")
            assert worker.status == 200
            assert "javascript" in worker.headers["content-type"]

            # The demo officer signs in (no second factor outside production) and lands on the
            # referral form, whose location button works: referral.js ran.
            page.get_by_label("Username").fill("officer")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state("load")
            assert "/accounts/login" not in page.url, "the demo officer could not sign in"
            # On a phone the navigation opens from the USWDS menu button (uswds.js ran).
            page.get_by_role("button", name="Menu").click()
            page.get_by_role("link", name="New referral").click()
            page.wait_for_load_state("load")
            expect(page.get_by_role("button", name="Menu")).to_have_css("background-color", BRAND)
            page.get_by_role("button", name="Use my location").click()
            expect(page.locator("#location-status")).to_contain_text("Location recorded")

            assert failed == [], f"assets that did not load: {failed}"
            assert console_errors == [], f"console errors: {console_errors}"
        finally:
            context.close()
            browser.close()

    # The last lines, after the noise of setting up: the address, then the logins.
    tail = [line.rstrip("\n") for line in startup if line.strip()][-10:]
    assert tail[0] == f"Open {base}/", tail
    assert tail[1].startswith("Sign in as any of these (password: "), tail
    assert [line.split()[0] for line in tail[2:]] == [
        "officer", "casemanager", "supervisor", "prosecutor", "opsteam", "evaluator", "admin",
        "stateanalyst"]
    assert f"(password: {PASSWORD})" in tail[1]
