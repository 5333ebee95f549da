"""Parsed log rows -> purchase days: parts of the customers merged one at a time.

Rows are put in parts of the customers by their hash as they are read, and each part is
sorted and merged on its own and then released, so the rows and the purchase days are
never both held whole and the sort's temporaries stay a fraction of the log.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.txlog_layout import Layout

DAY_BITS = 20   # a (customer, day) key: customer code << DAY_BITS | day offset


M_MMAP_THRESHOLD = -3            # glibc's mallopt parameter
READ_MMAP_THRESHOLD = 1 << 17    # glibc's initial threshold, kept fixed while reading
AFTER_MMAP_THRESHOLD = 32 << 20  # the most glibc's own adjustment would reach


@contextmanager
def large_arrays_mapped():
    """While reading, stop glibc from raising its mmap threshold as arrays are freed.

    By default each freed mapped block raises the threshold (up to 32 MiB), after which
    the many chunk- and part-sized arrays of a large log come from the heap, where the
    freed ones fragment it and are never returned: a 1 GB log then peaks near 3 GiB
    instead of well under 2. Afterwards the threshold is set high again, as glibc's
    adjustment would have, so that the fits' many mid-sized arrays are reused from the
    heap rather than mapped and unmapped each time (which doubles their CPU time).
    No effect off glibc."""
    mallopt = _mallopt()
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, READ_MMAP_THRESHOLD)
    try:
        yield
    finally:
        if mallopt is not None:
            mallopt(M_MMAP_THRESHOLD, AFTER_MMAP_THRESHOLD)


def _mallopt():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return None


@dataclass
class PurchaseDays:
    """One row per customer and purchase day, sorted by customer then day."""

    customer: np.ndarray      # int32, dense codes 0..customers-1
    day: np.ndarray           # int32, days since 1970-01-01
    value: np.ndarray         # float64, net spend of the day
    orders: np.ndarray        # int32, orders merged into the day
    items: np.ndarray | None  # float64, items bought that day (None: no items column)
    rows: int                 # data rows read
    sha256: str
    treatments: list = field(default_factory=list)
    channels: dict = field(default_factory=dict)   # channel -> orders
    products: int | None = None                    # distinct products (None: no column)

    @property
    def customers(self) -> int:
        return int(self.customer[-1]) + 1 if self.customer.size else 0


@dataclass
class ParsedRows:
    """The parsed rows of the whole log, before merging, split into parts of the
    customers by their hash as they are read (each part merged and released in turn)."""

    parts: int = 1
    buckets: list = field(default_factory=list)   # per part: name -> list of arrays
    has_items: bool = False
    channels: dict = field(default_factory=dict)
    products: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    rows: int = 0
    blank: int = 0


def bucket(cols: ParsedRows, parsed: dict) -> None:
    """Add one chunk's parsed rows to the parts of their customers (file order kept)."""
    cols.has_items = "items" in parsed
    if not cols.buckets:
        cols.buckets = [{name: [] for name in parsed} for _ in range(cols.parts)]
    if cols.parts == 1:
        for name, values in parsed.items():
            cols.buckets[0][name].append(values)
        return
    part = (parsed["key"] % np.uint64(cols.parts)).astype(np.uint16)
    for p, lists in enumerate(cols.buckets):
        take = np.flatnonzero(part == p)
        for name, values in parsed.items():
            lists[name].append(values[take])


def merge_days(cols: ParsedRows, drop_duplicates: bool, layout: Layout) -> PurchaseDays:
    """Sort rows by customer and day, drop duplicates, net returns, merge same-day
    orders; every treatment is counted in the result's `treatments`. Each part of the
    customers (split by hash as the log was read) is merged on its own and its rows
    released, so the sort's temporaries stay a fraction of the log and the rows and the
    purchase days are never both held whole."""
    day0 = min(int(d.min()) for b in cols.buckets for d in b["day"] if d.size)
    merged = {name: [] for name in ("customer", "day", "value", "orders", "items")}
    tally, offset = Counter(), 0
    for part in cols.buckets:
        if not sum(k.size for k in part["key"]):
            continue
        day = _concat(part["day"])
        day -= day0
        block = _merge_part(_concat(part["key"]), day, _concat(part["amount"]),
                            _concat(part["items"]) if cols.has_items else None,
                            drop_duplicates, tally)
        part.clear()
        block["customer"] += offset
        offset += block.pop("customers")
        for name, values in block.items():
            merged[name].append(values)
    day = _concat(merged["day"])
    day += np.int32(day0)
    result = PurchaseDays(
        customer=_concat(merged["customer"]), day=day,
        value=_concat(merged["value"]), orders=_concat(merged["orders"]),
        items=_concat(merged["items"]) if cols.has_items else None,
        rows=cols.rows - cols.blank, sha256="",
        treatments=_notes(tally, layout.roles.get("items") is not None, drop_duplicates),
        channels=dict(sorted(cols.channels.items(), key=lambda kv: -kv[1])),
        products=int(cols.products.size) if layout.roles.get("product") else None)
    if cols.blank:
        result.treatments.append(f"{cols.blank} blank lines skipped")
    return result


def _merge_part(hashes, day, amount, items, drop_duplicates, tally) -> dict:
    """Purchase days of one part of the customers (codes 0..customers-1, days from
    day0); the counts of what was done are added to `tally`."""
    key, _ = pd.factorize(hashes)          # int64 codes, made the key in place
    key <<= DAY_BITS
    key |= day
    order = np.lexsort((amount, key)) if items is None else np.lexsort((items, amount, key))
    key, amount = key[order], amount[order]
    items = None if items is None else items[order]
    del order
    same = (key[1:] == key[:-1]) & (amount[1:] == amount[:-1])
    if items is not None:
        same &= items[1:] == items[:-1]
    tally["dup"] += int(same.sum())
    if drop_duplicates:
        keep = np.concatenate(([True], ~same))
        key, amount = key[keep], amount[keep]
        items = None if items is None else items[keep]
    del same
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    purchase = amount >= 0
    orders = np.add.reduceat(purchase.astype(np.int32), starts)
    net = np.add.reduceat(amount, starts)
    returned = np.add.reduceat((~purchase).astype(np.int32), starts) > 0
    day_items = None if items is None else np.add.reduceat(np.where(purchase, items, 0.0),
                                                           starts)
    keep = (orders > 0) & ~(returned & (net <= 0))
    tally["returns"] += int((~purchase).sum())
    tally["returned_value"] -= float(amount[~purchase].sum())
    tally["fully_returned"] += int((returned & (orders > 0) & ~keep).sum())
    tally["return_only"] += int((returned & (orders == 0)).sum())
    gkey = key[starts][keep]
    tally["merged"] += int(orders[keep].sum() - keep.sum())
    customer, uniques = pd.factorize(gkey >> DAY_BITS)   # customers with a purchase day
    return {"customer": customer.astype(np.int32), "customers": len(uniques),
            "day": (gkey & ((1 << DAY_BITS) - 1)).astype(np.int32),
            "value": np.maximum(net[keep], 0.0), "orders": orders[keep],
            "items": None if day_items is None else day_items[keep]}


def _concat(parts: list) -> np.ndarray:
    """The chunks' arrays as one, each chunk released once copied (so the peak is the
    whole plus one chunk, not twice the whole)."""
    whole = np.empty(sum(p.size for p in parts), dtype=parts[0].dtype)
    at = 0
    for i, p in enumerate(parts):
        whole[at:at + p.size] = p
        at += p.size
        parts[i] = None
    parts.clear()
    return whole


def _notes(tally: Counter, items_known: bool, drop: bool) -> list[str]:
    what = f"same customer, date, amount{', items' if items_known else ''}"
    notes = [f"{tally['merged']} orders merged into the same customer's purchase that day "
             "(the models count purchase days)"]
    if drop and tally["dup"]:
        notes.append(f"{tally['dup']} duplicate rows ({what}) counted once "
                     "(--drop-duplicates)")
    else:
        notes.append(f"{tally['dup']} rows repeat another row ({what}): kept as orders of "
                     "that day (--drop-duplicates counts them once)")
    if not tally["returns"]:
        notes.append("no returns (negative amounts) in the log")
    else:
        notes.append(f"{tally['returns']} returns (negative amounts, "
                     f"{tally['returned_value']:,.2f} in total) netted against the same "
                     "customer's purchases that day; "
                     f"{tally['fully_returned']} purchase days fully returned and dropped; "
                     f"{tally['return_only']} return days without a purchase left out")
    return notes
