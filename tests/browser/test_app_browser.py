"""The app in a real browser: load, change (and the economic model's table), bad upload, download, share, isolation,
trainer. Few and short tests: each step waits on what a person would see."""

import io
import os
import re
import shutil
import urllib.parse

import pandas as pd
import pytest

from browser_shots import ROOT, shot
from scenarios.yaml_source import MAX_BYTES

README_SHOT = ROOT / "docs" / "app.png"


def snapshot(page) -> tuple[dict[str, str], set[str]]:
    """(strategy -> the text of its KPI card, the replications the cards' means are
    over), once the cards are there. Read in one call, so a redraw between two cards
    cannot mix old and new (or half-drawn) cards."""
    page.locator(".kpi-card").first.wait_for()
    triples = page.locator(".kpi-card").evaluate_all(
        "cards => cards.map(c => [c.dataset.strategy, c.innerText, c.dataset.replications])")
    return {s: text for s, text, _ in triples}, {reps for _, _, reps in triples}


def cards(page) -> dict[str, str]:
    """Strategy -> the text of its KPI card."""
    return snapshot(page)[0]


def wait_cards(page, count: int, differing_from: dict | None = None) -> dict[str, str]:
    """The cards once every run is done and every card shows the means over all the
    replications the status line reports: the status is read first, then the cards with
    their replications in one snapshot, so a card read before the last redraw is never
    taken for the final one."""
    for _ in range(600):
        done = re.search(r"x (\d+) replications", status(page))
        now, reps = snapshot(page)
        drawn = all("Revenue" in text for text in now.values())
        if len(now) == count and drawn and (differing_from is None or now != differing_from) \
                and done and reps == {done.group(1)}:
            return now
        page.wait_for_timeout(500)
    raise AssertionError(f"KPI cards did not update: {cards(page)}")


def status(page) -> str:
    """The progress line ('3 of 4 runs done, 1 to go' / '4 runs done: ...')."""
    return page.get_by_text(re.compile(r"runs done")).first.inner_text()


README = bool(os.environ.get("SNOWBALL_README_SCREENSHOT"))
# The README's picture: a comparison long enough for every card (the projected LTV needs
# a whole year after arrival, ROMI and payback a strategy that invests).
PICTURE = dict(customers=3000, years=2, reps=3) if README else {}


def test_load_then_change_a_strategy_and_a_slider(server, page):
    page.goto(server(strategies=["baseline", "retention_plus"], **PICTURE))
    first = wait_cards(page, 2)
    assert set(first) == {"baseline", "retention_plus"}
    assert "Revenue" in first["baseline"] and "Payback month" in first["retention_plus"]
    shot(page, "loaded")
    page.locator(".strategies input").first.fill("crm_prog")
    page.get_by_text("crm_programme", exact=True).last.click()
    second = wait_cards(page, 3)
    assert second["baseline"] == first["baseline"]          # the cache: same numbers
    if README:
        page.get_by_text("Key figures").first.click()     # the strategy list closes
        README_SHOT.parent.mkdir(exist_ok=True)
        shutil.copy(shot(page, "readme"), README_SHOT)
    page.get_by_text("Assortment and basket").click()
    margin = page.locator(".field-economics-gross_margin input").first
    margin.fill("0.3")
    margin.press("Enter")
    third = wait_cards(page, 3, differing_from=second)
    assert third["baseline"] != second["baseline"]          # a better margin, new numbers
    shared = urllib.parse.unquote(page.url)
    assert "economics.gross_margin" in shared and "crm_programme" in shared
    shot(page, "changed")
    page.get_by_text("Economic model", exact=True).click()     # a table drawn once opened
    page.locator(".economics-years th", has_text="model_gross_margin").first.wait_for()
    shot(page, "economic_model")


def test_a_bad_upload_shows_the_message_and_keeps_the_results(server, page, tmp_path):
    page.goto(server(strategies=["baseline"]))
    before = wait_cards(page, 1)
    big = tmp_path / "big.yaml"           # far over the cap and the server's message limit
    big.write_bytes(b"#" * (30 * 2**20))
    page.locator(".upload input[type=file]").set_input_files(big)
    upload = page.locator(".upload")
    upload.get_by_text("File is too large", exact=True).wait_for()
    assert upload.get_by_text(f"Maximum file size is {MAX_BYTES // 1000} KB",
                                  exact=True).is_visible()
    page.locator(".upload input[type=file]").set_input_files(   # the page is still live
        files=[{"name": "bad.yaml", "mimeType": "text/yaml",
                "buffer": b"name: bad\nbase:\n  customers: -5\n"}])
    message = page.get_by_text(re.compile(r"bad\.yaml:3: base\.customers"))
    message.wait_for()
    shot(page, "bad-upload")
    assert cards(page) == before


def test_download_the_results_as_csv(server, page):
    page.goto(server(strategies=["baseline", "retention_plus"]))
    wait_cards(page, 2)
    page.get_by_text("Take away", exact=True).click()
    with page.expect_download() as download:
        page.get_by_text("Results (CSV)").click()
    runs = pd.read_csv(io.StringIO(open(download.value.path()).read()))
    assert {"strategy", "rep", "seed", "revenue", "contribution", "ltv_projected"} <= \
        set(runs.columns)
    assert sorted(runs["strategy"].unique()) == ["baseline", "retention_plus"]
    assert len(runs) == 4                                    # 2 strategies x 2 replications


def test_a_shared_url_reopens_the_same_comparison(server, browser, page):
    page.goto(server(strategies=["baseline", "loyalty_programme"], seed=7))
    mine = wait_cards(page, 2)
    shared = page.url
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other.set_default_timeout(240_000)
    other.goto(shared)
    assert wait_cards(other, 2) == mine
    other.context.close()


def test_five_sessions_see_only_their_own_comparison(server, browser):
    contexts = [browser.new_context(viewport={"width": 1200, "height": 900}) for _ in range(5)]
    pages = [c.new_page() for c in contexts]
    for seed, page in enumerate(pages):
        page.set_default_timeout(240_000)
        page.goto(server(strategies=["baseline", "retention_plus"], seed=100 + seed))
    seen = [wait_cards(page, 2) for page in pages]
    for seed, page in enumerate(pages):
        assert f"seed={100 + seed}" in page.url
    assert len({c["baseline"] for c in seen}) == 5             # five different results
    shot(pages[-1], "session-5")
    for c in contexts:
        c.close()


def test_trainer_mode_plays(server, page):
    page.goto(server(strategies=["baseline"], trainer_customers=300, trainer_days=365,
                     trainer_reps=1))
    page.get_by_text("Trainer", exact=True).click()
    page.get_by_role("button", name="Set up the demonstration").click()
    page.get_by_text("press 'Set up").wait_for(state="detached")   # the pictures are in
    page.locator(".player button.play").click()
    page.get_by_text("month 12", exact=True).wait_for()            # played to the end
    shot(page, "trainer")


def test_calibrate_a_log_and_compare_its_scenario(server, page):
    page.goto(server(strategies=["baseline"]))
    before = wait_cards(page, 1)
    page.get_by_text("Calibrate", exact=True).first.click()
    page.locator(".log-upload input[type=file]").set_input_files(
        str(ROOT / "tests" / "data" / "CDNOW_sample.txt"))
    page.locator(".log-upload").get_by_text("Upload complete", exact=True).wait_for()
    page.locator(".calibrate-run button").click()
    page.get_by_text("CDNOW_sample.txt: 2,357 customers, fitted on 1997-01-01 .. "
                     "1997-09-30, holdout to 1998-06-30").wait_for()
    page.get_by_text("Holdout 1997-10-01 .. 1998-06-30").wait_for()
    shot(page, "calibrated")
    page.locator(".calibrate-use button").click()
    after = wait_cards(page, 1, differing_from=before)
    assert "Revenue" in after["baseline"]
    assert "uploaded" in urllib.parse.unquote(page.url)
