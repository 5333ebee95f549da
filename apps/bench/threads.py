"""The thread table of `snowball bench --threads`: the engine at each thread count, and
beside it, optionally, a peer implementation of the same benchmark specification.

Each measurement runs in a process of its own with NUMBA_NUM_THREADS set (numba fixes
its thread pool when it starts). The machine may be shared, so rounds alternate: in
each round, for each thread count, the engine and then the peer run one after the
other; the table keeps the best of the rounds for each, every round's figure, and the
ratio of the bests (the median of the rounds' ratios too). Each row also has small runs
side by side (`apps.bench.side_by_side`): what T threads give a sweep of small runs (one
process a thread, at most one a core, as a sweep's workers).
"""

import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys

from apps.bench.side_by_side import side_by_side
from scenarios.errors import InputError
from sim.ensemble import cores

_ENGINE = (
    "import json, numba; from apps.bench.run import engine_run, small_run, warm_up; "
    "warm_up({sizes}, {days}); "
    "big = [engine_run(n, {days}, repeats=1, memory=False) for n in {sizes}]; "
    "small = small_run({days}, big[-1]['customer_days_per_s'], repeats=3); "
    "print(json.dumps(dict(threads=numba.get_num_threads(), "
    "sizes=[b['customer_days_per_s'] for b in big], small=small)))")
PEER_PROBE = (1000, 7)      # customers, days of the run that checks the peer command
SIDE_BY_SIDE_S = 2.0        # seconds each process does small runs in a side-by-side round


def parse_thread_counts(threads: str | None, peer: str | None, rounds: int) -> list[int]:
    """The --threads list (empty: no table), checked with --peer and --rounds."""
    if threads is None:
        if peer is not None:
            raise InputError("--peer needs --threads (the thread counts to time it at)")
        return []
    try:
        counts = [int(t) for t in threads.split(",")]
    except ValueError:
        raise InputError(f"--threads must be comma-separated integers (got {threads!r})") \
            from None
    if any(not 1 <= t <= 1024 for t in counts) or not 1 <= rounds <= 20:
        raise InputError(f"--threads: each within 1..1024, --rounds within 1..20 (got "
                         f"{threads!r}, {rounds})")
    return counts


def _env(threads: int) -> dict:
    return {**os.environ, "NUMBA_NUM_THREADS": str(threads)}


def _last_json(stdout: str) -> dict | None:
    for line in reversed(stdout.strip().splitlines()):
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and "customer_days_per_s" in doc:
            return doc
    return None


def peer_run(peer: str, threads: int, customers: int, days: int, seed: int) -> dict:
    """One run of the peer command; InputError when it fails or prints no figure."""
    argv = shlex.split(peer) + ["--customers", str(customers), "--days", str(days),
                                "--seed", str(seed)]
    try:
        done = subprocess.run(argv, env=_env(threads), capture_output=True, text=True,
                              timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise InputError(f"--peer {peer!r}: cannot run it ({e})") from None
    doc = _last_json(done.stdout) if done.returncode == 0 else None
    if doc is None:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise InputError(f"--peer {peer!r}: exit code {done.returncode}, no JSON line with "
                         f"customer_days_per_s in its output ({' | '.join(tail)})")
    return doc


def check_peer(peer: str, seed: int) -> None:
    """Fail before any timing when the peer command cannot give a figure."""
    argv = shlex.split(peer) if peer.strip() else []
    if not argv or shutil.which(argv[0]) is None:
        raise InputError(f"--peer {peer!r}: not a command found on PATH; give e.g. "
                         "\"python kernel.py\" (it gets --customers, --days and --seed and "
                         "prints a JSON line with customer_days_per_s)")
    peer_run(peer, 1, *PEER_PROBE, seed)


def _engine_round(threads: int, sizes: list[int], days: int) -> dict:
    code = _ENGINE.format(days=days, sizes=list(sizes))
    done = subprocess.run([sys.executable, "-c", code], env=_env(threads),
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _best(values: list[float]) -> dict:
    return {"best": max(values), "rounds": values}


def _side_row(rounds: list[dict], large: dict) -> dict:
    """Best of the rounds of small runs side by side, against the largest size's best."""
    best = max(rounds, key=lambda r: r["customer_days_per_s"])
    return {**best, "rounds": [r["customer_days_per_s"] for r in rounds],
            "large_run_customer_days_per_s": large["best"],
            "vs_large_run_throughput": best["customer_days_per_s"] / large["best"]}


def thread_table(threads: list[int], sizes: list[int], days: int, peer: str | None,
                 rounds: int, seed: int, side_seconds: float = SIDE_BY_SIDE_S) -> dict:
    """The table's rows, one per thread count (the peer checked beforehand)."""
    sizes = sorted(sizes)
    engine = {t: [] for t in threads}
    side = {t: [] for t in threads}
    peers = {t: [] for t in threads}
    for _ in range(rounds):
        for t in threads:
            engine[t].append(_engine_round(t, sizes, days))
            side[t].append(side_by_side(min(t, cores()), days, side_seconds))
            if peer:
                peers[t].append([peer_run(peer, t, n, days, seed)["customer_days_per_s"]
                                 for n in sizes])
    rows = []
    for t in threads:
        row = {"threads": t, "numba_threads": engine[t][0]["threads"], "engine": {},
               "small_run": max((r["small"] for r in engine[t]),
                                key=lambda s: s["customer_days_per_s"])}
        for k, n in enumerate(sizes):
            row["engine"][str(n)] = _best([r["sizes"][k] for r in engine[t]])
        row["small_runs_side_by_side"] = _side_row(side[t], row["engine"][str(sizes[-1])])
        if peer:
            row["peer"], row["engine_vs_peer"] = {}, {}
            for k, n in enumerate(sizes):
                ours = [r["sizes"][k] for r in engine[t]]
                theirs = [r[k] for r in peers[t]]
                row["peer"][str(n)] = _best(theirs)
                row["engine_vs_peer"][str(n)] = {
                    "ratio_of_bests": max(ours) / max(theirs),
                    "median_of_round_ratios": statistics.median(
                        a / b for a, b in zip(ours, theirs))}
        rows.append(row)
    return {
        "method": (f"customer-days per second; each figure from a process of its own with "
                   f"NUMBA_NUM_THREADS set, after a warm-up that loads every kernel the "
                   f"timed runs use (apps.bench.run.warm_up); {rounds} rounds, in each "
                   f"round per thread count "
                   "the engine (every size, then the small run), then as many one-thread "
                   "processes as threads doing small runs side by side, then the peer run, "
                   "one after the other; best of the rounds"),
        "cores": os.cpu_count(),
        "days": days,
        "sizes": sizes,
        "peer_command": peer,
        "peer_arguments": f"--customers N --days {days} --seed {seed}" if peer else None,
        "rows": rows,
    }
