"""Bad input never crashes: every malformed scenario or flag gets exit code 2 and one
short message on stderr that names the file and line (or the flag), the field, the
value and what is allowed. Exit 1 is reserved for bugs; a traceback is always a bug.

The scenario corpus lives in `scenarios/*.yaml`; the first line of each file is
`# expect: a | b | ...`, the substrings its message must contain. Every command runs
in its own process through the real entry point `apps.cli:main` (forked from one
warm interpreter, see forkrun.py, so the module takes seconds, not minutes); a few
run again as fresh `python -m apps.cli` processes to show the two agree.
"""

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CORPUS = sorted((HERE / "scenarios").glob("*.yaml"))
TINY = HERE / "good" / "tiny.yaml"   # a valid scenario: strategies baseline, less_churn
SMALL = ["--customers", "1000", "--days", "30", "--reps", "1", "--json"]
MAX_LINES = 3            # our own messages: one line per problem, a few problems at most
MAX_USAGE_LINES = 8      # click/typer usage errors: usage, hint and a boxed message
ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "TERM": "dumb"}


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str
    seconds: float


def expectations(path: Path) -> list[str]:
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    assert first.startswith("# expect:"), f"{path.name}: first line must be '# expect: ...'"
    parts = [p.strip() for p in first[len("# expect:"):].split("|")]
    assert all(parts), f"{path.name}: empty expectation in {first!r}"
    return parts


def small(**flags) -> list[str]:
    """`run TINY` with the small defaults, some flags replaced (None: left out)."""
    values = {"customers": "1000", "days": "30", "reps": "1"}
    values.update(flags)
    args = ["run", str(TINY)]
    for name, value in values.items():
        if value is not None:
            args += [f"--{name}", str(value)]
    return args


# id -> (arguments, substrings the message must contain). `{tmp}` is a scratch folder
# holding a regular file `afile`.
FLAG_CASES = {
    "missing_preset": (["run", "no_such_preset"], ["'no_such_preset'", "not a preset",
                                                   "presets:"]),
    "missing_file": (["run", "{tmp}/missing.yaml"], ["missing.yaml", "no such scenario file"]),
    "unknown_strategy": (small(strategies="nope"), ["--strategies", "nope", "baseline",
                                                     "less_churn"]),
    "empty_strategy_list": (small(strategies=","), ["--strategies", "(none)", "less_churn"]),
    "customers_zero": (small(customers="0"), ["--customers", "at least 1", "(got 0)"]),
    "customers_negative": (small(customers="-5"), ["--customers", "at least 1", "(got -5)"]),
    "customers_not_a_number": (small(customers="abc"), ["--customers", "integer"]),
    "customers_absurd": (small(customers="100000000000"),
                         ["--customers", "100000000000", "GiB of memory", "available"]),
    "days_zero": (small(days="0"), ["--days", "1..36500", "(got 0)"]),
    "days_too_many": (small(days="100000"), ["--days", "1..36500", "(got 100000)"]),
    "years_negative": (small(days=None, years="-1"), ["--years", "(0, 100]", "-1"]),
    "years_nan": (small(days=None, years="nan"), ["--years", "(0, 100]", "nan"]),
    "days_and_years": (small(days="10", years="1"), ["--days", "--years", "not both"]),
    "reps_zero": (small(reps="0"), ["--reps", "1..10000", "(got 0)"]),
    "seed_negative": (small(seed="-1"), ["--seed", "(got -1)"]),
    "out_is_a_file": (small(out="{tmp}/afile"), ["--out", "afile", "not a folder"]),
    "out_under_a_file": (small(out="{tmp}/afile/sub"), ["--out", "afile/sub",
                                                        "cannot create"]),
    "unknown_option": (small(bogus="1"), ["--bogus"]),
    "bench_sizes_not_numbers": (["bench", "--sizes", "abc"], ["--sizes", "integers",
                                                              "'abc'"]),
    "bench_sizes_too_small": (["bench", "--sizes", "10"], ["--sizes", "1000..50000000",
                                                           "(got 10)"]),
    "bench_days_zero": (["bench", "--days", "0"], ["--days", "(got 0)"]),
    # Bug: `bench --out` is checked only after the whole benchmark ran, and a path that
    # cannot be written then ends in a traceback (exit 1) instead of exit 2.
    "bench_out_under_a_file": (["bench", "--sizes", "1000", "--days", "1", "--no-reference",
                                "--out", "{tmp}/afile/bench.json"], ["--out", "afile"]),
    "bench_job_unknown_preset": (["bench", "--job", "no_such_preset"],
                                 ["--job", "'no_such_preset'", "not a preset", "baby_food"]),
    "bench_presets_unknown": (["bench", "--presets", "baby_food,no_such_preset"],
                              ["--presets", "not a preset: no_such_preset", "'all'"]),
    "bench_presets_and_job": (["bench", "--presets", "all", "--job", "baby_food"],
                              ["--job", "--presets", "not both"]),
    "bench_presets_rounds_zero": (["bench", "--presets", "all", "--rounds", "0"],
                                  ["--rounds", "1..20", "0)"]),
    # what is given as the scenario is not a file to read, or far too big to be one
    "scenario_is_a_folder": (["run", "{tmp}/afolder"], ["afolder", "is a folder"]),
    "scenario_is_a_fifo": (["run", "{tmp}/fifo.yaml"], ["fifo.yaml", "named pipe (FIFO)"]),
    "scenario_is_dev_zero": (["run", "/dev/zero"], ["/dev/zero", "character device"]),
    "scenario_50_mb": (["run", "{tmp}/big.yaml"], ["big.yaml", "52,428,800 bytes",
                                                    "at most 256 KiB"]),
    # --out: refused before any work, and never a folder of something else
    "out_empty": (small(out=""), ["--out is empty"]),
    "out_current_folder": (small(out="."), ["--out .", "current folder"]),
    "out_holds_other_files": (small(out="{tmp}/afolder"),
                              ["--out", "afolder", "not the results of a run", "notes.txt"]),
    "out_holds_a_previous_run": (small(out="{tmp}/previous"),
                                 ["--out", "previous", "results of another run", "--force"]),
}
USAGE_ERRORS = {"customers_not_a_number", "unknown_option"}   # reported by click/typer
QUICK_SECONDS = 20      # the absurd size must be refused before any work
BIG_BYTES = 50 * 2**20


def _commands(tmp: Path) -> dict[str, list[str]]:
    cmds = {f"yaml:{p.stem}": ["run", str(p), *SMALL] for p in CORPUS}
    for name, (args, _) in FLAG_CASES.items():
        cmds[f"flag:{name}"] = [a.replace("{tmp}", str(tmp)) for a in args]
    cmds["good:tiny"] = ["run", str(TINY), *SMALL]
    return cmds


def _run(args: list[str]) -> Result:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "apps.cli", *args], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, errors="replace", timeout=300)
    return Result(proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("bad_input")
    (tmp / "afile").write_text("a regular file, not a folder\n")
    (tmp / "afolder").mkdir()
    (tmp / "afolder" / "notes.txt").write_text("the user's own file\n")
    (tmp / "previous").mkdir()
    (tmp / "previous" / "summary.json").write_text(json.dumps(
        {"scenario": "tiny", "scenario_id": "0123456789ab", "version": "0"}))
    os.mkfifo(tmp / "fifo.yaml")
    with open(tmp / "big.yaml", "w") as f:       # 50 MiB of a valid YAML list
        f.write("- 1\n" * (BIG_BYTES // 4))
    return tmp


@pytest.fixture(scope="module")
def results(scratch) -> dict[str, Result]:
    """Every command of this module, run once: each in its own forked process (see
    forkrun.py: the real entry point, exit status and stderr, without ~1 s of imports
    per command)."""
    cmds = {k: v for k, v in _commands(scratch).items() if not k.startswith("good:")}
    proc = subprocess.run([sys.executable, str(HERE / "forkrun.py")], cwd=ROOT, env=ENV,
                          input=json.dumps(cmds), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return {k: Result(**v) for k, v in json.loads(proc.stdout).items()}


def _check_bad(res: Result, expected: list[str], max_lines: int) -> None:
    shown = f"\n--- stderr ---\n{res.stderr}\n--- stdout ---\n{res.stdout[:2000]}"
    assert "Traceback" not in res.stderr + res.stdout, "a traceback is a bug" + shown
    assert res.rc == 2, f"exit code {res.rc}, expected 2" + shown
    assert res.stdout == "", "nothing may be printed on stdout" + shown
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert 1 <= len(lines) <= max_lines, f"{len(lines)} lines of message" + shown
    missing = [s for s in expected if s not in res.stderr]
    assert not missing, f"message lacks {missing}" + shown


def test_the_whole_corpus_runs(results, capsys):
    """Every case of the corpus was run (none lost on the way); the count is reported."""
    assert set(results) == {f"yaml:{p.stem}" for p in CORPUS} | {
        f"flag:{name}" for name in FLAG_CASES}
    assert len(CORPUS) >= 85 and len(FLAG_CASES) >= 30
    with capsys.disabled():
        print(f"\nbad-input corpus: {len(results)} cases ({len(CORPUS)} scenario files, "
              f"{len(FLAG_CASES)} command lines), all refused with exit code 2")


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_bad_scenario(path: Path, results):
    res = results[f"yaml:{path.stem}"]
    _check_bad(res, [path.name, *expectations(path)], MAX_LINES)
    assert res.stderr.startswith("error: "), res.stderr


@pytest.mark.parametrize("name", list(FLAG_CASES))
def test_bad_flag(name: str, results):
    res = results[f"flag:{name}"]
    _check_bad(res, FLAG_CASES[name][1],
               MAX_USAGE_LINES if name in USAGE_ERRORS else MAX_LINES)
    if name == "customers_absurd":
        assert res.seconds < QUICK_SECONDS, f"refused only after {res.seconds:.1f} s"


# A few commands again as plain fresh processes, to show the forked runs are faithful.
FRESH = ["yaml:beta_zero_b", "yaml:yaml_syntax_error", "flag:customers_absurd",
         "flag:customers_not_a_number", "flag:missing_preset", "yaml:alias_bomb",
         "yaml:alias_bomb_in_overrides", "flag:scenario_50_mb", "flag:scenario_is_a_fifo"]
QUICK = {"flag:customers_absurd", "yaml:alias_bomb", "yaml:alias_bomb_in_overrides",
         "flag:scenario_50_mb", "flag:scenario_is_a_fifo"}


def _same(stderr: str) -> str:
    """stderr without what differs between two runs: program name, free memory."""
    stderr = stderr.replace(f"{Path(sys.executable).name} -m apps.cli", "snowball")
    stderr = stderr.replace("python -m apps.cli", "snowball")
    return re.sub(r"[\d,.]+ GiB is available", "N GiB is available", stderr)


@pytest.mark.parametrize("key", FRESH)
def test_fresh_process_agrees(key: str, results, scratch):
    res = _run(_commands(scratch)[key])
    assert (res.rc, res.stdout, _same(res.stderr)) == (
        results[key].rc, results[key].stdout, _same(results[key].stderr))
    if key in QUICK:     # a generous guard against a hang; the real times are benchmarks
        assert res.seconds < QUICK_SECONDS, f"refused only after {res.seconds:.1f} s"


def test_valid_tiny_scenario_runs(scratch):
    """Positive control, in a fresh process: the scenario the corpus breaks is fine."""
    res = _run(_commands(scratch)["good:tiny"])
    assert res.rc == 0, res.stderr
    assert "Traceback" not in res.stderr
    doc = json.loads(res.stdout)
    assert isinstance(doc["strategies"]["baseline"]["revenue"]["mean"], float)
    assert set(doc["strategies"]) == {"baseline", "less_churn"}
