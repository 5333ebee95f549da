"""The README's examples work as written."""

import re
from pathlib import Path

from typer.testing import CliRunner

from apps.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_scenario_example_runs(tmp_path):
    text = README.read_text()
    block = re.search(r"```yaml\n(name: my_shop.*?)```", text, re.S).group(1)
    path = tmp_path / "my_shop.yaml"
    path.write_text(block)
    result = CliRunner().invoke(app, ["run", str(path), "--customers", "1500", "--days", "60",
                                      "--reps", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert '"retention_plus"' in result.output


def test_exactly_two_setup_commands_install_and_run():
    setup = README.read_text().split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", setup, re.S)
    assert len(commands) == 2
    assert "pip install -e ." in commands[0] and "snowball run" in commands[0]
    assert 'pip install -e ".[dev]"' in commands[1] and "pytest" in commands[1]
    ci = (README.parent / ".ci" / "run").read_text()
    assert commands[1].strip() in ci


def test_the_sweep_example_spec_is_valid(tmp_path):
    """The README's sweep spec validates and has the design size it promises."""
    from apps.sweep.design import build_design
    from scenarios.sweep_spec import spec_from_text

    text = README.read_text()
    block = re.search(r"```yaml\n(scenario: baby_food.*?)```", text, re.S).group(1)
    loaded = spec_from_text(block, "README sweep", tmp_path)
    assert len(build_design(loaded.spec)) == 64 * (2 * 2 + 2)
    assert loaded.spec.runs == ["baseline", "retention_plus"]
