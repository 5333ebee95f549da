"""The first run of a version says that it compiles the kernels (once, on stderr),
instead of sitting silently at 0% for about a minute."""

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from apps.cli import app
from sim import kernel_cache

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["run", "bench_funnel", "--customers", "300", "--days", "5", "--reps", "1",
         "--strategies", "baseline", "--json"]


def test_an_empty_cache_is_cold_and_one_compiled_kernel_makes_it_warm(tmp_path):
    """In a fresh process on an empty cache folder: cold; after compiling one small
    kernel (a second or two, not the whole set): warm."""
    code = ("from sim import kernel_cache as k; print(k.is_warm()); "
            "from sim.streams import uniform64; uniform64(12345); print(k.is_warm())")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                         capture_output=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]
    assert list(tmp_path.rglob("*.nbi"))


def test_a_cold_cache_is_announced_on_stderr_and_a_warm_one_is_not(monkeypatch):
    monkeypatch.setattr(kernel_cache, "is_warm", lambda: False)
    cold = CliRunner().invoke(app, SMALL)
    assert cold.exit_code == 0, cold.output
    assert "Compiling the simulation kernels" in cold.stderr
    assert json.loads(cold.stdout)["strategies"]          # stdout stays one JSON document
    monkeypatch.setattr(kernel_cache, "is_warm", lambda: True)
    warm = CliRunner().invoke(app, SMALL)
    assert warm.exit_code == 0
    assert "Compiling" not in warm.stderr
