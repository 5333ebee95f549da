"""Compiled kernels are cached per version of the kernel sources.

numba checks a cached kernel against the file it is defined in only. A kernel that
inlines a function or a constant of another module (the arrival kernel books a first
order with the funnel's `book_orders`) would go on running the old code after that
module changed: after an upgrade, results would silently mix two versions. So the cache
lives in a folder named by a hash of every source file of `sim` and `models`; any
change to them starts a fresh folder. It sits under NUMBA_CACHE_DIR when that is set,
else in `.numba_cache` beside the packages. A folder without a compiled kernel in it
(`is_warm` False) means the next run compiles them all, which takes about a minute.
"""

import hashlib
import os
from pathlib import Path

import numba

ROOT = Path(__file__).resolve().parents[1]


def sources_hash() -> str:
    """A short hash of the kernel packages' sources (paths and contents)."""
    h = hashlib.sha256()
    for path in sorted([*ROOT.glob("sim/*.py"), *ROOT.glob("models/**/*.py")]):
        h.update(path.relative_to(ROOT).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> str:
    base = os.environ.get("NUMBA_CACHE_DIR") or str(ROOT / ".numba_cache")
    return os.path.join(base, "snowball-" + sources_hash())


def is_warm() -> bool:
    """Whether any simulation kernel of this version of the sources is compiled in the
    cache (the economic model's own kernel, compiled by `snowball economics` in a few
    seconds, says nothing of the simulator's)."""
    return any(not p.name.startswith("econ_kernel.")
               for p in Path(cache_dir()).rglob("*.nbi"))


numba.config.CACHE_DIR = cache_dir()    # read by every `njit(cache=True)` that follows
