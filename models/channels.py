"""Channels: who can be reached, how contacts tire customers, and what a send costs.

The Channels module owns the per-customer contact state shared by every mechanic:
opt-in bits (one per channel, drawn at arrival, lost on unsubscribing), fatigue (one
level across channels, decaying lazily), and the frequency-cap bucket. A mechanic with a
control group also gets a state of its own that marks the customers it ever picked
(one byte per customer each, so there is no limit on their number). Mechanics send
with their targeting rule through a `sender`; costs, contacts, responses and
unsubscribes are booked per mechanic and per channel, so ROMI can be computed for each.
"""

from dataclasses import dataclass

import numba
import numpy as np
import simpy
from numba import njit, prange

from models import contact_kernel as ck
from models.sender import Sender
from models.stages import DEMAND_TYPES, STAGES
from sim.module import Module
from sim.streams import day_keys, decision, mix, uniform32

CHANNELS = ("email", "sms", "push", "messenger", "call_centre")
DECAY_TABLE = 4096
# Customers whose opt-ins one thread draws at a time. A draw costs 13-17 ns a customer:
# the day-0 base (BASE_OPTINS or more) is drawn on every thread; so is a large base's
# daily inflow (a few thousand, PARALLEL_OPTINS or more) on four threads or more, where a
# serial draw would hold the others. On two it gains nothing: 2,740 customers took
# 35-46 us serial and 39-41 in parallel (medians 47-51 and 65-66) on a shared 2-core
# machine, the wake-up and the barrier eating the half saved.
OPTIN_BLOCK = 256
PARALLEL_OPTINS = 4 * OPTIN_BLOCK
BASE_OPTINS = 32768
FATIGUE_DECAY_PER_DAY = 0.98   # default fatigue multiplier a day without contact


@dataclass(frozen=True)
class ChannelSpec:
    """A channel's parameters; these defaults are the scenario schema's defaults too."""

    optin_share: float = 1.0
    deliverability: float = 1.0
    open_rate: float = 1.0
    cost_per_contact: float = 0.0
    unsubscribe_rate: float = 0.0
    fatigue_step: float = 0.05
    irrelevant_fatigue_step: float = 0.15
    seats: int | None = None             # limited capacity (call centre): seats x calls
    calls_per_seat_per_day: float = 60.0   # an 8-hour shift of 8-minute calls

    @property
    def daily_capacity(self) -> float | None:
        return None if self.seats is None else self.seats * self.calls_per_seat_per_day


@dataclass(frozen=True)
class Rule:
    """Which customers a send picks: stages, demand types, days since the last purchase
    (a set of values; None: any), days until the next need (None: any), and bits of the
    customer `flags` that must all be set (e.g. `models.stages.CART`; 0: no requirement)."""

    stages: tuple[str, ...]
    demand_types: tuple[str, ...] = DEMAND_TYPES
    days_since_last: tuple[int, ...] | None = None
    days_until_due: tuple[int, ...] | None = None
    flags: int = 0

    def __post_init__(self):
        if not 0 <= self.flags <= 0xFF:
            raise ValueError(f"rule flags must be a mask of the 8 flag bits (got {self.flags})")

    def tables(self) -> tuple:
        """(stage mask, demand-type mask, days-since table, days-until table, flag mask):
        the rule as the contact kernel takes it."""
        stage_mask = np.isin(np.array(STAGES), self.stages)
        kind_mask = np.isin(np.array(DEMAND_TYPES), self.demand_types)
        return (stage_mask, kind_mask, _days(self.days_since_last), _days(self.days_until_due),
                np.uint8(self.flags))


def _days(values) -> np.ndarray:
    table = np.zeros(ck.RULE_DAYS, dtype=np.bool_)
    if values is None:
        table[:] = True
    else:
        table[[v for v in values if 0 <= v < ck.RULE_DAYS - 1]] = True
    return table


class Channels(Module):
    """Contact state of every customer and the one way mechanics send messages."""

    name = "channels"
    phase = "prepare"

    def __init__(self, specs: dict[str, ChannelSpec], fatigue_decay: float = FATIGUE_DECAY_PER_DAY,
                 max_contacts_per_week: float | None = None):
        unknown = set(specs) - set(CHANNELS)
        if unknown:
            raise ValueError(f"unknown channels {sorted(unknown)}; known: {CHANNELS}")
        self.specs = specs
        self.decay = fatigue_decay ** np.arange(DECAY_TABLE, dtype=np.float64)
        self.cap_per_day = 0.0 if max_contacts_per_week is None else max_contacts_per_week / 7
        self._optin_decision = np.array([decision("channels.optin")], dtype=np.uint64)

    def init(self, sim) -> None:
        c = sim.customers
        c.declare("optin", np.uint8, 0)
        c.declare("fatigue", np.float32, 0.0)
        c.declare("touch_day", np.int32, 0)
        c.declare("tokens", np.float32, 1e30)
        self.marks: dict[str, str] = {}     # mechanic -> the state marking its picks
        self._ready = 0
        shares = np.zeros(len(CHANNELS), dtype=np.float64)
        for name, spec in self.specs.items():
            shares[CHANNELS.index(name)] = spec.optin_share
        self._shares = shares
        r = sim.results
        self.flows = {k: r.flow(k) for k in ("crm_cost", "contacts", "responses",
                                             "unsubscribes")}
        self._by_channel = {ch: r.flow("crm_cost_" + ch) for ch in self.specs}
        self.dropped = r.flow("calls_dropped") if any(
            spec.daily_capacity is not None for spec in self.specs.values()) else None
        self._shifts = {ch: self._open_shifts(sim, spec.daily_capacity)
                        for ch, spec in self.specs.items() if spec.daily_capacity is not None}
        self._reachable = {ch: r.stock("reachable_" + ch) for ch in self.specs}
        self._reach_series = [(series, CHANNELS.index(ch))
                              for ch, series in self._reachable.items()]
        self._optin_key = None
        self._reach = np.zeros(len(CHANNELS), dtype=np.int64)
        self.funnel = next((m for m in sim.modules if m.name == "funnel"), None)

    @staticmethod
    def _open_shifts(sim, daily: float) -> simpy.Container:
        """The day's calls a channel with seats can make: refilled each morning (a simpy
        process); unused capacity does not carry over."""
        capacity = simpy.Container(sim.calendar.env, capacity=max(daily, 1e-9), init=0)

        def shift(env):
            while True:
                if capacity.level > 0:
                    capacity.get(capacity.level)
                if daily > 0:
                    capacity.put(daily)
                yield env.timeout(1)

        sim.calendar.process(shift(sim.calendar.env))
        return capacity

    def step(self, sim, day: int) -> None:
        """Give customers who arrived since yesterday their opt-ins."""
        c = sim.customers
        if c.n > self._ready:
            if self._optin_key is None:
                self._optin_key = day_keys(sim.seed_key, self._optin_decision, 0)[0]
            draw_optins(self._ready, c.n, self._optin_key, c.kh, c.optin, self._shares,
                         self._reach)
            self._ready = c.n
        self._record(day)

    def _record(self, day: int) -> None:
        for series, ch in self._reach_series:
            series[day] = self._reach[ch]

    def holdout_key(self, sim, mechanic: str) -> np.uint64:
        """The stable key of `mechanic`'s control group (the same on every send)."""
        return day_keys(sim.seed_key, np.array([decision("holdout." + mechanic)],
                                               dtype=np.uint64), 0)[0]

    def keep_marks(self, sim, mechanic: str) -> str:
        """Declare the state marking every customer `mechanic` picks (treated or held
        out): its eligible customers, for measuring its control group. Returns its name."""
        if mechanic not in self.marks:
            self.marks[mechanic] = "picked_by_" + mechanic
            sim.customers.declare(self.marks[mechanic], np.uint8, 0)
        return self.marks[mechanic]

    def sender(self, sim, mechanic: str, channel: str, rule_tables: tuple, *,
               response_rate: float, lift: float, relevance: float = 1.0,
               holdout: float = 0.0, offer_days: int = 0, own: tuple,
               offer_cost: float) -> Sender:
        """The one way mechanics send: `mechanic`'s messages through `channel` to the
        customers its rule picks (`models.sender`), made once at the mechanic's `init`."""
        return Sender(self, sim, mechanic, self.specs[channel], CHANNELS.index(channel),
                      rule_tables, response_rate=response_rate, lift=lift,
                      relevance=relevance, holdout=holdout, offer_days=offer_days, own=own,
                      offer_cost=offer_cost, by_channel=self._by_channel[channel],
                      shifts=self._shifts.get(channel))

    def unsubscribed(self, day: int, channel: int, count: int) -> None:
        """`count` customers opted out of the `channel`-th channel today."""
        self._reach[channel] -= count
        self._record(day)


def draw_optins(lo, hi, key, kh, optin, shares, reach):
    """Opt-in bits of customers [lo, hi), one draw per channel; counts go to `reach`.
    A long range is drawn on every thread the run uses (see OPTIN_BLOCK): the counts
    are integers, so their sum is the same in any order."""
    count = hi - lo
    if count < BASE_OPTINS and (count < PARALLEL_OPTINS or numba.get_num_threads() < 4):
        _optins(lo, hi, key, kh, optin, shares, reach)
    else:       # the blocks' counts made here: in the parallel kernel numba would make
        # np.zeros a parallel loop of its own (a wake of every thread)
        counts = np.zeros(((count + OPTIN_BLOCK - 1) // OPTIN_BLOCK, reach.size),
                          dtype=reach.dtype)
        _optins_parallel(lo, hi, key, kh, optin, shares, reach, counts)


@njit(cache=True)
def _optins(lo, hi, key, kh, optin, shares, reach):
    """Each channel's draw is its own hash of the customer's: a channel nobody opts in
    to (a scenario without it) is skipped, and the others' bits stay the same."""
    for i in range(lo, hi):
        bits = 0
        h = mix(kh[i] ^ key)
        for ch in range(shares.size):
            if shares[ch] > 0 and uniform32(mix(h + np.uint64(ch + 1))) < shares[ch]:
                bits |= 1 << ch
                reach[ch] += 1
        optin[i] = bits


@njit(cache=True, parallel=True)
def _optins_parallel(lo, hi, key, kh, optin, shares, reach, counts):
    """`_optins` over blocks in parallel, each block's counts in its (zeroed) row of
    `counts`, added in block order."""
    n_blocks = counts.shape[0]
    for b in prange(n_blocks):
        a = lo + b * OPTIN_BLOCK
        _optins(a, min(a + OPTIN_BLOCK, hi), key, kh, optin, shares, counts[b])
    for b in range(n_blocks):
        for ch in range(reach.size):
            reach[ch] += counts[b, ch]
