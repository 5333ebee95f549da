"""The Funnel module: the one place that resolves dropout, purchase, spend and stage.

It owns the behavioural customer states, runs the day kernel in the `resolve` phase,
and reports the funnel's daily stocks and flows and the cohort matrices (the layer
cake). Mechanics act through the effects they declare (`models.effects`): the funnel
composes those that always hold into its own tables when it is built, takes the moving
ones through `move` and the per-customer ones (a tier's `rel_buy` and `rel_churn`, a
referred friend's traits) through `move_each`; today's `boost` is multiplied in by the
channel's contact kernel. None writes the stage.
"""

from dataclasses import replace

import numpy as np

from models import effects
from models import funnel_kernel as fk
from models import funnel_screen as fs
from models import layouts as lay
from models import funnel_totals as ft
from models import responder_visits as rv
from models import small_day as sd
from models.behaviour import Behaviour
from models.stages import ACTIVE_STAGES, ALIVE, FOREVER, NEVER, STAGES
from sim.module import Module
from sim.pack import Pack
from sim.streams import decision, keys_by_day

STATES = {
    "stage": (np.int8, 0),
    "flags": (np.uint8, ALIVE),
    "dtype": (np.int8, 0),
    "purchases": (np.int32, 0),
    "last": (np.int32, NEVER),
    "lam": (np.float32, 0.0),
    "nu": (np.float32, 0.0),
    "pdrop": (np.float32, 0.0),
    "need_end": (np.int32, FOREVER),
    "due": (np.int32, FOREVER),
    "t_next": (np.uint16, fs.NEVER_DUE),   # the timer and the bound in 16 bits each
    "p_hi": (np.uint16, 0),                # (`models.funnel_screen`)
    "rel_buy": (np.float32, 1.0),
    "rel_churn": (np.float32, 1.0),
    "boost": (np.float32, 1.0),
    "revenue": (np.float32, 0.0),
    "offer_end": (np.int32, 0),       # a personal offer holds while day < offer_end
}
# States the exact pass reads for each customer it visits, and few others read: stored
# together, one 32-byte record per customer (a single cache line to fetch, not eight).
EXACT_RECORD = ("lam", "nu", "pdrop", "need_end", "rel_buy", "rel_churn", "boost",
                "offer_end")

FLOWS = {
    "revenue": lay.A_REVENUE, "gross_margin": lay.A_MARGIN, "discounts": lay.A_DISCOUNT,
    "purchases": lay.A_ORDERS, "buyers": lay.A_BUYERS, "first_purchases": lay.A_FIRST,
    "revenue_first": lay.A_REVENUE_FIRST, "repeat_purchases": lay.A_REPEAT_ORDERS,
    "revenue_repeat": lay.A_REVENUE_REPEAT, "churned_premature": lay.A_DIED_PREMATURE,
    "churned_natural": lay.A_DIED_NATURAL, "leads_lost": lay.A_LEADS_LOST,
    "won_back": lay.A_WON_BACK, "returning_buyers": lay.A_RETURNING, "items": lay.A_ITEMS,
    "addon_revenue": lay.A_ADDON_REVENUE, "abandoned_carts": lay.A_CARTS,
    "offer_buyers": lay.A_OFFER_BUYERS, "offer_buyers_anyway": lay.A_OFFER_BUYERS_ANYWAY,
    "offer_discounts": lay.A_OFFER_DISCOUNT,
    "offer_discounts_anyway": lay.A_OFFER_DISCOUNT_ANYWAY,
}

ACTIVE_MASK = np.isin(np.arange(len(STAGES)), ACTIVE_STAGES)

# Stocks, in the rows `close_day` writes: the stages, then the totals.
STOCKS = (*STAGES, "customers", "alive", "alive_leads", "active", "lapsed_alive",
          "churned_alive")

KEYS = ("event", "orders", "spend", "drop", "due", "cancel", "items")


class Funnel(Module):
    """Resolves each day's behaviour of every customer with the numba kernel."""

    name = "funnel"
    phase = "resolve"

    def __init__(self, behaviour: Behaviour, declared: dict[str, list] | None = None):
        """`declared`: every mechanic's effects (`Mechanic.effects()`) by its name; those
        that always hold are composed into this funnel's own tables here, once."""
        declared = declared or {}
        self.behaviour = replace(behaviour, stage_tab=behaviour.stage_tab.copy())
        self.par = self.behaviour.par()
        effects.apply_static(declared, self.behaviour.stage_tab, self.par)
        self._resting = self.par.copy()
        self._movers = {(name, e.lever) for name, es in declared.items() for e in es
                        if e.moves}
        self._moved: dict[str, dict[str, float]] = {}
        self._decisions = np.array([decision("funnel." + k) for k in KEYS], dtype=np.uint64)
        self._exposure_lift = rv.exposure_lift(self.behaviour.dem_tab)

    def init(self, sim) -> None:
        for name, (dtype, fill) in STATES.items():
            sim.customers.declare(name, dtype, fill,
                                  "funnel_exact" if name in EXACT_RECORD else None)
        self.n_cohorts = 2 + fk.month_of(sim.days)
        self.n_months = 1 + fk.month_of(sim.days - 1)
        self.counts = np.zeros((2, len(STAGES)), dtype=np.int64)
        self.cohort_size = np.zeros(self.n_cohorts, dtype=np.float64)
        self.arrival_acc = np.zeros(lay.N_ACC, dtype=np.float64)
        self.arrival_coh = np.zeros((self.n_cohorts, lay.N_COH), dtype=np.float64)
        self._buffers(sim.customers.capacity)
        self._keys = keys_by_day(sim.seed_key, self._decisions, sim.days)
        self._event_keys = list(self._keys[:, lay.K_EVENT])   # a list's lookup: cheaper
        self._listing_day = -1      # the last day a contact kernel took the lists
        r = sim.results
        self._flows = r.flow_block(FLOWS)
        self._flow_cols = np.array(list(FLOWS.values()), dtype=np.int64)
        self._stocks = r.stock_block(STOCKS)
        self.cohorts = {
            "revenue": r.matrix("cohort_revenue", (self.n_cohorts, self.n_months)),
            "gross_margin": r.matrix("cohort_gross_margin", (self.n_cohorts, self.n_months)),
            "buyers": r.matrix("cohort_buyers", (self.n_cohorts, self.n_months)),
        }

    def _buffers(self, capacity: int) -> None:
        chunks = (capacity + fk.CHUNK - 1) // fk.CHUNK
        self.acc = np.zeros((chunks, lay.N_ACC), dtype=np.float64)
        self.chunk_counts = np.zeros((chunks, 2, len(STAGES)), dtype=np.int64)
        self.chunk_coh = np.zeros((chunks, self.n_cohorts, lay.N_COH), dtype=np.float64)
        self._packed_layout = -1       # the kernels' packs, built again (`_packs`)
        self.blocks = fs.new_summaries(chunks * fk.CHUNK)     # the sweep's (grown: anew)
        listed = rv.empty_lists(chunks)
        if hasattr(self, "listed"):      # grown: today's responders stay listed
            listed[:self.listed.shape[0]] = self.listed
        self.listed = listed

    def admit(self, sim, sl: slice) -> None:
        """Count customers just created (stage and flags set) and cache their bounds."""
        c = sim.customers
        ft.count_arrivals(sl.start, sl.stop, c.stage, c.flags, c.arrival, self.counts,
                          self.cohort_size)
        self.refresh(sim, sl)

    def model(self) -> tuple:
        """The behaviour tables in the order the kernels take them."""
        b = self.behaviour
        return (b.stage_tab, b.dem_tab, b.season, self.par)

    def refresh(self, sim, sl: slice) -> None:
        """Recompute cached bounds and timers after a module changed multipliers."""
        c = sim.customers
        fk.refresh_range(sl.start, sl.stop, sim.day, state_tuple(c), self.model())
        self.rebounded(sl)

    def rebounded(self, customers) -> None:
        """Customers (a slice or indices) whose bounds or timers a module set outside
        the day kernel: the sweep counts their blocks anew (`funnel_screen.forget`)."""
        fs.forget(self.blocks, customers)

    def move(self, sim, mechanic: str, values: dict[str, float]) -> None:
        """Set `mechanic`'s value of levers it declared as moving; each lever is composed
        again from every mechanic's value (by its rule, in the order of their names) and
        the cached bounds are refreshed when a lever they depend on changed."""
        refresh = False
        for lever, value in values.items():
            self._check_mover(mechanic, lever, "par_row")
            moved = self._moved.setdefault(lever, {})
            moved[mechanic] = value
            spec = effects.LEVERS[lever]
            now = effects.compose(spec.rule, self._resting[spec.par_row],
                                  [moved[k] for k in sorted(moved)])
            refresh |= spec.bounds and now != self.par[spec.par_row]
            self.par[spec.par_row] = now
        if refresh:
            self.refresh(sim, slice(0, sim.customers.n))

    def move_each(self, sim, mechanic: str, idx, values: dict[str, tuple]) -> None:
        """Customers `idx` (indices, or a slice of customers just brought in) see
        `mechanic`'s factor on each per-customer lever it declared as moving change from
        `was` to `now` (`values[lever] = (was, now)`, scalars or arrays by customer): the
        old factor is divided out and the new one multiplied in, so the other mechanics'
        factors stay. Computed in float64, stored in the array's own precision, kept
        within the lever's ceiling; the customers' cached bounds are then recomputed (a
        slice) or they go to the exact pass tomorrow (indices: p_hi at its top)."""
        c = sim.customers
        for lever, (was, now) in values.items():
            spec = self._check_mover(mechanic, lever, "state")
            arr = getattr(c, spec.state)
            x = arr[idx].astype(np.float64) / was * now
            arr[idx] = x if spec.at_most is None else np.minimum(spec.at_most, x)
        if isinstance(idx, slice):
            self.refresh(sim, idx)
        else:
            c.p_hi[idx] = fs.ALWAYS
            self.rebounded(idx)

    def _check_mover(self, mechanic: str, lever: str, where: str) -> effects.Lever:
        """The lever, if `mechanic` declared it as moving and it lives `where`."""
        if (mechanic, lever) not in self._movers:
            raise ValueError(f"{mechanic} moves {lever!r}, which it did not declare")
        spec = effects.LEVERS[lever]
        if getattr(spec, where) is None:
            raise ValueError(f"{lever!r} is not moved by "
                             f"{'move' if where == 'par_row' else 'move_each'}")
        return spec

    def keys(self, sim, day: int) -> np.ndarray:
        """Today's stream keys of the day kernel (`K_*` rows)."""
        return self._keys[day]

    def responder_lists(self, sim) -> tuple:
        """(an exposure's lift, the per-chunk lists) a contact kernel takes to leave a
        responder out of today's exact pass when today's draw cannot need it
        (`models.responder_visits`): sized for the customers' capacity, the same lists
        until it grows."""
        if self.listed.shape[0] * fk.CHUNK < sim.customers.capacity:
            self._buffers(sim.customers.capacity)
        return self._exposure_lift, self.listed

    def listing(self, day: int) -> np.uint64:
        """Today's event key, for a send that lists responders (`step` releases them)."""
        self._listing_day = day
        return self._event_keys[day]

    def step(self, sim, day: int) -> None:
        """The day kernel for every customer, the reset of the responders it was spared
        (`models.responder_visits`), then the day's stocks and flows."""
        c = sim.customers
        if self.acc.shape[0] * fk.CHUNK < c.capacity:
            self._buffers(c.capacity)
        day_pack, close_pack = self._packs(c)
        dks = self.keys(sim, day)
        chunks = (c.n + fk.CHUNK - 1) // fk.CHUNK
        listed = self._listing_day == day
        if chunks == 1:     # one chunk: no threads to wake, and one call for the whole day
            sd.whole_day(day, c.n, dks, day_pack, close_pack, self.listed, listed)
            return
        fk.day_step(day, c.n, dks, day_pack)
        if listed:
            rv.release(chunks, self.listed, c.flags, c.boost)
        ft.close_day(day, c.n, chunks, close_pack)

    def _packs(self, c) -> tuple:
        """The day kernel's and `close_day`'s arrays, each as one `Pack` (unboxed once,
        not on every call); built again when the customers' arrays or the chunk rows
        moved."""
        if c.layout != self._packed_layout:
            rows = (self.acc, self.chunk_counts, self.chunk_coh)
            totals = (self.arrival_acc, self._flow_cols, self._flows, self.counts,
                      ACTIVE_MASK, self._stocks, self.arrival_coh, self.cohorts["revenue"],
                      self.cohorts["gross_margin"], self.cohorts["buyers"])
            self._day_pack = Pack((state_tuple(c), self.model(), rows, self.blocks))
            self._close_pack = Pack((rows, totals))
            self._packed_layout = c.layout
        return self._day_pack, self._close_pack

    def finalize(self, sim) -> None:
        sim.results.matrices["cohort_size"] = self.cohort_size.copy()



def state_tuple(c) -> tuple:
    """The funnel's customer arrays in the order the kernels unpack them."""
    return c.view(lay.STATE_ORDER)
