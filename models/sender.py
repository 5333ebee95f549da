"""One mechanic's messages through one channel, send after send.

A trigger sends every day, most days to a few customers, so whatever a send costs
beyond its kernel is paid daily. A `Sender` makes once what stays the same from send to
send: the send's key of every day, the control group's key, the parameter vectors, the
ledger of the flows it books (`models.send_ledger`), and the kernel's pack, made again
only when the customers' arrays move (`Customers.layout`) or the funnel's responder
lists are made anew. What is left a send is the kernel's call and a few Python scalars.
"""

import numpy as np

from models import contact_kernel as ck
from models import responder_visits as rv
from models.layouts import CONTACT_KERNEL_STATES as KERNEL_STATES, CONTACT_STATES
from models.send_ledger import ledger
from sim.streams import decision, keys_by_day

_NO_MARKS = np.zeros(0, dtype=np.uint8)   # marks of a mechanic without a control group
_NO_EVENT_KEY = np.uint64(0)              # without a funnel: every responder is forced


class Sender:
    """`send(sim, day)` contacts today's targets of `mechanic` through the channel of
    `spec` (the `channel`-th: its opt-in bit). With `offer_days` > 0 a responder holds
    the personal offer for that many days; `own`: the mechanic's (contacts, responses,
    cost) flows, booked with the channel's, `offer_cost` a response. Made by
    `Channels.sender`."""

    def __init__(self, channels, sim, mechanic: str, spec, channel: int, rule: tuple, *,
                 response_rate: float, lift: float, relevance: float, holdout: float,
                 offer_days: int, own: tuple, offer_cost: float, by_channel, shifts):
        self.channels = channels
        self.rule = rule
        send = np.array([decision("send." + mechanic)], dtype=np.uint64)
        self.keys = list(keys_by_day(sim.seed_key, send, sim.days)[:, 0])   # a list: cheap
        self.hold_key = channels.holdout_key(sim, mechanic)
        self.channel, self.bit = channel, np.uint8(1 << channel)
        self.marks = channels.marks.get(mechanic) if holdout > 0 else None  # control groups
        self.chan = np.array([spec.deliverability, spec.open_rate, spec.unsubscribe_rate,
                              spec.fatigue_step, spec.irrelevant_fatigue_step], dtype=np.float64)
        self.mech = np.array([response_rate, lift, relevance, holdout, channels.cap_per_day,
                              0.0, 0.0, offer_days], dtype=np.float64)
        flows = channels.flows
        self.books = ledger((flows["crm_cost"], flows["contacts"], flows["responses"],
                             flows["unsubscribes"], by_channel, *own),
                            spec.cost_per_contact, offer_cost)
        self.shifts = shifts      # a channel with seats: today's calls left (else None)
        self.funnel = channels.funnel
        self.out = np.zeros((1, ck.N_OUT), dtype=np.int64)   # counters per chunk
        self._first = self.out[0]
        self._totals = np.zeros(ck.N_OUT, dtype=np.int64)
        self._layout, self._lists = -1, None

    def send(self, sim, day: int) -> None:
        c, funnel = sim.customers, self.funnel
        if c.layout != self._layout or (funnel is not None and funnel.listed is not self._lists):
            self._repack(sim)
        event_key = _NO_EVENT_KEY if funnel is None else funnel.listing(day)
        chunks = (c.n + ck.CHUNK - 1) // ck.CHUNK
        if self.out.shape[0] < chunks:
            self.out = np.zeros((chunks, ck.N_OUT), dtype=np.int64)
            self._first = self.out[0]
        args = (day, self.keys[day], event_key, self._pack)
        summed = self._first    # the counters of the one chunk or the one serial pass
        if self.shifts is not None:
            self._within_capacity(sim, args, chunks)
        elif chunks == 1:
            ck.deliver_range(0, c.n, *args, summed)   # one chunk: no threads to wake
        else:
            ck.deliver(c.n, *args, self.out[:chunks], self._totals)
            summed = self._totals
        if summed[ck.O_UNSUBSCRIBES]:
            self.channels.unsubscribed(day, self.channel, int(summed[ck.O_UNSUBSCRIBES]))

    def _within_capacity(self, sim, args: tuple, chunks: int) -> None:
        """A channel with limited capacity: one serial pass picks exactly as many of the
        calls today's targets would need as its seats can make; its calls dropped today
        are booked and the seats taken."""
        c, mech, day = sim.customers, self.mech, args[0]
        counts = self.out[:chunks, 0]
        ck.count_reachable(c.n, day, self.hold_key, self.bit, self._states, self._contact,
                           mech, self.rule, counts)
        wanted = float(counts.sum())
        if wanted > self.shifts.level:
            mech[ck.M_QUOTA], mech[ck.M_WANTED] = np.floor(self.shifts.level), wanted
        ck.deliver_range(0, c.n, *args, self._first)
        mech[ck.M_QUOTA] = mech[ck.M_WANTED] = 0.0   # no quota on the next send
        dropped, sent = self._first[ck.O_DROPPED], self._first[ck.O_SENT]
        self.channels.dropped[day] += int(dropped)
        if sent > 0:
            self.shifts.get(float(sent))

    def _repack(self, sim) -> None:
        """The contact kernel's `pack` for the customers' arrays and the funnel's lists
        as they are now."""
        c = sim.customers
        if self.funnel is None:
            exposure_lift, lists = np.inf, rv.empty_lists(0)
        else:
            exposure_lift, lists = self.funnel.responder_lists(sim)
        self._states, self._contact = c.view(KERNEL_STATES), c.view(CONTACT_STATES)
        marked = _NO_MARKS if self.marks is None else c.view((self.marks,))[0]
        self._pack = ck.pack(self.hold_key, self.bit, np.uint8(self.marks is not None),
                             self._states, self._contact + (marked,), exposure_lift, lists,
                             self.channels.decay, self.chan, self.mech, self.rule, self.books)
        self._layout, self._lists = c.layout, lists
