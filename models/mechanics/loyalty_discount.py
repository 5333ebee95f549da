"""Loyalty discount: members in the chosen stages pay less and churn less.

The simplest loyalty programme: a price discount for customers in given stages and a
lower premature-churn hazard while they are there. It acts through the stage table
(a price factor and a hazard multiplier), so it costs nothing per customer-day.
"""

from typing import Literal

from pydantic import Field

from models.bounds import MAX_MULTIPLIER
from models.mechanics import Mechanic, MechanicParams, register
from models.effects import Effect
from models.stages import STAGES


class LoyaltyDiscountParams(MechanicParams):
    discount: float = Field(0.05, ge=0, lt=1, description="share of the list price given "
                            "back to members (0-1)")
    churn_multiplier: float = Field(0.5, ge=0, le=MAX_MULTIPLIER,
                                    description="multiplier of the daily "
                                    "premature-churn hazard of members")
    stages: list[Literal[STAGES]] = Field(default_factory=lambda: ["loyal"], min_length=1,
                                          description="stages whose customers are members "
                                          "(at least one)")


@register
class LoyaltyDiscount(Mechanic):
    """Discount and churn protection for members (by stage)."""

    name = "loyalty_discount"
    Params = LoyaltyDiscountParams

    def effects(self) -> list[Effect]:
        p = self.params
        return [Effect("price", 1.0 - p.discount, tuple(p.stages)),
                Effect("churn_hazard", p.churn_multiplier, tuple(p.stages))]
