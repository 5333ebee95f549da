"""Win-back / reactivation: an offer to lapsed (and churned) customers on set days of
silence. Only customers who are in fact still alive can respond (the CRM cannot tell
them apart, so the dead ones cost a message and never answer); the incentive costs
`offer_cost` per response."""

from typing import Annotated, Literal

from pydantic import Field

from models.bounds import MAX_MONEY, MAX_MULTIPLIER
from models.channels import Rule
from models.mechanics import register
from models.mechanics.messaging import MessageMechanic, MessageParams, priority_field


class WinBackParams(MessageParams):
    # send order: days of silence: a last chance, before any mass message
    priority: int = priority_field(40)
    days_since_last_purchase: list[Annotated[int, Field(ge=0, le=1000)]] = Field(
        default_factory=lambda: [100, 130, 180], min_length=1,
        description="days of silence on which an offer goes out (0-1000); pick values past "
                    "funnel.lapsed_after_days")
    stages: list[Literal["lapsed", "churned"]] = Field(
        default_factory=lambda: ["lapsed", "churned"], min_length=1,
        description="stages offered a return (at least one)")
    uplift: float = Field(3.0, ge=0, le=MAX_MULTIPLIER,
                          description="a response multiplies today's purchase "
                          "probability by 1 + uplift")
    offer_cost: float = Field(0.0, ge=0, le=MAX_MONEY,
                              description="incentive cost per response "
                              "(currency): the comeback coupon")


@register
class WinBack(MessageMechanic):
    """Reactivation offers to lapsed and churned customers."""

    name = "win_back"
    repeatable = True
    Params = WinBackParams

    def rule(self) -> Rule:
        return Rule(stages=tuple(self.params.stages),
                    days_since_last=tuple(self.params.days_since_last_purchase))
