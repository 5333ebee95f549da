"""How fast the app answers, measured in a real browser (Debian's chromium driven by
Playwright) on the app's default comparison: baby_food at 20,000 customers, 3 years,
4 strategies, 5 replications.

Warm: the page is loaded and one comparison finished (worker processes started, kernels
loaded) before anything is timed; the timed comparison uses another seed, so nothing
comes from the cache. Run: `python -m apps.bench.app_speed [--out FILE]`.
"""

import argparse
import json
import os
import platform
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]
TARGETS = {"economics_after_slider_s": 0.3, "first_replication_every_strategy_s": 2.0,
           "whole_comparison_s": 8.0}


def serve() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "panel", "serve", "apps/snowball_app.py",
                             "--address", "127.0.0.1", "--port", str(port),
                             f"--allow-websocket-origin=127.0.0.1:{port}", "--liveness"],
                            cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/snowball_app"
    for _ in range(240):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/liveness", timeout=30)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the app server did not start")


def _cards(page) -> str:
    return " | ".join(c.inner_text() for c in page.locator(".kpi-card").all())


def _wait(page, check, timeout: float = 900.0) -> float:
    t0 = time.perf_counter()
    while not check():
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError("the page did not update")
        page.wait_for_timeout(20)
    return time.perf_counter()


def _status(page) -> str:
    found = page.get_by_text(re.compile("runs done|simulating")).all()
    return found[0].inner_text() if found else ""


def measure(page, url: str) -> dict:
    page.goto(url)
    page.locator(".kpi-card").first.wait_for(timeout=900_000)
    _wait(page, lambda: _status(page).startswith("20 runs done"))          # warm
    before = _cards(page)
    box = page.locator(".seed input").first
    t0 = time.perf_counter()
    box.fill("43")
    box.press("Enter")
    first = _wait(page, lambda: len(page.locator(".kpi-card").all()) == 4 and
                  _cards(page) != before) - t0
    whole = _wait(page, lambda: _status(page).startswith("20 runs done")) - t0
    page.get_by_text("Economic model", exact=True).click()
    table = page.locator(".economics-years")
    table.wait_for(timeout=900_000)
    shown = table.inner_text()
    page.get_by_text("Assortment and basket").click()
    margin = page.locator(".field-economics-gross_margin input").first
    t0 = time.perf_counter()
    margin.fill("0.25")
    margin.press("Enter")
    econ = _wait(page, lambda: table.inner_text() != shown) - t0
    return {"economics_after_slider_s": round(econ, 3),
            "first_replication_every_strategy_s": round(first, 3),
            "whole_comparison_s": round(whole, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "app_speed.json")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    proc, url = serve()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(900_000)
            times = measure(page, url)
            browser.close()
    finally:
        proc.terminate()
    load = os.getloadavg()
    report = {"what": "app response times in a real browser, warm, on the default "
              "comparison (baby_food, 20000 customers, 3 years, 4 strategies, 5 "
              "replications)", "seconds": times, "targets_s": TARGETS,
              "met": {k: times[k] < v for k, v in TARGETS.items()},
              "machine": {"cpus": os.cpu_count(), "load_average_1m_after": round(load[0], 2),
                          "python": platform.python_version()}}
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
