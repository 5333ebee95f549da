"""Differentiated offer: a personal discount to the customers who need a stimulus.

On each offer day (every `every_days` from `start_day`) the mechanic scores the
eligible buyers (CRM `stages`, RFM `segments`; contract holders excluded) by their need
for a stimulus (see `models.offer_targeting`: alive and unlikely to buy on their own,
as seen through a propensity model of quality `precision`) and picks the top
`reach_share` of them. The picks get the offer through the channel (reachability,
delivery, fatigue, caps, control group and contact cost as for any message); a reader
takes it with probability `response_rate` and then holds it for `valid_days`: every
order in that time is paid at `1 - discount` of the list price, and on each of those
days a holder who would not have bought buys with probability `response`.

Against a blanket promo of the same depth the difference is who gets the discount:
the funnel books the discount given to holders who would have bought anyway apart
(`offer_discounts_anyway`), so the price of imprecise targeting shows.
"""

from typing import Literal

import numpy as np
from pydantic import Field

from models.bounds import MAX_MULTIPLIER
from models import offer_targeting as ot
from models.channels import Rule
from models.effects import Effect
from models.mechanics import register
from models.mechanics.messaging import MessageMechanic, MessageParams, priority_field
from models.segments import SEGMENTS, customer_segments
from models.stages import CONTRACTUAL, PICKED, STAGES
from sim.streams import day_keys, decision


class DifferentiatedOfferParams(MessageParams):
    # send order: a targeted campaign: before the mass one
    priority: int = priority_field(60)
    discount: float = Field(0.15, ge=0, lt=1, description="share of the list price taken "
                            "off the holder's orders (0-1)")
    response: float = Field(0.02, ge=0, le=1, description="daily probability that a holder "
                            "who would not have bought buys because of the offer (0-1)")
    valid_days: int = Field(14, ge=1, le=365, description="days an offer holds")
    start_day: int = Field(30, ge=0, description="day of the first offer wave")
    every_days: int = Field(90, ge=1, description="days between offer waves")
    reach_share: float = Field(0.3, ge=0, le=1, description="share of the eligible buyers "
                               "picked each wave (0-1)")
    precision: float = Field(0.8, ge=0, le=1, description="quality of the propensity model "
                             "that picks them: 1 perfect, 0 random (0-1)")
    stages: list[Literal[STAGES]] = Field(
        default_factory=lambda: ["new", "repeat", "loyal", "lapsed", "won_back"],
        min_length=1, description="CRM stages eligible for an offer (at least one)")
    segments: list[Literal[SEGMENTS]] | None = Field(
        None, min_length=1, description="RFM segments eligible for an offer (null: any; "
        "else at least one)")
    response_rate: float = Field(1.0, ge=0, le=1, description="probability that an untired "
                                 "reader takes the offer (0-1)")
    uplift: float = Field(0.0, ge=0, le=MAX_MULTIPLIER,
                          description="taking the offer also multiplies that "
                          "day's purchase probability by 1 + uplift (usually 0: the "
                          "offer's pull is `response`)")


@register
class DifferentiatedOffer(MessageMechanic):
    """Personal discounts for the customers who need a stimulus."""

    name = "differentiated_offer"
    Params = DifferentiatedOfferParams

    @property
    def offer_days(self) -> int:
        return self.params.valid_days

    def rule(self) -> Rule:
        return Rule(stages=STAGES, flags=PICKED)    # exactly the customers `pick` marks

    def effects(self) -> list[Effect]:
        p = self.params
        held = f"while an offer is held ({p.valid_days} days after a response)"
        return [*super().effects(), Effect("offer_price", 1.0 - p.discount, when=held),
                Effect("offer_response", p.response, when=held)]

    def init(self, sim) -> None:
        super().init(sim)
        p = self.params
        self.funnel = sim.module("funnel")
        self._stages = np.isin(np.array(STAGES), p.stages)
        self._segments = None if p.segments is None else np.isin(np.array(SEGMENTS),
                                                                  p.segments)
        self._noise_id = np.array([decision("offer.noise")], dtype=np.uint64)
        self._picked = sim.results.flow("offers_picked")
        self._wave = False
        sim.calendar.every(p.every_days, self._schedule, start=p.start_day)

    def _schedule(self, day: int) -> None:
        self._wave = True

    def sends_today(self, day: int) -> bool:
        send, self._wave = self._wave, False
        return send

    def step(self, sim, day: int) -> None:
        if not self._wave:
            return
        c = sim.customers
        picks = self.pick(sim, day)
        self._picked[day] += picks.size
        c.flags[picks] |= np.uint8(PICKED)
        super().step(sim, day)
        c.flags[picks] &= np.uint8(~PICKED & 0xFF)

    def eligible(self, sim, day: int) -> np.ndarray:
        """Buyers in the chosen stages and segments, contract holders excluded."""
        c = sim.customers
        n = c.n
        ok = self._stages[c.stage[:n]] & (c.purchases[:n] > 0) & (c.dtype[:n] != CONTRACTUAL)
        if self._segments is not None:
            seg = customer_segments(c, day)
            ok &= (seg >= 0) & self._segments[np.maximum(seg, 0)]
        return np.flatnonzero(ok)

    def pick(self, sim, day: int) -> np.ndarray:
        """The top `reach_share` of the eligible by targeting score."""
        idx = self.eligible(sim, day)
        k = int(round(self.params.reach_share * idx.size))
        if k == 0:
            return idx[:0]
        c, b = sim.customers, self.funnel.behaviour
        need = np.empty(idx.size)
        ot.need(idx, day, self.params.valid_days, c.flags, c.stage, c.dtype, c.lam,
                c.rel_buy, c.due, b.stage_tab, b.dem_tab, self.funnel.par, need)
        noise = np.empty(idx.size)
        ot.noise(idx, day_keys(sim.seed_key, self._noise_id, day)[0], c.kh, noise)
        score = ot.scores(need, noise, self.params.precision)
        return np.sort(idx[np.argpartition(-score, k - 1)[:k]])
