"""Bad sweep specs and flags: exit code 2, one clear message, nothing stored is lost."""

import hashlib

import pytest
from typer.testing import CliRunner

from apps.cli import app
from sweep_fixtures import SOBOL, write_spec

runner = CliRunner()


def sweep(*args):
    return runner.invoke(app, ["sweep", *map(str, args)], env={"COLUMNS": "200"})


BAD = {
    "unknown parameter path": (
        SOBOL.replace("economics.gross_margin: [0.2, 0.4]", "economics.gros_margin: [0.2, 0.4]"),
        ["spec.yaml:7", "economics.gros_margin", "unknown parameter path",
         "did you mean 'economics.gross_margin'"]),
    "a section, not a value": (
        SOBOL.replace("economics.gross_margin: [0.2, 0.4]", "economics: [0.2, 0.4]"),
        ["spec.yaml:7", "economics: is a section", "gross_margin"]),
    "empty range": (
        SOBOL.replace("[0.2, 0.4]", "[0.3, 0.3]"), ["spec.yaml:7", "is empty"]),
    "inverted range": (
        SOBOL.replace("[0.2, 0.4]", "[0.4, 0.2]"), ["spec.yaml:7", "inverted"]),
    "value the scenario rejects": (
        SOBOL.replace("[0.2, 0.4]", "[0.2, 1.4]"),
        ["spec.yaml:7", "economics.gross_margin", "1.4", "invalid scenario"]),
    "sobol n not a power of 2": (
        SOBOL.replace("{sobol: {n: 8}}", "{sobol: {n: 100}}"),
        ["spec.yaml:9", "design.sobol.n", "power of 2", "64 or 128"]),
    "unknown outcome": (
        SOBOL.replace("incremental_revenue]", "revenu]"),
        ["spec.yaml", "unknown outcome 'revenu'", "did you mean 'revenue'"]),
    "unknown strategy": (
        SOBOL.replace("retention_plus]", "retention]"),
        ["spec.yaml:4", "unknown strategy 'retention'"]),
    "two designs": (
        SOBOL.replace("{sobol: {n: 8}}", "{sobol: {n: 8}, lhs: {n: 5}}"),
        ["spec.yaml:9", "exactly one design"]),
    "unknown key": (
        SOBOL.replace("seed: 5", "sed: 5"), ["spec.yaml:10", "sed", "seed"]),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_spec_exits_2_with_a_clear_message(name, tmp_path):
    text, expected = BAD[name]
    result = sweep("run", write_spec(tmp_path, text), "--out", tmp_path / "out",
                   "--executor", "serial")
    assert result.exit_code == 2, result.output
    for part in expected:
        assert part in result.output, (part, result.output)
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()          # nothing was started


def test_unreachable_scheduler_exits_2(tmp_path):
    result = sweep("run", write_spec(tmp_path, SOBOL), "--out", tmp_path / "out",
                   "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1")
    assert result.exit_code == 2, result.output
    assert "cannot reach a Dask scheduler" in result.output
    assert not (tmp_path / "out").exists()


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_store_of_another_spec_is_refused_and_kept(sobol_sweep, tmp_path):
    before = _digest(sobol_sweep)
    other = write_spec(tmp_path, SOBOL.replace("seed: 5", "seed: 6"))
    for extra in ([], ["--fresh"]):
        result = sweep("run", other, "--out", sobol_sweep, "--executor", "serial", *extra)
        assert result.exit_code == 2, result.output
        assert "holds a sweep of another spec" in result.output
    assert _digest(sobol_sweep) == before


def test_flags_are_checked(tmp_path):
    spec = write_spec(tmp_path, SOBOL)
    for args, message in ((["--workers", "0"], "--workers must be within"),
                          (["--executor", "threads"], "--executor must be one of"),
                          (["--executor", "serial", "--workers", "2"], "leave out --workers"),
                          (["--scheduler", "tcp://x:1", "--workers", "2"], "leave out --workers")):
        result = sweep("run", spec, "--out", tmp_path / "out", *args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)
    result = sweep("analyze", tmp_path)
    assert result.exit_code == 2 and "not a sweep folder" in result.output
