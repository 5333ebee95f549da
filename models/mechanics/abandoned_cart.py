"""Abandoned-cart trigger for impulse demand: a reminder the day after a cart is left.

Impulse buyers start more carts than they buy: of the carts started, the share
`cart_conversion` is bought (that is the funnel's purchase probability) and the rest
is left. The funnel marks a customer who left one (the `CART` flag; its uniform fell
between the purchase and the cart intent, purchase probability / cart_conversion); the
next day the reminder goes to every marked customer, and a response multiplies that
day's purchase probability by 1 + uplift and counts as exposure (impulse demand needs
one). The marks are cleared after each send, so a cart gets one reminder.
"""

import numpy as np
from pydantic import Field

from models.bounds import MAX_MULTIPLIER
from models.channels import Rule
from models.effects import Effect
from models.mechanics import register
from models.mechanics.messaging import MessageMechanic, MessageParams, priority_field
from models.stages import CART, STAGES


class AbandonedCartParams(MessageParams):
    # send order: a cart left yesterday: the customer's own moment, and it passes
    priority: int = priority_field(10)
    cart_conversion: float = Field(0.3, gt=0, le=1, description="share of started carts "
                                   "that are bought without a reminder (0-1]; 1: no cart is "
                                   "left")
    response_rate: float = Field(0.1, ge=0, le=1, description="probability that an untired "
                                 "reader comes back to the cart (0-1)")
    uplift: float = Field(3.0, ge=0, le=MAX_MULTIPLIER,
                          description="a response multiplies that day's "
                          "purchase probability by 1 + uplift")


@register
class AbandonedCart(MessageMechanic):
    """Reminders of carts left unbought by impulse buyers."""

    name = "abandoned_cart"
    Params = AbandonedCartParams

    def rule(self) -> Rule:
        return Rule(stages=STAGES, demand_types=("impulse",), flags=CART)

    def effects(self) -> list[Effect]:
        return [*super().effects(), Effect("cart_intent", 1.0 / self.params.cart_conversion)]

    def step(self, sim, day: int) -> None:
        super().step(sim, day)
        c = sim.customers
        c.flags[: c.n] &= np.uint8(~CART & 0xFF)
