"""`snowball bench --threads/--peer`: the thread table and the small run's fixed costs.

The peer here is a stand-in script that prints a known figure, so the table must show
exactly that figure and the ratio of the engine's to it; bad --threads or --peer values
stop with one message and exit code 2 before any timing.
"""

import json
import sys

import pytest
from typer.testing import CliRunner

from apps.bench import run as bench_run
from apps.bench.side_by_side import side_by_side
from apps.bench.threads import parse_thread_counts, thread_table
from apps.cli import app
from scenarios.errors import InputError

runner = CliRunner()
PEER = """
import argparse, json
ap = argparse.ArgumentParser()
for flag in ("--customers", "--days", "--seed"):
    ap.add_argument(flag, type=int)
a = ap.parse_args()
print("compiling...")
print(json.dumps({"customer_days_per_s": 1000.0 * a.customers, "days": a.days}))
"""


@pytest.fixture
def peer(tmp_path):
    script = tmp_path / "peer.py"
    script.write_text(PEER)
    return f"{sys.executable} {script}"


def test_thread_table_has_a_row_per_count_with_the_peer_beside_the_engine(peer):
    table = thread_table([1], [1000, 2000], 20, peer, rounds=2, seed=3, side_seconds=0.2)
    assert table["sizes"] == [1000, 2000] and table["peer_command"] == peer
    (row,) = table["rows"]
    assert row["threads"] == row["numba_threads"] == 1
    for n in ("1000", "2000"):
        engine = row["engine"][n]
        assert len(engine["rounds"]) == 2 and engine["best"] == max(engine["rounds"]) > 0
        assert row["peer"][n]["rounds"] == [1000.0 * int(n)] * 2
        assert row["engine_vs_peer"][n]["ratio_of_bests"] == pytest.approx(
            engine["best"] / (1000.0 * int(n)))
    small = row["small_run"]
    assert small["customers_initial"] == bench_run.SMALL_RUN and small["days"] == 20
    assert small["large_run_customer_days_per_s"] in row["engine"]["2000"]["rounds"]
    assert small["vs_large_run_throughput"] == pytest.approx(
        small["customer_days_per_s"] / small["large_run_customer_days_per_s"])
    side = row["small_runs_side_by_side"]
    assert side["processes"] == 1 and side["threads_each"] == 1 and side["runs"] >= 1
    assert len(side["rounds"]) == 2 and side["customer_days_per_s"] == max(side["rounds"])
    assert side["large_run_customer_days_per_s"] == row["engine"]["2000"]["best"]
    assert side["vs_large_run_throughput"] == pytest.approx(
        side["customer_days_per_s"] / row["engine"]["2000"]["best"])


def test_small_runs_side_by_side_add_up_over_their_processes():
    """Two processes released together each do whole small runs for at least the time
    given, so their summed throughput is at most all their runs' work over that time
    (a bound a double count or a wrong clock would break)."""
    side = side_by_side(2, 20, 0.3)
    assert side["processes"] == 2 and side["runs"] >= 2
    work = bench_run.customer_days(bench_run.SMALL_RUN, 20)
    assert side["customer_days_per_s"] > 0
    assert side["runs"] * work / side["customer_days_per_s"] >= 0.3 * (1 - 1e-9)


def test_small_run_splits_its_time_into_fixed_and_per_customer_parts():
    small = bench_run.small_run(30, 1e8, repeats=1)
    assert small["customer_days"] == bench_run.customer_days(bench_run.SMALL_RUN, 30)
    assert small["fixed_s"] == pytest.approx(2 * small["half_size_wall_s"] - small["wall_s"],
                                             abs=2e-5)
    assert small["fixed_per_day_s"] == pytest.approx(
        (small["fixed_s"] - small["fixed_per_run_s"]) / 30, abs=1e-6)
    assert 0 < small["fixed_per_run_s"] < small["wall_s"]


@pytest.mark.parametrize("args, message", [
    (["--threads", "1,x"], "--threads must be comma-separated integers"),
    (["--threads", "0"], "--threads: each within 1..1024"),
    (["--peer", "python k.py"], "--peer needs --threads"),
    (["--threads", "1", "--peer", "no-such-command-here"], "not a command found on PATH"),
])
def test_bad_threads_or_peer_stop_with_one_message(args, message):
    result = runner.invoke(app, ["bench", "--sizes", "1000", "--days", "7", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_a_peer_that_prints_no_figure_is_reported(tmp_path):
    script = tmp_path / "silent.py"
    script.write_text("print('hello')\n")
    with pytest.raises(InputError, match="no JSON line with customer_days_per_s"):
        from apps.bench.threads import check_peer
        check_peer(f"{sys.executable} {script}", 1)
    assert parse_thread_counts("1,2,16", None, 3) == [1, 2, 16]
