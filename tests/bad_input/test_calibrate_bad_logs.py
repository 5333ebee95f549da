"""Bad transaction logs never crash `snowball calibrate`: each gets exit code 2 and one
message on stderr naming the file and the row or column, the value and what to do.

The corpus is `logs/*.csv` (one file per kind of damage); CASES lists the substrings
each message must contain. Commands run through the real entry point in forked
processes (forkrun.py), as in test_cli_bad_input.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli_bad_input import ENV, HERE, ROOT, Result, _check_bad

LOGS = HERE / "logs"
END = ["--calibration-end", "2024-06-30"]
CASES = {
    "missing_column": ["missing_column.csv", "no date column", "'customer_id'", "--date-col"],
    "bad_date": ["bad_date.csv", "row 4", "'date'", "'2024-13-45'", "not a date"],
    "text_amount": ["text_amount.csv", "row 3", "'amount'", "'abc'", "not a number"],
    "empty": ["empty.csv", "the file is empty"],
    "header_only": ["header_only.csv", "no transactions"],
    "one_customer": ["one_customer.csv", "1 customer(s)", "at least 10"],
    "one_purchase_each": ["one_purchase_each.csv", "every customer made one purchase"],
    "future_dates": ["future_dates.csv", "row 5", "'2099-01-01'", "in the future"],
    "mixed_dates": ["mixed_dates.csv", "mixes date formats", "row 2", "row 4",
                    "'07.01.2024'", "--date-format"],
    "ambiguous_dates": ["ambiguous_dates.csv", "'03/04/2024'", "%d/%m/%Y", "%m/%d/%Y",
                        "--date-format"],
    "latin1": ["latin1.csv", "line 3", "0xe9", "not utf-8", "--encoding"],
    "missing_customer": ["missing_customer.csv", "row 3", "'customer_id'",
                         "not a customer id"],
    "ragged": ["ragged.csv", "line 3", "saw 4"],
    "no_header_no_dates": ["no_header_no_dates.csv", "no column of dates", "--date-col"],
}
FLAGS = {   # id -> (arguments after the log, substrings)
    "calibration_end_not_a_date": (["--calibration-end", "2024-13-01"],
                                   ["--calibration-end", "'2024-13-01'", "YYYY-MM-DD"]),
    "calibration_end_before_log": (["--calibration-end", "1990-01-01"],
                                   ["--calibration-end 1990-01-01", "before the log's first"]),
    "holdout_before_calibration": (END + ["--holdout-end", "2024-01-01"],
                                   ["--holdout-end 2024-01-01", "must be after"]),
    "holdout_after_log": (END + ["--holdout-end", "2025-06-30"],
                          ["--holdout-end 2025-06-30", "after the log's last"]),
    "margin_out_of_range": (END + ["--margin", "1.5"], ["--margin", "0-1", "1.5"]),
    "unknown_column": (END + ["--amount-col", "price"], ["--amount-col 'price'",
                                                         "no such column"]),
    "bad_encoding_name": (END + ["--encoding", "klingon"], ["--encoding", "'klingon'"]),
}
GOOD = "good_log.csv"


def _good_log(tmp: Path) -> Path:
    """A readable log for the flag cases (customers with repeat purchases)."""
    rows = [f"c{i},2024-0{1 + k}-{10 + i % 9},{10 + i + k}.5" for i in range(30)
            for k in range(1 + i % 3)]
    path = tmp / GOOD
    path.write_text("customer_id,date,amount\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, Result]:
    tmp = tmp_path_factory.mktemp("calibrate_bad")
    out = ["--out", str(tmp / "s.yaml")]
    cmds = {k: ["calibrate", str(LOGS / v[0]), *END, *out] for k, v in CASES.items()}
    good = str(_good_log(tmp))
    for k, (args, _) in FLAGS.items():
        cmds["flag:" + k] = ["calibrate", good, *args, *out]
    proc = subprocess.run([sys.executable, str(HERE / "forkrun.py")], cwd=ROOT, env=ENV,
                          input=json.dumps(cmds), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return {k: Result(**v) for k, v in json.loads(proc.stdout).items()}


def test_corpus_is_complete():
    assert sorted(p.name for p in LOGS.glob("*.csv")) == sorted(v[0] for v in CASES.values())


@pytest.mark.parametrize("name", list(CASES))
def test_bad_log(name, results):
    _check_bad(results[name], CASES[name], 3)


@pytest.mark.parametrize("name", list(FLAGS))
def test_bad_calibrate_flag(name, results):
    _check_bad(results["flag:" + name], FLAGS[name][1], 3)
