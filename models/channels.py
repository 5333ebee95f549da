"""Channels: who can be reached, how contacts tire customers, and what a send costs.

The Channels module owns the per-customer contact state shared by every mechanic:
opt-in bits (one per channel, drawn at arrival, lost on unsubscribing), fatigue (one
level across channels, decaying lazily), and the frequency-cap bucket. A mechanic with a
control group also gets a state of its own that marks the customers it ever picked
(one byte per customer each, so there is no limit on their number). Mechanics call
`send` with their targeting rule; costs, contacts, responses and unsubscribes are
booked per mechanic and per channel, so ROMI can be computed for each.
"""

from dataclasses import dataclass

import numba
import numpy as np
import simpy
from numba import njit, prange

from models import contact_kernel as ck
from models import responder_visits as rv
from models.layouts import CONTACT_KERNEL_STATES as KERNEL_STATES, CONTACT_STATES
from models.send_ledger import ledger
from models.stages import DEMAND_TYPES, STAGES
from sim.module import Module
from sim.streams import day_keys, decision, keys_by_day, mix, uniform32

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
_NO_MARKS = np.zeros(0, dtype=np.uint8)   # marks of a mechanic without a control group


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
        self._flows = {k: r.flow(k) for k in ("crm_cost", "contacts", "responses",
                                              "unsubscribes")}
        self._by_channel = {ch: r.flow("crm_cost_" + ch) for ch in self.specs}
        self._dropped = r.flow("calls_dropped") if any(
            spec.daily_capacity is not None for spec in self.specs.values()) else None
        self._shifts = {ch: self._open_shifts(sim, spec.daily_capacity)
                        for ch, spec in self.specs.items() if spec.daily_capacity is not None}
        self._reachable = {ch: r.stock("reachable_" + ch) for ch in self.specs}
        self._reach_series = [(series, CHANNELS.index(ch))
                              for ch, series in self._reachable.items()]
        self._optin_key = None
        self._reach = np.zeros(len(CHANNELS), dtype=np.int64)
        self._send_constants: dict[tuple, tuple] = {}
        self._packs: dict[tuple, tuple] = {}
        self._out = np.zeros((1, ck.N_OUT), dtype=np.int64)
        self._totals = np.zeros(ck.N_OUT, dtype=np.int64)
        self._funnel = next((m for m in sim.modules if m.name == "funnel"), None)

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

    def _constants(self, sim, mechanic, channel, response_rate, lift, relevance, holdout,
                   offer_days, own, offer_cost):
        """Per (mechanic, channel), built once: the send's key of every day of the run (one
        lookup per send instead of a kernel call), the control group's key, the opt-in and
        marks bits, the parameter vectors, the marks state (None without a control group)
        and the ledger of the flows its sends book."""
        cache = self._send_constants
        entry = cache.get((mechanic, channel))
        if entry is None:
            spec = self.specs[channel]
            send = np.array([decision("send." + mechanic)], dtype=np.uint64)
            keys = keys_by_day(sim.seed_key, send, sim.days)[:, 0]
            hold_key = self.holdout_key(sim, mechanic)
            chan = np.array([spec.deliverability, spec.open_rate, spec.unsubscribe_rate,
                             spec.fatigue_step, spec.irrelevant_fatigue_step], dtype=np.float64)
            mech = np.array([response_rate, lift, relevance, holdout, self.cap_per_day, 0.0,
                             0.0, offer_days], dtype=np.float64)
            bit = np.uint8(1 << CHANNELS.index(channel))
            marks = self.marks.get(mechanic) if holdout > 0 else None   # control groups only
            flows = self._flows
            books = ledger((flows["crm_cost"], flows["contacts"], flows["responses"],
                            flows["unsubscribes"], self._by_channel[channel], *own),
                           spec.cost_per_contact, offer_cost)
            entry = cache[(mechanic, channel)] = (keys, hold_key, bit, np.uint8(marks is not None),
                                                  chan, mech, marks, books)
        return entry

    def _visits(self, sim, day: int) -> tuple:
        """The funnel's visits the contact kernel takes (`Funnel.visits`); without a
        funnel, no lists: every responder is forced into the exact pass."""
        if self._funnel is not None:
            return self._funnel.visits(sim, day)
        return np.uint64(0), np.inf, rv.empty_lists(0)

    @staticmethod
    def _wanted(sim, day, hold_key, bit, mech, rule_tables, out) -> float:
        """How many calls today's targets would need (before capacity and caps)."""
        c = sim.customers
        counts = out[:, 0]
        ck.count_reachable(c.n, day, hold_key, bit, c.view(KERNEL_STATES),
                           c.view(CONTACT_STATES), mech, rule_tables, counts)
        return float(counts.sum())

    def send(self, sim, day: int, mechanic: str, channel: str, rule_tables: tuple,
             response_rate: float, lift: float, relevance: float = 1.0,
             holdout: float = 0.0, offer_days: int = 0, *, own: tuple,
             offer_cost: float) -> None:
        """Contact today's targets of `mechanic`. With `offer_days` > 0 a responder holds
        the personal offer for that many days. The kernel books the send in the day's
        flows (`models.send_ledger`): the channel's, and the mechanic's `own` (contacts,
        responses, cost), with `offer_cost` a response; what is left here is kept to
        Python scalars: numpy's per-element operations would cost more than a small
        send."""
        c = sim.customers
        chunks = (c.n + ck.CHUNK - 1) // ck.CHUNK
        if self._out.shape[0] < chunks:
            self._out = np.zeros((chunks, ck.N_OUT), dtype=np.int64)
        constants = self._constants(sim, mechanic, channel, response_rate, lift, relevance,
                                    holdout, offer_days, own, offer_cost)
        keys, hold_key, bit, _, _, mech, _, _ = constants
        event_key, exposure_lift, lists = self._visits(sim, day)
        args = (day, keys[day], event_key,
                self._pack(c, (mechanic, channel), constants, rule_tables, exposure_lift, lists))
        shifts = self._shifts.get(channel)
        summed = self._out[0]   # the counters of the one chunk or the one serial pass
        if shifts is None and chunks == 1:
            ck.deliver_range(0, c.n, *args, summed)   # one chunk: no threads to wake
        elif shifts is None:
            ck.deliver(c.n, *args, self._out[:chunks], self._totals)
            summed = self._totals
        else:   # limited capacity: one serial pass picks exactly what the seats can call
            wanted = self._wanted(sim, day, hold_key, bit, mech, rule_tables,
                                  self._out[:chunks])
            if wanted > shifts.level:
                mech[ck.M_QUOTA], mech[ck.M_WANTED] = np.floor(shifts.level), wanted
            ck.deliver_range(0, c.n, *args, summed)
            mech[ck.M_QUOTA] = mech[ck.M_WANTED] = 0.0   # no quota on the next send
        totals = summed.tolist()
        if shifts is not None:
            self._call_centre(day, shifts, totals)
        if totals[ck.O_UNSUBSCRIBES]:
            self._reach[CHANNELS.index(channel)] -= totals[ck.O_UNSUBSCRIBES]
            self._record(day)

    def _pack(self, c, sender: tuple, constants: tuple, rule: tuple, exposure_lift: float,
              lists):
        """The contact kernel's `pack` of a (mechanic, channel)'s sends, kept while the
        customers' arrays, the funnel's lists and the rule's tables stay where they are."""
        S = c.view(KERNEL_STATES)
        kept = self._packs.get(sender)
        if kept is None or kept[0] is not S or kept[1] is not lists or kept[2] is not rule:
            _, hold_key, bit, mbit, chan, mech, marks, books = constants
            marked = _NO_MARKS if marks is None else c.view((marks,))[0]
            kept = (S, lists, rule, ck.pack(hold_key, bit, mbit, S,
                                            c.view(CONTACT_STATES) + (marked,), exposure_lift,
                                            lists, self.decay, chan, mech, rule, books))
            self._packs[sender] = kept
        return kept[3]

    def _call_centre(self, day: int, shifts, totals: list) -> None:
        """A capacity-limited channel's calls dropped today, and its seats taken."""
        self._dropped[day] += totals[ck.O_DROPPED]
        if totals[ck.O_SENT] > 0:
            shifts.get(float(totals[ck.O_SENT]))


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
