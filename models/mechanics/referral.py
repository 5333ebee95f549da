"""Referral programme: satisfied customers bring friends; a reward per friend who buys.

After each purchase day of a customer in the eligible stages, the customer brings a
friend with probability `probability_per_purchase`. The friend arrives the next day as
a lead (potential) with the population's traits, purchase rate and dropout scaled by
`friend_rate_multiplier` and `friend_dropout_multiplier` (friends of loyal customers
tend to fit): declared effects on the traits of the customers it brings, which the
funnel applies as they arrive (`Funnel.move_each`). When the friend makes a first
purchase, `reward_per_conversion` is paid. A friend's key is derived from the
referrer's key and referral number, so a strategy with more referrals adds customers
without changing anybody else's draws. With enough referral the base grows without
paid acquisition: self-activating growth.
"""

from typing import Literal

import numpy as np
from numba import njit
from pydantic import Field

from models.bounds import MAX_MONEY, MAX_MULTIPLIER
from models.effects import Effect
from models.mechanics import Mechanic, MechanicParams, register
from models.stages import ALIVE, STAGES
from sim.streams import day_keys, decision, mix, uniform32

_SALT = np.uint64(0xF1E2D3C4B5A69788)


class ReferralParams(MechanicParams):
    probability_per_purchase: float = Field(0.03, ge=0, le=1, description="chance that a "
                                            "purchase day of an eligible customer brings a "
                                            "friend (0-1)")
    stages: list[Literal[STAGES]] = Field(default_factory=lambda: ["repeat", "loyal"],
                                          min_length=1, description="stages whose "
                                          "customers refer (at least one)")
    friend_rate_multiplier: float = Field(1.2, gt=0, le=MAX_MULTIPLIER,
                                          description="purchase-rate multiplier "
                                          "of referred friends")
    friend_dropout_multiplier: float = Field(0.8, ge=0, le=MAX_MULTIPLIER,
                                             description="dropout multiplier of "
                                             "referred friends")
    reward_per_conversion: float = Field(0.0, ge=0, le=MAX_MONEY,
                                         description="reward paid when a "
                                         "referred friend first buys (currency)")


@register
class Referral(Mechanic):
    """Referral programme: friends of satisfied customers arrive as leads."""

    name = "referral"
    Params = ReferralParams

    def effects(self) -> list[Effect]:
        p = self.params
        friend = "referred friends, as they arrive"
        return [Effect("arrivals", p.probability_per_purchase, tuple(p.stages),
                       when="a friend per purchase day, arriving the next day", moves=True),
                Effect("arrival_rate", p.friend_rate_multiplier, when=friend, moves=True),
                Effect("arrival_dropout", p.friend_dropout_multiplier, when=friend,
                       moves=True)]

    def init(self, sim) -> None:
        super().init(sim)
        sim.customers.declare("referrals", np.uint16, 0)
        self.acquisition = sim.module("acquisition")
        self.funnel = sim.module("funnel")
        self._eligible = np.isin(np.array(STAGES), self.params.stages)
        self._decision = np.array([decision("referral.refer")], dtype=np.uint64)
        self._pending = np.zeros(0, dtype=np.int64)
        # the traits are float32: their factors too, as the arrays multiply them
        self._traits = {e.lever: (1.0, np.float32(e.value)) for e in self.effects()
                        if e.lever in ("arrival_rate", "arrival_dropout")}
        r = sim.results
        self._referred = r.flow("referrals")
        self._converted = r.flow("referral_conversions")

    def step(self, sim, day: int) -> None:
        self._reward(sim, day)
        if day == 0:
            return
        c, p = sim.customers, self.params
        key = day_keys(sim.seed_key, self._decision, day)[0]
        keys = friends(c.n, day - 1, key, c.kh, c.last, c.stage, c.flags, c.referrals,
                       self._eligible, p.probability_per_purchase)
        if keys.size == 0:
            return
        sl = c.add_keyed(keys, day)
        self.acquisition.populate(sim, sl, day)
        self.funnel.move_each(sim, self.name, sl, self._traits)
        self._pending = np.concatenate([self._pending, np.arange(sl.start, sl.stop)])
        self._referred[day] += keys.size

    def _reward(self, sim, day: int) -> None:
        """Pay for friends who bought for the first time yesterday or earlier."""
        if self._pending.size == 0:
            return
        c = sim.customers
        bought = c.purchases[self._pending] > 0
        alive = (c.flags[self._pending] & ALIVE) != 0
        converted = int(bought.sum())
        if converted:
            cost = converted * self.params.reward_per_conversion
            self._converted[day] += converted
            self.book_cost(day, cost)
        self._pending = self._pending[~bought & alive]


BLOCK = 4096     # customers swept at a time for yesterday's buyers


@njit(cache=True)
def friends(n, day, key, kh, last, stage, flags, referrals, eligible, probability):
    """Keys of the friends referred by yesterday's eligible buyers, in customer order.

    Yesterday's buyers are a small share of the base: a branch-free sweep of a block
    marks them, eight marks are tested at a time, and only the marked customers are
    checked and drawn for (the same customers, in the same order, as testing each)."""
    out = np.empty(64, dtype=np.uint64)
    hit = np.zeros(BLOCK, dtype=np.uint8)
    words = hit.view(np.uint64)
    m = 0
    for lo in range(0, n, BLOCK):
        size = min(BLOCK, n - lo)
        x = last[lo:lo + size]
        for j in range(size):
            hit[j] = x[j] == day
        hit[size:] = 0
        for w in range((size + 7) // 8):
            if words[w] == 0:
                continue
            for j in range(8 * w, 8 * w + 8):
                if hit[j] == 0:
                    continue
                i = lo + j
                if (flags[i] & ALIVE) == 0 or not eligible[stage[i]]:
                    continue
                if uniform32(mix(kh[i] ^ key)) >= probability:
                    continue
                referrals[i] += 1
                if m == out.size:
                    grown = np.empty(2 * out.size, dtype=np.uint64)
                    grown[:m] = out
                    out = grown
                out[m] = mix(kh[i] ^ _SALT) + np.uint64(referrals[i])
                m += 1
    return out[:m]
