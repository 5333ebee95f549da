"""Run many `snowball` command lines fast: import once, then one forked process each.

Reads a JSON object {id: [args...]} on stdin and writes {id: {rc, stdout, stderr,
seconds}} on stdout. Each command runs the real entry point `apps.cli:main` in its
own forked process, with its own stdout and stderr files (file descriptors 1 and 2)
and its own exit status, exactly as `snowball ARGS` would, minus the ~1 s of imports
(numpy, scipy, pandas, numba) that would otherwise dominate a corpus of small cases.

An exception that escapes `main` goes through `sys.excepthook` (typer's pretty
traceback, as in a real run) and exit status 1.
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _child(args: list[str], out: str, err: str) -> None:
    """In the forked process: run the CLI with fds 1/2 on files; never return."""
    code = 1
    try:
        fd_out = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        fd_err = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd_out, 1)
        os.dup2(fd_err, 2)
        sys.argv = ["snowball", *args]
        from apps.cli import main
        try:
            main()
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:
            sys.excepthook(*sys.exc_info())
            code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def run_all(commands: dict[str, list[str]], jobs: int) -> dict[str, dict]:
    import apps.cli  # noqa: F401  (warm imports, shared by every fork)
    import apps.job  # noqa: F401

    results: dict[str, dict] = {}
    running: dict[int, tuple] = {}
    with tempfile.TemporaryDirectory() as tmp:
        queue = list(commands.items())

        def reap() -> None:
            pid, status = os.wait()
            name, out, err, start = running.pop(pid)
            results[name] = {"rc": os.waitstatus_to_exitcode(status),
                             "stdout": Path(out).read_text(errors="replace"),
                             "stderr": Path(err).read_text(errors="replace"),
                             "seconds": time.perf_counter() - start}

        for i, (name, args) in enumerate(queue):
            while len(running) >= jobs:
                reap()
            out, err = os.path.join(tmp, f"{i}.out"), os.path.join(tmp, f"{i}.err")
            sys.stdout.flush()
            sys.stderr.flush()
            start = time.perf_counter()
            pid = os.fork()
            if pid == 0:
                _child(args, out, err)
            running[pid] = (name, out, err, start)
        while running:
            reap()
    return results


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    commands = json.loads(sys.stdin.read())
    jobs = max(2, (os.cpu_count() or 2) + 1)
    print(json.dumps(run_all(commands, jobs)))


if __name__ == "__main__":
    main()
