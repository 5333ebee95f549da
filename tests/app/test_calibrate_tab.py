"""The Calibrate tab on the CDNOW sample: the CLI's fit, holdout and scenario; dates
from the log when left empty; a bad or oversize log that keeps the results on screen;
the page free while it calibrates; the scenario handed to the comparison."""

import asyncio
import base64
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import panel as pn
import pytest
import yaml
from typer.testing import CliRunner

from apps.app.calibrate import MAX_LOG_BYTES, CalibrateState
from apps.app.controls import UPLOAD_CHUNK_BYTES
from apps.app.serve import WEBSOCKET_MAX_BYTES
from apps.app.state import UPLOAD, AppState
from apps.app.views.calibrate import CalibrateView
from apps.calibrate_report import charts
from apps.calibration import calibrate_log
from apps.cli import app as cli
from models.txlog_layout import LogOptions
from scenarios.errors import InputError

from app_fixtures import drop, remove

CDNOW = Path(__file__).resolve().parents[1] / "data" / "CDNOW_sample.txt"
REPS = 2          # replications of the holdout simulation: enough to compare, quick


@pytest.fixture(scope="module")
def threads():
    pool = ThreadPoolExecutor(1)
    yield pool.submit
    pool.shutdown()


@pytest.fixture(scope="module")
def tab(threads):
    """The tab after calibrating the uploaded sample with the dates left empty."""
    state = CalibrateState(submit=threads, reps=REPS)
    assert state.upload(CDNOW.read_bytes(), CDNOW.name)
    assert asyncio.run(state.run()), state.log_error
    return state


@pytest.fixture(scope="module")
def cli_doc(tab, tmp_path_factory):
    """`snowball calibrate --json` on the same file with the dates the tab used."""
    out = tmp_path_factory.mktemp("cli") / "cdnow.yaml"
    res = CliRunner().invoke(cli, ["calibrate", str(CDNOW), "--calibration-end",
                                   tab.calibration_end, "--holdout-end", tab.holdout_end,
                                   "--out", str(out), "--reps", str(REPS), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), out.read_text()


def test_empty_dates_split_the_log_in_half_with_the_holdout_to_its_end(tab):
    dates = pd.to_datetime(pd.read_csv(CDNOW, sep=r"\s+", header=None, dtype=str)[2],
                           format="%Y%m%d")
    first, last = dates.min(), dates.max()
    assert tab.calibration_end == str((first + (last - first) // 2).date()) == "1997-09-30"
    assert tab.holdout_end == str(last.date()) == "1998-06-30"


def test_fit_and_holdout_are_the_clis(tab, cli_doc):
    doc, _ = cli_doc
    shown = json.loads(json.dumps(tab.result.report))
    assert shown["fit"] == doc["fit"]
    assert shown["holdout"] == doc["holdout"]
    assert shown["holdout"]["simulated_repeat"]["reps"] == REPS
    assert shown["health"] == doc["health"]


def test_scenario_is_the_file_the_cli_writes(tab, cli_doc):
    _, written = cli_doc
    assert tab.result.scenario_yaml == written


def test_results_show_the_fit_holdout_and_the_reports_charts(tab):
    view = CalibrateView(state=tab, app_state=AppState())
    shown = view.results().objects
    tables = [p.object for p in shown if isinstance(p, pn.pane.DataFrame)]
    fit = tables[0].set_index(["model", "parameter"])
    report = tab.result.report
    assert fit.loc[("bgnbd", "r"), "estimate"] == report["fit"]["bgnbd"]["r"]
    assert fit.loc[("gamma_gamma", "p"), "std. error"] == \
        report["fit"]["gamma_gamma"]["se"]["p"]
    holdout = dict(tables[1].values)
    assert holdout["actual repeat purchases"] == report["holdout"]["actual_repeat"]
    assert holdout["BG/NBD expected"] == report["holdout"]["model_expected_repeat"]
    plots = [p.object for p in shown if isinstance(p, pn.pane.HoloViews)]
    expected = charts(report, tab.result.frames)
    assert [str(p) for p in plots] == [str(c) for c in expected]
    actual = plots[0]["actual_cum"].dimension_values("actual_cum")
    assert actual[-1] == report["calibration"]["repeat_transactions"] \
        + report["holdout"]["actual_repeat"]


@pytest.mark.parametrize("name, text", [
    ("columns.csv", "who,when\n1,2020-01-01\n"),
    ("dates.csv", "customer_id,date,amount\n1,2020-01-01,3\n2,yesterday,4\n"),
    ("empty.csv", ""),
])
def test_a_bad_log_shows_the_clis_message_and_keeps_the_results(tab, tmp_path, name, text):
    before, version = tab.result, tab.version
    (tmp_path / name).write_text(text)
    with pytest.raises(InputError) as cli_error:
        calibrate_log(tmp_path / name, LogOptions(), "2020-06-30")
    assert tab.upload(text.encode(), name)
    tab.calibration_end = "2020-06-30"
    assert not asyncio.run(tab.run())
    assert tab.log_error == cli_error.value.message.replace(f"{tmp_path}{os.sep}", "")
    assert tab.log_error.startswith(f"{name}: ")
    assert tab.result is before and tab.version == version and not tab.running


def test_a_server_path_is_read_as_the_cli_reads_it(tab, tmp_path):
    before = tab.result
    tab.server_path = str(tmp_path / "missing.csv")
    assert not asyncio.run(tab.run())
    assert tab.log_error == f"{tmp_path / 'missing.csv'}: no such file"
    assert tab.result is before


def test_an_oversize_upload_is_refused_with_the_cli_as_the_way(tab):
    before, upload = tab.result, tab._upload
    data = b"1,2020-01-01,3\n" * (MAX_LOG_BYTES // 15 + 1)
    assert not tab.upload(data, "big.csv")
    assert tab.log_error.startswith(f"big.csv: the log is {len(data):,} bytes; at most "
                                    f"{MAX_LOG_BYTES // 2**20} MiB")
    assert "snowball calibrate big.csv" in tab.log_error
    assert tab._upload is upload and tab.result is before


def test_an_upload_chunk_fits_in_one_message_of_the_server():
    encoded = len(base64.b64encode(b"\0" * UPLOAD_CHUNK_BYTES))   # even if sent as text
    assert encoded < WEBSOCKET_MAX_BYTES


def test_the_dropper_takes_a_log_as_text_or_bytes_and_removing_it_keeps_the_results():
    view = CalibrateView(state=CalibrateState(), app_state=AppState())
    dropper, state = view.upload, view.state
    assert dropper.max_file_size == str(MAX_LOG_BYTES) and not dropper.multiple
    assert ".csv" in dropper.accepted_filetypes and ".parquet" in dropper.accepted_filetypes
    data = CDNOW.read_bytes()
    drop(dropper, CDNOW.name, data, "text/plain", chunk=50_000)
    assert isinstance(dropper.value[CDNOW.name], str)
    assert state._upload[1].read_bytes() == data
    parquet = b"PAR1\x00\xff" * 10
    drop(dropper, "log.parquet", parquet, "application/octet-stream")
    assert isinstance(dropper.value["log.parquet"], bytes)
    first = state._upload
    assert first[1].name == "log.parquet" and first[1].read_bytes() == parquet
    remove(dropper, "log.parquet")
    remove(dropper, CDNOW.name)
    assert state._upload is first and state.log_error == ""
    drop(dropper, "big.csv", b"1" * (MAX_LOG_BYTES + 1), "text/csv", chunk=2**20)
    assert state._upload is first and state.log_error.startswith("big.csv: the log is")


def test_the_page_is_free_while_it_calibrates(threads):
    gate = threading.Event()

    def held(task, *args):   # the calibration waits until the page has been checked
        return threads(lambda: gate.wait(60) and task(*args))

    async def session():
        state = CalibrateState(submit=held, reps=REPS)
        state.upload(CDNOW.read_bytes(), CDNOW.name)
        state.param.update(calibration_end="1997-09-30", holdout_end="")
        running = asyncio.ensure_future(state.run())
        await asyncio.sleep(0.05)            # the event loop runs while the task waits
        assert state.running and state.status == "calibrating CDNOW_sample.txt ..."
        assert not await state.run()         # a second press is ignored meanwhile
        gate.set()
        assert await running
        assert not state.running and "holdout" not in state.result.report
        assert state.status.startswith("CDNOW_sample.txt: 2,357 customers")

    asyncio.run(session())


def test_use_in_comparison_loads_the_scenario_as_an_upload(tab):
    from apps.app.layout import SnowballApp

    app = SnowballApp()
    app.calibrate.state.result = tab.result
    app.page()
    app.tabs.active = 3
    assert app.calibrate.use()
    assert app.tabs.active == 0
    state = app.state
    assert state.preset == UPLOAD and state.upload_error == ""
    assert state.text() == (tab.result.scenario_yaml, "CDNOW_sample.yaml")
    strategies = list(yaml.safe_load(tab.result.scenario_yaml)["strategies"])
    assert state.param.strategies.objects == strategies
    request = state.request()
    assert request is not None and request.label == "CDNOW_sample.yaml"
    assert set(request.prepare().strategies) == set(state.strategies) >= {"baseline"}


def test_use_in_comparison_before_a_calibration_says_so():
    state, app_state = CalibrateState(), AppState()
    assert not state.use_in_comparison(app_state)
    assert state.log_error == "calibrate a log first" and app_state.preset != UPLOAD


def test_the_servers_worker_process_returns_the_clis_message():
    """The server's path: the log is read in a spawned worker, the message comes back."""
    state = CalibrateState(reps=REPS)
    assert state.upload(b"who,when\n1,2020-01-01\n", "columns.csv")
    assert not asyncio.run(state.run())
    assert state.log_error.startswith("columns.csv: no customer / date / amount column")
    assert state.result is None and not state.running
