"""Benchmark of `snowball calibrate`'s reading, summary and fits on synthetic logs.

    python -m apps.bench.calibrate_log --rows 1000000 --rows 36000000 \
        --out benchmarks/calibrate_log.json

For each size it writes a CSV log (customer_id,date,amount) drawn from a BG/NBD and
Gamma-Gamma base with known parameters, then reads, summarises and fits it in a fresh
process and records the wall time of each step and the peak resident memory of that
process (so the generator's memory is not counted), with the fitted parameters beside
the true ones. Logs above `--fit-up-to` rows are read and summarised only: the memory
peak is in reading (the fits work on the per-customer summary), and fitting millions of
customers takes many CPU minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TRUE = {"r": 0.6, "alpha": 4.0, "a": 0.8, "b": 3.0, "p": 6.0, "q": 4.0, "gamma": 15.0}
START = np.datetime64("2022-01-01", "D")
SPAN_DAYS = 730          # two years of log, the first 365 days of acquisition
CALIBRATION_END = "2023-06-30"


def _customers(rng, n: int, first_id: int):
    """One block of customers: (ids, days, amounts) of all their purchases."""
    lam = rng.gamma(TRUE["r"], 1.0 / TRUE["alpha"], n) / 7.0        # per day
    p = rng.beta(TRUE["a"], TRUE["b"], n)
    nu = rng.gamma(TRUE["q"], 1.0 / TRUE["gamma"], n)
    first = rng.integers(0, 365, n)
    horizon = SPAN_DAYS - first
    # while alive, repeat purchases are a Poisson process: given n of them in the
    # window their times are n sorted uniforms; dropout after each repeat purchase
    # (probability p) keeps the first `geometric(p)` of them
    in_window = rng.poisson(lam * horizon)
    keep = np.minimum(rng.geometric(p), in_window)
    who = np.repeat(np.arange(n), in_window)
    when = rng.random(who.size) * horizon[who]
    order = np.lexsort((when, who))
    who, when = who[order], when[order]
    rank = np.arange(who.size) - np.repeat(np.cumsum(in_window) - in_window, in_window)
    alive = rank < keep[who]
    owner = np.concatenate([np.arange(n), who[alive]])
    offset = np.concatenate([np.zeros(n, dtype=np.int64), when[alive].astype(np.int64)])
    days = START + (first[owner] + offset).astype("timedelta64[D]")
    amounts = np.round(rng.gamma(TRUE["p"], 1.0 / nu[owner]), 2)
    order = np.argsort(owner, kind="stable")
    return owner[order] + first_id, days[order], amounts[order]


def write_log(path: Path, rows: int, seed: int = 7) -> int:
    """Write a log of about `rows` rows in blocks (bounded memory); returns the rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    written, next_id, block = 0, 0, 200_000
    schema = pa.schema([("customer_id", pa.string()), ("date", pa.string()),
                        ("amount", pa.float64())])
    with pacsv.CSVWriter(path, schema) as writer:
        while written < rows:
            ids, days, amounts = _customers(rng, block, next_id)
            take = min(ids.size, rows - written)
            writer.write_table(pa.table({
                "customer_id": pa.array(np.char.add("C", ids[:take].astype(str))),
                "date": pa.array(days[:take].astype(str)),
                "amount": pa.array(amounts[:take])}, schema=schema))
            written += take
            next_id += block
    return written


def measure(path: str, fit: bool = True) -> dict:
    """Read, summarise (and fit) `path` here; timings, CPU time and peak memory of this
    process."""
    from apps.calibration import TIME_UNIT_DAYS, parse_day
    from apps.calibration_steps import fit_models
    from models.transactions import summarise_days
    from models.txlog import read_log

    out, clock = {}, time.perf_counter()
    days = read_log(path)
    out["read_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    summary = summarise_days(days.customer, days.day, days.value,
                             parse_day(CALIBRATION_END, "end"), TIME_UNIT_DAYS)
    out["summarise_s"] = time.perf_counter() - clock
    if fit:
        clock = time.perf_counter()
        fits = fit_models(summary)
        out["fit_s"] = time.perf_counter() - clock
        out["fitted"] = {m: fits[m].params for m in ("bgnbd", "pareto_nbd", "gamma_gamma")}
    out["total_s"] = out["read_s"] + out["summarise_s"] + out.get("fit_s", 0.0)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_s"] = usage.ru_utime + usage.ru_stime   # the machine is shared: CPU time too
    out["peak_rss_mib"] = usage.ru_maxrss / 1024
    out.update(customers=days.customers, purchase_days=int(days.day.size),
               calibration_customers=len(summary))
    return out


def run(sizes: list[int], folder: Path, fit_up_to: int) -> dict:
    results = []
    for rows in sizes:
        path = folder / f"log_{rows}.csv"
        clock = time.perf_counter()
        written = write_log(path, rows)
        made = time.perf_counter() - clock
        fit = [] if rows <= fit_up_to else ["--no-fit"]
        proc = subprocess.run([sys.executable, "-m", "apps.bench.calibrate_log",
                               "--measure", str(path), *fit], capture_output=True,
                              text=True, check=True)
        res = json.loads(proc.stdout)
        res.update(rows=written, file_mib=path.stat().st_size / 2**20,
                   generate_s=made)
        path.unlink()
        results.append(res)
    return {"benchmark": "calibrate_log", "true_parameters": TRUE,
            "time_unit_days": 7, "calibration_end": CALIBRATION_END,
            "machine": {"cpu": platform.machine(), "cores": os.cpu_count(),
                        "python": platform.python_version()},
            "load_average": os.getloadavg(),
            "targets": {"rows_1e6_total_s_below": 60, "log_1gb_peak_rss_mib_below": 2048},
            "results": results}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, action="append", help="log size (repeatable)")
    ap.add_argument("--out", type=Path, help="write the JSON here too")
    ap.add_argument("--tmp", type=Path, default=None, help="folder for the logs")
    ap.add_argument("--fit-up-to", type=int, default=2_000_000, help="fit the models "
                    "on logs of at most this many rows (larger: read and summary only)")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--no-fit", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, not args.no_fit)))
        return
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        report = run(args.rows or [1_000_000], Path(tmp), args.fit_up_to)
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
