"""Blanket promo: a discount on every order by everyone while the promo runs.

On each promo day (a simpy process: `duration_days` days every `every_days` from
`start_day`) every order is paid at `1 - discount` of the list price, and a customer
who would not have bought today buys with probability `response` (the promo's pull:
q becomes q + (1 - q) * response). Contract renewals are untouched. The discount goes
to everyone who buys, including the many who would have bought anyway; the funnel
books that part apart (`offer_discounts_anyway`, `offer_buyers_anyway`), which is the
cost a differentiated offer avoids. `cost_per_promo` adds a fixed cost (advertising
the sale, per base.customers; scaled with --customers).

The promo declares two moving effects (the price paid and the pull) and moves them
through the funnel on the first and the day after the last promo day; the funnel
recomputes every customer's cached bound then, so the bound holds while the promo runs
and tightens again afterwards.
"""

from pydantic import Field, model_validator

from models.bounds import MAX_BUDGET
from models.effects import Effect
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

    def effects(self) -> list[Effect]:
        p = self.params
        when = (f"{p.duration_days} days every {p.every_days} from day {p.start_day} "
                "(contract renewals untouched)")
        return [Effect("promo_price", 1.0 - p.discount, when=when, moves=True),
                Effect("promo_response", p.response, when=when, moves=True)]

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
        self.funnel.move(sim, self.name, {"promo_price": price, "promo_response": response})
