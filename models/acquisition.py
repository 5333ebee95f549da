"""Acquisition: the base that exists on day 0, and the daily inflow of new customers.

The inflow follows a deterministic schedule (a_t = floor((t+1)R) - floor(tR) for a
rate of R a day), so every strategy sees the same arrivals with the same keys, and
common random numbers hold. Paid arrivals cost CAC each; arrivals come either as
leads (`potential`) or with their first purchase made on the day they arrive (`new`).
"""

import math
from dataclasses import dataclass

import numba
import numpy as np

from models import arrival_kernel as ak
from models import layouts as lay
from models.funnel import Funnel, state_tuple
from models.stages import STAGES
from sim.module import Module
from sim.pack import Pack
from sim.streams import day_keys, decision, keys_by_day

SOURCE_BASE, SOURCE_INFLOW = 0, 1
TRAIT_KEYS = ("type", "rate", "spend", "drop", "need", "history", "due")
FIRST_KEYS = ("event", "orders", "spend", "drop", "due", "cancel", "items")
# Arrivals from this many on are created in parallel, in one call. Waking the threads
# costs a wait at the barrier, long when another process holds a core; an arrival costs
# ~80 ns. bench_funnel at 1,000,000 customers (2,740 arrivals a day) on 2 threads of a
# 2-core machine that another process kept busy (load 1.3-1.6), best of 5 runs, six
# alternating pairs: 1.33-1.42 s in parallel against 1.40-1.42 s serial (from 8,192 a day).
PARALLEL_ARRIVALS = 4 * ak.PARALLEL_CHUNK
NO_TARGETS = np.zeros(0, dtype=np.int8)     # arrivals with no history: no stage to reach


@dataclass(frozen=True)
class AcquisitionPlan:
    """How many customers exist on day 0 and how many arrive each day after."""

    base_customers: int
    base_mix: dict                  # stage name -> share of the base
    fresh_cohort: bool = False      # the whole base makes its first purchase on day 0
    history_days: int = 730
    lapsed_alive_share: float = 0.5
    churned_alive_share: float = 0.2
    inflow_per_day: float = 0.0
    paid_share: float = 1.0
    cac: float = 0.0
    arrive_as_buyers: bool = False
    profiles: np.ndarray | None = None       # (purchases, idle days, tenure days) rows
    profile_customers: tuple = ()            # customers of each profile (as shares)

    def arrivals(self, day: int) -> int:
        r = self.inflow_per_day
        return math.floor((day + 1) * r) - math.floor(day * r)

    def total(self, days: int) -> int:
        return self.base_customers + int(np.floor(days * self.inflow_per_day))


def split_counts(total: int, shares: dict) -> dict:
    """Largest-remainder split of `total` by shares (deterministic, sums exactly)."""
    names = list(shares)
    raw = np.array([shares[k] for k in names], dtype=np.float64) * total
    base = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: total - base.sum()]] += 1
    return dict(zip(names, base.tolist()))


class Acquisition(Module):
    """Creates customers: the day-0 base with history, then the daily inflow."""

    name = "acquisition"
    phase = "arrive"

    def __init__(self, plan: AcquisitionPlan):
        self.plan = plan
        self._trait = np.array([decision("traits." + k) for k in TRAIT_KEYS], dtype=np.uint64)
        self._first = np.array([decision("first." + k) for k in FIRST_KEYS], dtype=np.uint64)

    def init(self, sim) -> None:
        self.funnel: Funnel = sim.module("funnel")
        r = sim.results
        self._arrivals = r.flow("arrivals")
        self._paid = r.flow("paid_arrivals")
        self._cost = r.flow("acquisition_cost")
        self._paid_so_far = 0.0
        self._arrival_constants = None
        self._extra_so_far = 0.0
        self._packed_layout, self._packed_blocks = -1, None
        self._first_keys = keys_by_day(sim.seed_key, self._first, sim.days)

    def step(self, sim, day: int) -> None:
        plan = self.plan
        if day == 0 and plan.base_customers and plan.profiles is not None:
            self._create_profiles(sim, plan)
        elif day == 0 and plan.base_customers:
            counts = split_counts(plan.base_customers, plan.base_mix)
            targets = np.concatenate([np.full(counts[s], STAGES.index(s), dtype=np.int8)
                                      for s in counts])
            self._create(sim, SOURCE_BASE, plan.base_customers, -1, day, targets,
                         not plan.fresh_cohort, plan.fresh_cohort)
        count = plan.arrivals(day)
        extra = self._converted_extra(plan.inflow_per_day)
        if count + extra:
            self._create(sim, SOURCE_INFLOW, count + extra, day, day, None, False,
                         plan.arrive_as_buyers)
            paid_before = self._paid_so_far
            self._paid_so_far += count * plan.paid_share
            paid = math.floor(self._paid_so_far) - math.floor(paid_before)
            self._arrivals[day] = count + extra
            self._paid[day] = paid
            self._cost[day] = paid * plan.cac

    def _converted_extra(self, inflow: float) -> int:
        """Arrivals the same traffic adds when more of it converts (the declared
        `inflow_lift`, as the funnel composed it): the ad spend (and the paid count)
        stays that of the plain inflow."""
        lift = self.funnel.par[lay.P_INFLOW_LIFT]
        if not lift:
            return 0
        before = self._extra_so_far
        self._extra_so_far += inflow * lift
        return math.floor(self._extra_so_far) - math.floor(before)

    def _create_profiles(self, sim, plan: AcquisitionPlan) -> None:
        """The day-0 base from observed histories: the profiles' customers split by
        largest remainder to `base_customers` (so --customers rescales them), each placed
        where its history says, alive with its posterior probability."""
        total = float(sum(plan.profile_customers))
        weights = {i: c / total for i, c in enumerate(plan.profile_customers)}
        counts = split_counts(plan.base_customers, weights)
        profile_of = np.repeat(np.arange(len(weights), dtype=np.int32),
                               [counts[i] for i in range(len(weights))])
        count = plan.base_customers
        sl = sim.customers.add(SOURCE_BASE, 0, count)
        sim.customers.arrival[sl] = -1
        tkeys, traits, share_cum, hist = self._constants(sim)
        f = self.funnel
        ak.profile_base(sl.start, sl.stop, tkeys, profile_of,
                        np.ascontiguousarray(plan.profiles, dtype=np.float64),
                        state_tuple(sim.customers), f.model(), traits,
                        f.behaviour.need_lifetime is not None, share_cum, hist, f.counts,
                        f.cohort_size)
        f.rebounded(sl)

    def _constants(self, sim) -> tuple:
        """(trait keys, trait tables, cumulative demand shares, history parameters): the
        same for every arrival of the run, built once."""
        if self._arrival_constants is None:
            b = self.funnel.behaviour
            need = b.need_lifetime if b.need_lifetime is not None else np.zeros(3)
            self._arrival_constants = (
                day_keys(sim.seed_key, self._trait, 0),
                (b.purchase_rate, b.spend_rate, b.dropout, need),
                np.cumsum(b.demand_share),
                np.array([self.plan.history_days, self.plan.lapsed_alive_share,
                          self.plan.churned_alive_share], dtype=np.float64))
        return self._arrival_constants

    def _create(self, sim, source, count, arrival, day, targets, with_history,
                buying) -> None:
        sl = sim.customers.add(source, day, count)
        if arrival != day:
            sim.customers.arrival[sl] = arrival
        self.populate(sim, sl, day, targets, with_history, buying)

    def populate(self, sim, sl: slice, day: int, targets=None, with_history=False,
                 buying=False) -> None:
        """Traits (and history or a first purchase) of customers just added in `sl`;
        other modules that bring customers (referral) use it too."""
        if targets is None:
            if with_history:
                raise ValueError("a history needs the stage each customer reaches")
            targets = NO_TARGETS
        serial = sl.stop - sl.start < PARALLEL_ARRIVALS or numba.get_num_threads() == 1
        arrive = ak.arrive if serial else ak.arrive_parallel
        arrive(sl.start, sl.stop, day, self._first_keys[day], targets, with_history, buying,
               self._pack(sim))

    def _pack(self, sim) -> Pack:
        """What every arrival of the run shares, as one `Pack` (unboxed once, not on
        every day's call); built again when the customers' arrays or the funnel's sweep
        summaries moved."""
        c, f = sim.customers, self.funnel
        if c.layout != self._packed_layout or f.blocks is not self._packed_blocks:
            tkeys, traits, share_cum, hist = self._constants(sim)
            self._arrival_pack = Pack((tkeys, state_tuple(c), f.model(), traits,
                                       f.behaviour.need_lifetime is not None, share_cum, hist,
                                       f.arrival_acc, f.arrival_coh, f.counts, f.cohort_size,
                                       f.blocks[0]))
            self._packed_layout, self._packed_blocks = c.layout, f.blocks
        return self._arrival_pack
