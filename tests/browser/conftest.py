"""A real server and a real browser: `panel serve` of the app script, driven by
Playwright through Debian's chromium (never a downloaded browser)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from browser_shots import ARTIFACTS, ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]
# A tiny comparison, so a test waits seconds: 300 customers, a quarter, 2 replications.
SMALL = {"customers": 300, "years": 0.25, "reps": 2}
WAIT_MS = 240_000          # generous: the CI machine is small and may be busy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    """The app served as a user serves it; yields a function making its URLs."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", "apps/snowball_app.py", "--address",
         "127.0.0.1", "--port", str(port), f"--allow-websocket-origin=127.0.0.1:{port}",
         "--liveness"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "BOKEH_LOG_LEVEL": "error"})
    base = f"http://127.0.0.1:{port}/snowball_app"
    deadline = time.time() + 300
    while True:
        try:     # the liveness page: asking for the app itself would start a session
            urllib.request.urlopen(f"http://127.0.0.1:{port}/liveness", timeout=30)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("the app server did not start")
            time.sleep(0.5)

    def url(**state):
        query = {k: v if isinstance(v, (str, int, float)) else json.dumps(v)
                 for k, v in {**SMALL, **state}.items()}
        return base + "?" + urllib.parse.urlencode(query)

    yield url
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()
