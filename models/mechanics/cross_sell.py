"""Cross-sell and up-sell: more items and a richer check in every order.

Recommendations at checkout and in the order confirmation add complementary items:
each order of a customer in the chosen stages gets a Poisson number of extra items
with mean `extra_items`, each worth `item_price` at its own margin `item_margin`
(accessories often carry more margin than the core product). Up-sell trades the order
up: `upsell_share` of the core check is added at margin `upsell_margin`. Both raise
items per check and the check, and move the margin mix; the funnel books the add-ons'
revenue apart (`addon_revenue`). `cost_per_year` is the fixed cost of running it (the
recommendation engine; per base.customers, scaled with --customers).
"""

from typing import Literal

from pydantic import Field

from models.bounds import MAX_BUDGET, MAX_MONEY
from models.mechanics import Mechanic, MechanicParams, register
from models.effects import Effect
from models.stages import ACTIVE_STAGE_NAMES, STAGES


class CrossSellParams(MechanicParams):
    extra_items: float = Field(0.2, ge=0, le=20, description="mean cross-sold items added "
                               "to an order (items)")
    item_price: float = Field(10.0, ge=0, le=MAX_MONEY,
                              description="list price of a cross-sold item "
                              "(currency)")
    item_margin: float = Field(0.4, ge=0, le=1, description="gross margin of cross-sold "
                               "items (0-1)")
    upsell_share: float = Field(0.0, ge=0, le=5, description="share of the core check added "
                                "by trading up (0.05: +5%)")
    upsell_margin: float = Field(0.35, ge=0, le=1, description="gross margin of the "
                                 "traded-up value (0-1)")
    stages: list[Literal[STAGES]] = Field(
        default_factory=lambda: list(ACTIVE_STAGE_NAMES),
        min_length=1, description="stages whose orders get recommendations (at least one)")
    cost_per_year: float = Field(0.0, ge=0, le=MAX_BUDGET,
                                 description="fixed cost (currency per year, per "
                                 "base.customers; scaled with --customers)",
                                 json_schema_extra={"scales_with_customers": True})


@register
class CrossSell(Mechanic):
    """Cross-sold items and trade-ups at their own margins."""

    name = "cross_sell"
    Params = CrossSellParams

    def effects(self) -> list[Effect]:
        p = self.params
        return [Effect("cross_sell_items", p.extra_items, tuple(p.stages)),
                Effect("upsell_share", p.upsell_share, tuple(p.stages)),
                Effect("cross_sell_item_price", p.item_price),
                Effect("cross_sell_margin", p.item_margin),
                Effect("upsell_margin", p.upsell_margin)]

    def init(self, sim) -> None:
        super().init(sim)
        self._daily = self.params.cost_per_year / 365.0

    def step(self, sim, day: int) -> None:
        if self._daily:
            self.book_cost(day, self._daily)
