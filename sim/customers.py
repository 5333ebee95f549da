"""Customers as a struct of arrays: one slot per customer ever created, never deleted.

The engine owns only what every model needs: the stable random key of each customer
(`kh`, already mixed, so a draw costs one mix) and the arrival day. Modules declare the
rest of the state they need (`declare`), so the engine knows nothing of marketing.
Arrays grow by amortised doubling, deterministically, when a module adds customers
beyond the capacity planned up front.
"""

from dataclasses import dataclass

import numpy as np
from numba import njit

from sim.block_fill import fill_words, slot_pattern
from sim.streams import mix


_ALIGN = 64                 # bytes: each array starts on a cache line
_OWN = ("n", "capacity", "layout")    # the customers' own attributes: no state's names


@dataclass(frozen=True)
class StateSpec:
    """A per-customer array: its dtype, the value a new slot starts with, and the group
    whose states are stored together, customer by customer (None: an array of its own)."""

    dtype: np.dtype
    fill: float
    group: str | None = None


class Customers:
    """Struct of arrays holding every customer of one simulation.

    The arrays live in one block of memory: states declared before the first use of
    any array (the modules' `init`) are laid out together when first used (or at
    `pack`), each starting on a cache line. The block is not backed by huge pages
    (`_block`).
    The states of one group are interleaved instead, one record per customer (each state
    a strided view): a kernel that reads all of them for a few scattered customers, as
    the funnel's exact pass does, then fetches one cache line per customer, not one per
    state. States declared later get arrays of their own; growing moves all into a new
    block. A new block is filled with the start values on every thread, each byte
    written once (`sim.block_fill`).
    """

    def __init__(self, capacity: int):
        self.capacity = max(int(capacity), 1)
        self.n = 0
        # counts the moves of the arrays (and arrays added): whoever keeps views or packs
        # of them compares one number a day to know they still hold
        self.layout = 0
        self._views: dict[tuple, tuple] = {}
        self._specs: dict[str, StateSpec] = {}
        self._arrays: dict[str, np.ndarray] = {}
        self._laid_out = False
        self.declare("kh", np.uint64, 0)
        self.declare("arrival", np.int32, 0)

    def declare(self, name: str, dtype, fill=0, group: str | None = None) -> None:
        """Add a per-customer state (stored with the other states of `group`, if given);
        declaring the same name twice must agree."""
        if name.startswith("_") or name in _OWN or hasattr(Customers, name):
            raise ValueError(f"state name {name!r} is taken by the customers' own attributes")
        spec = StateSpec(np.dtype(dtype), fill, group)
        if name in self._specs:
            if self._specs[name] != spec:
                raise ValueError(f"state {name!r} declared twice with different specs")
            return
        self._specs[name] = spec
        if self._laid_out:
            self._arrays[name] = np.full(self.capacity, fill, dtype=spec.dtype)
            setattr(self, name, self._arrays[name])
            self.layout += 1

    def pack(self) -> None:
        """Lay out the states declared so far in one block (if not done yet)."""
        if not self._laid_out:
            self._relocate(self.capacity, 0)

    def __getattr__(self, name: str) -> np.ndarray:
        """A state before the layout (which makes every array an attribute of its own:
        read in tens of nanoseconds, not the ~800 ns of a failed lookup and this call)."""
        d = self.__dict__
        arrays = d.get("_arrays")
        if arrays is not None and name in d["_specs"]:
            if not d["_laid_out"]:
                self.pack()
            return arrays[name]
        raise AttributeError(name)

    def view(self, names: tuple[str, ...]) -> tuple:
        """The named arrays as a tuple (how kernels take them); cached until they move."""
        if names not in self._views:
            self.pack()
            self._views[names] = tuple(self._arrays[n] for n in names)
        return self._views[names]

    @property
    def bytes_per_customer(self) -> int:
        return sum(spec.dtype.itemsize for spec in self._specs.values())

    def add(self, source: int, day: int, count: int) -> slice:
        """Append `count` scheduled customers of `source` arriving on `day`.

        Their keys are (source, day, index within the day): the same scheduled customer
        gets the same key, hence the same draws, in every strategy.
        """
        if not 0 <= source < 256:
            raise ValueError(f"source must be within 0..255 (got {source})")
        self.pack()
        if self.n + count > self.capacity:
            self._grow(self.n + count)
        lo, hi = self.n, self.n + count
        _scheduled(self.kh, self.arrival, lo, hi, source, day)
        self.n = hi
        return slice(lo, hi)

    def add_keyed(self, keys: np.ndarray, day: int) -> slice:
        """Append customers with the given stable keys (e.g. derived from a referrer's
        key and referral number), arriving on `day`."""
        keys = np.asarray(keys, dtype=np.uint64)
        self.pack()
        if self.n + keys.size > self.capacity:
            self._grow(self.n + keys.size)
        lo, hi = self.n, self.n + keys.size
        _mixed(self.kh, self.arrival, lo, keys, day)
        self.n = hi
        return slice(lo, hi)

    def _grow(self, needed: int) -> None:
        capacity = self.capacity
        while capacity < needed:
            capacity *= 2
        self._relocate(capacity, self.n)
        self.capacity = capacity

    def _relocate(self, capacity: int, keep: int) -> None:
        """Every declared state in one new block of `capacity` slots: the first `keep`
        slots copied from the current arrays, the rest filled."""
        units: dict = {}     # an array of its own, or the records of a group
        for name, spec in self._specs.items():
            key = ("group", spec.group) if spec.group else ("state", name)
            units.setdefault(key, []).append((name, spec.dtype))
        offsets, end = {}, 0
        for key, fields in units.items():
            offsets[key] = end
            end += -(-capacity * np.dtype(fields).itemsize // _ALIGN) * _ALIGN
        block = _block(end + _ALIGN)
        start = -block.ctypes.data % _ALIGN
        self._fill(block[start:start + end], units, offsets)
        self._views.clear()
        for key, fields in units.items():
            lo = start + offsets[key]
            records = block[lo: lo + capacity * np.dtype(fields).itemsize].view(fields)
            for name, dtype in fields:
                new = records[name] if len(fields) > 1 else records.view(dtype)
                if keep:
                    new[:keep] = self._arrays[name][:keep]
                self._arrays[name] = new     # the old array goes as soon as it is copied
        self.__dict__.update(self._arrays)
        self._laid_out = True
        self.layout += 1

    def _fill(self, region: np.ndarray, units: dict, offsets: dict) -> None:
        """Every unit's part of the new block (`region`, 64-byte aligned) set to its
        states' start values, on every thread (`sim.block_fill`)."""
        patterns = [slot_pattern(tuple((dtype.str, self._specs[name].fill)
                                       for name, dtype in fields))
                    for fields in units.values()]
        starts = np.array([offsets[key] // 8 for key in units], dtype=np.int64)
        lengths = np.diff(np.append(starts, region.size // 8))
        sizes = np.array([p.size for p in patterns], dtype=np.int64)
        fill_words(region.view(np.uint64), starts, lengths, np.cumsum(sizes) - sizes, sizes,
                   np.concatenate(patterns))


def _block(nbytes: int) -> np.ndarray:
    """An uninitialised block of `nbytes` in small pages. numpy asks Linux for huge
    pages for any allocation above 4 MiB; where the kernel must compact memory to find
    them (defrag on madvise, the default), the first touch of a 1M-customer block
    stalls for 0.2-2 s, against 0.06 s in small pages, and saves only ~3% of a
    365-day run's day loop in fewer TLB misses (measured on a shared 2-core VM)."""
    core = getattr(np, "_core", None) or np.core
    toggle = getattr(core.multiarray, "_set_madvise_hugepage", None)
    if toggle is None:
        return np.empty(nbytes, dtype=np.uint8)
    was = toggle(False)
    try:
        return np.empty(nbytes, dtype=np.uint8)
    finally:
        toggle(was)


# Keys and arrival days are written in one call: a day's few arrivals would pay more
# for a numpy slice assignment than for the loop.
@njit(cache=True)
def _scheduled(kh, arrival, lo, hi, source, day):
    base = (np.uint64(source) << np.uint64(56)) ^ (np.uint64(day) << np.uint64(32))
    for i in range(lo, hi):
        kh[i] = mix(base ^ np.uint64(i - lo))
        arrival[i] = day


@njit(cache=True)
def _mixed(kh, arrival, lo, keys, day):
    for j in range(keys.size):
        kh[lo + j] = mix(keys[j])
        arrival[lo + j] = day
