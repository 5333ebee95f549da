"""`--out` is written whole or not at all: checked before any work, written into a
temporary folder beside it and moved into place, a previous run replaced only with
--force, and an interrupted run (Ctrl-C, or killed) leaves the previous results as they
were. The interruptions are real signals to a real `snowball` process that is paused
in the middle of writing (pausing_cli.py)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli import app

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TINY = ROOT / "tests" / "bad_input" / "good" / "tiny.yaml"
BAD = ROOT / "tests" / "bad_input" / "scenarios" / "gross_margin_over_one.yaml"
SMALL = ["--customers", "1000", "--days", "30", "--reps", "1"]
FILES = {"daily.parquet", "cohorts.parquet", "runs.parquet", "segments.parquet",
         "ltv_by_cohort.parquet", "summary.json"}
runner = CliRunner()


def snowball(*args: str):
    return runner.invoke(app, ["run", str(TINY), *SMALL, *args])


def _not_json(word: str):
    raise AssertionError(f"{word} is not JSON")


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    """A folder holding a finished run's results."""
    out = tmp_path_factory.mktemp("runs") / "results"
    result = snowball("--out", str(out), "--seed", "1")
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == FILES
    return out


def test_a_rejected_scenario_creates_no_folder(tmp_path):
    out = tmp_path / "new" / "results"
    result = runner.invoke(app, ["run", str(BAD), *SMALL, "--out", str(out)])
    assert result.exit_code == 2
    assert not (tmp_path / "new").exists()


def test_a_previous_run_is_replaced_only_with_force_and_nothing_stale_stays(previous,
                                                                           tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    for name, data in contents(previous).items():
        (out / name).write_bytes(data)
    (out / "mechanics.parquet").write_bytes(b"from a run with --by-mechanic")
    before = contents(out)
    refused = snowball("--out", str(out), "--seed", "2")
    assert refused.exit_code == 2 and "--force" in refused.output
    assert contents(out) == before
    replaced = snowball("--out", str(out), "--seed", "2", "--force")
    assert replaced.exit_code == 0, replaced.output
    assert {p.name for p in out.iterdir()} == FILES            # the stale file is gone
    summary = json.loads((out / "summary.json").read_text(), parse_constant=_not_json)
    assert summary["seed"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["results"]   # no temporary folder left


def _interrupt_while_writing(out: Path, tmp: Path, sig: int) -> subprocess.CompletedProcess:
    """Rerun into `out` with --force, stop the process with `sig` once the first new
    file is written (in its temporary folder), and return how it ended."""
    flag = tmp / "paused"
    env = {**os.environ, "PAUSE_FLAG": str(flag), "NO_COLOR": "1", "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, str(HERE / "pausing_cli.py"), "run", str(TINY),
                             *SMALL, "--seed", "3", "--out", str(out), "--force"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not flag.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert flag.exists(), proc.communicate(timeout=30)
    written = Path(flag.read_text())
    assert written.parent != out and written.parent.parent == out.parent   # beside it
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
                         ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_an_interrupted_write_leaves_the_previous_results_whole(previous, tmp_path, sig):
    out = tmp_path / "results"
    out.mkdir()
    for name, data in contents(previous).items():
        (out / name).write_bytes(data)
    before = contents(out)
    ended = _interrupt_while_writing(out, tmp_path, sig)
    assert contents(out) == before                 # every file whole, nothing added
    if sig != signal.SIGKILL:
        assert ended.returncode == 130, ended.stderr
        assert "Traceback" not in ended.stderr
        assert "interrupted: nothing was written" in ended.stderr
        assert "keeps the results it held" in ended.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["paused", "results"]
    else:
        assert ended.returncode == -signal.SIGKILL
        # a killed run cannot clean up: its temporary folder is hidden beside the
        # results, and the next run into the same folder removes it
        left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".results.partial-")]
        assert len(left) == 1
        assert snowball("--out", str(out), "--force").exit_code == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == ["paused", "results"]


def test_a_folder_of_other_files_is_never_replaced(tmp_path):
    """Whoever calls the writer (the CLI checks first; the app may not), a folder that
    does not hold a previous run's results is refused and left as it is."""
    from apps.results_folder import staged
    from scenarios.errors import InputError

    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not the results of a run"):
        with staged(out):
            pass
    assert contents(out) == {"notes.txt": b"keep me"}
