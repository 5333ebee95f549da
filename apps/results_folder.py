"""Results folders: checked before any work, written whole or not at all.

A run writes into a temporary folder beside the target and moves it into place in one
step (an atomic exchange where the system has one), so a reader never sees a mix of two
runs and an interrupted run leaves the previous results as they were. A folder is only
replaced when it holds a previous run's results (its `summary.json` says so) and the
user asked for it (`--force`); a folder of other files is never touched.
"""

import ctypes
import json
import os
import secrets
import shutil
import signal
from contextlib import contextmanager
from pathlib import Path

from scenarios.errors import InputError

MARK = "summary.json"       # written last, names the run: its presence marks a results folder
PARTIAL = ".partial-"       # temporary folders: .<name>.partial-<pid>-<random>


def previous_run(folder: Path) -> dict | None:
    """The stamp (scenario, scenario_id, version) of the results in `folder`, or None."""
    try:
        doc = json.loads((folder / MARK).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or not {"scenario_id", "version"} <= set(doc):
        return None
    return doc


def check_target(out: Path, force: bool) -> None:
    """Refuse, before any work, a results folder that cannot or must not be written."""
    here = Path.cwd().resolve()
    target = out.resolve()
    if target == here or target in here.parents:
        raise InputError(f"--out {out}: is the current folder or holds it; give a folder of "
                         "its own for the results, e.g. --out results")
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise InputError(f"--out {out}: exists and is not a folder")
        entries = sorted(p.name for p in out.iterdir())
        if entries:
            stamp = previous_run(out)
            if stamp is None:
                shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
                raise InputError(f"--out {out}: holds files that are not the results of a "
                                 f"run ({shown}); give a new or empty folder")
            if not force:
                raise InputError(f"--out {out}: holds the results of another run (scenario "
                                 f"{stamp.get('scenario')!r}, id {stamp['scenario_id']}); add "
                                 "--force to replace them, or give another folder")
    _check_writable(target.parent, out)


def _check_writable(parent: Path, out: Path) -> None:
    """The folder that will hold `out` exists and is writable, or can be created."""
    existing = parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"--out {out}: cannot create the folder: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"--out {out}: cannot create the folder: {existing} is not writable")


@contextmanager
def staged(out: Path):
    """A temporary folder beside `out` to write into; moved into place (replacing the
    previous results) when the block ends normally, removed when it does not. `out` is
    checked again here (it may have changed during the run, or the caller is not the
    CLI): a folder of other files is never replaced."""
    check_target(out, force=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(out)
    tmp = out.parent / f".{out.name}{PARTIAL}{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        yield tmp
        _move_into_place(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _remove_abandoned(out: Path) -> None:
    """Remove temporary folders of `out` left by runs that were killed."""
    for path in out.parent.glob(f".{out.name}{PARTIAL}*"):
        pid = path.name[len(f".{out.name}{PARTIAL}"):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _move_into_place(tmp: Path, out: Path) -> None:
    """Put `tmp` at `out`; the previous `out` (if any) ends up at `tmp` to be removed.
    Ctrl-C and SIGTERM wait until the move is done."""
    blocked = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        if not out.exists():
            os.rename(tmp, out)
        elif not _exchange(tmp, out):
            aside = tmp.with_name(tmp.name + "-old")
            os.rename(out, aside)
            os.rename(tmp, out)
            os.rename(aside, tmp)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False if the system
    or the file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0
