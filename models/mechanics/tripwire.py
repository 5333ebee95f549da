"""Tripwire entry product: a cheap first purchase that turns leads into customers.

Leads (potential customers) are offered an entry product: they convert
`conversion_multiplier` times as readily, and their first order is paid at
`price_share` of the list price (the tripwire's lower margin). Both act through the
lead stage of the stage table, so the cost shows as given-away price (discounts) and a
lower gross margin on first orders, not as a CRM bill; `cost_per_year` adds any fixed
cost of running it (per base.customers; scaled with --customers).
"""

from pydantic import Field

from models.bounds import MAX_BUDGET, MAX_MULTIPLIER
from models.mechanics import Mechanic, MechanicParams, register
from models.effects import Effect


class TripwireParams(MechanicParams):
    conversion_multiplier: float = Field(2.0, ge=1, le=MAX_MULTIPLIER,
                                         description="how many times as readily "
                                         "a lead makes the first purchase")
    price_share: float = Field(0.5, gt=0, le=1, description="share of the list price paid "
                               "for the first order (0-1)")
    cost_per_year: float = Field(0.0, ge=0, le=MAX_BUDGET,
                                 description="fixed cost (currency per year, per "
                                 "base.customers; scaled with --customers)",
                                 json_schema_extra={"scales_with_customers": True})


@register
class Tripwire(Mechanic):
    """Entry product for leads: more first purchases, at a lower price."""

    name = "tripwire"
    Params = TripwireParams

    def effects(self) -> list[Effect]:
        return [Effect("buy", self.params.conversion_multiplier, ("potential",)),
                Effect("price", self.params.price_share, ("potential",))]

    def init(self, sim) -> None:
        super().init(sim)
        self._daily = self.params.cost_per_year / 365.0

    def step(self, sim, day: int) -> None:
        if self._daily:
            self.book_cost(day, self._daily)
