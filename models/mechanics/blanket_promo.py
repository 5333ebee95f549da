"""Blanket promo: a discount on every order by everyone while the promo runs.

On each promo day (a simpy process: `duration_days` days every `every_days` from
`start_day`) every order is paid at `1 - discount` of the list price, and a customer
who would not have bought today buys with probability `response` (the promo's pull:
q becomes q + (1 - q) * response). Contract renewals are untouched. The discount goes
to everyone who buys, including the many who would have bought anyway; the funnel
books that part apart (`offer_discounts_anyway`, `offer_buyers_anyway`), which is the
cost a differentiated offer avoids. `cost_per_promo` adds a fixed cost (advertising
the sale, per base.customers; scaled with --customers).

The promo acts through two numbers of the funnel kernel; on the first and the day
after the last promo day every customer's cached bound is recomputed, so the bound
holds while the promo runs and tightens again afterwards.
"""

from pydantic import Field, model_validator

from models.bounds import MAX_BUDGET
from models import funnel_kernel as fk
from models.mechanics import Mechanic, MechanicParams, register


class BlanketPromoParams(MechanicParams):
    discount: float = Field(0.15, ge=0, lt=1, description="share of the list price taken "
                            "off every order during the promo (0-1)")
    response: float = Field(0.01, ge=0, le=1, description="daily probability that a "
                            "customer who would not have bought buys because of the "
                            "promo (0-1)")
    start_day: int = Field(30, ge=0, description="first day of the first promo")
    every_days: int = Field(90, ge=1, description="days from one promo's start to the next")
    duration_days: int = Field(7, ge=1, description="days each promo runs")
    cost_per_promo: float = Field(0.0, ge=0, le=MAX_BUDGET,
                                  description="fixed cost of each promo "
                                  "(currency, per base.customers; scaled with --customers)",
                                  json_schema_extra={"scales_with_customers": True})

    @model_validator(mode="after")
    def _one_promo_at_a_time(self):
        if self.duration_days > self.every_days:
            raise ValueError(f"duration_days ({self.duration_days}) must be at most "
                             f"every_days ({self.every_days}): promos cannot overlap")
        return self


@register
class BlanketPromo(Mechanic):
    """Discount for everyone on promo days."""

    name = "blanket_promo"
    phase = "prepare"     # before any mechanic forces customers into today's exact pass
    Params = BlanketPromoParams

    def init(self, sim) -> None:
        super().init(sim)
        p = self.params
        self.funnel = sim.module("funnel")
        self._running = False
        self._starts = False
        sim.calendar.every(p.every_days, self._start, start=p.start_day)

    def _start(self, day: int) -> None:
        self._starts = True

    def step(self, sim, day: int) -> None:
        p = self.params
        if self._starts:
            self._starts, self._running, self._until = False, True, day + p.duration_days
            self._switch(sim, 1.0 - p.discount, p.response)
            self.book_cost(day, p.cost_per_promo)
        elif self._running and day >= self._until:
            self._running = False
            self._switch(sim, 1.0, 0.0)

    def _switch(self, sim, price: float, response: float) -> None:
        par = self.funnel.par
        par[fk.P_PROMO_PRICE], par[fk.P_PROMO_RESPONSE] = price, response
        self.funnel.refresh(sim, slice(0, sim.customers.n))
