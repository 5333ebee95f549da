"""Reviews: ask recent buyers for a review; published reviews convert more shoppers.

A review request goes out through the channel on set days after a purchase; a response
is a published review (coming back to write it counts as an exposure to the shop).
Published reviews form a stock that fades with `half_life_days` (shoppers read recent
ones) and lift conversion by the share

    lift = conversion_lift_max * R / (R + reviews_for_half_lift),

a saturating curve: the first reviews matter most, and no number of reviews lifts
conversion past `1 + conversion_lift_max`, the ceiling the funnel's cached bounds use.
Leads buy at `1 + lift` times their rate, and the daily inflow of new customers grows
by the same share (the same traffic, and the same ad spend, converts better: the extra
arrivals are not paid for). Both are declared effects the mechanic moves each day
through the funnel (`lead_buy`, `inflow_lift`); the acquisition reads the inflow's.
`initial_reviews` is the stock already published on day 0 (the baseline's lift, if
any, comes from the same curve only when the mechanic is on). `offer_cost` is an
incentive per review (bonus points for writing one).
"""

from typing import Annotated

from pydantic import Field

from models.bounds import MAX_MULTIPLIER
from models.effects import Effect
from models.channels import Rule
from models.mechanics import register
from models.mechanics.messaging import MessageMechanic, MessageParams, priority_field
from models.stages import STAGES


class ReviewsParams(MessageParams):
    # send order: a request after a purchase: useful, but no sale rides on it
    priority: int = priority_field(50)
    days_after_purchase: list[Annotated[int, Field(ge=0, le=1000)]] = Field(
        default_factory=lambda: [7], min_length=1,
        description="days after a purchase on which a review request goes out (0-1000)")
    response_rate: float = Field(0.05, ge=0, le=1, description="probability that an untired "
                                 "reader publishes a review (0-1)")
    uplift: float = Field(0.0, ge=0, le=MAX_MULTIPLIER,
                          description="a review request's response multiplies "
                          "today's purchase probability by 1 + uplift (usually 0)")
    conversion_lift_max: float = Field(0.3, ge=0, le=10, description="largest relative lift "
                                       "of leads' purchase rate that reviews can give (0.3: "
                                       "+30%)")
    reviews_for_half_lift: float = Field(200.0, gt=0, description="review stock giving half "
                                         "the largest lift (reviews, per base.customers; "
                                         "scaled with --customers)",
                                         json_schema_extra={"scales_with_customers": True})
    half_life_days: float = Field(365.0, gt=0, description="days after which a review "
                                  "counts half as much")
    initial_reviews: float = Field(0.0, ge=0, description="reviews already published on day "
                                   "0 (per base.customers; scaled with --customers)",
                                   json_schema_extra={"scales_with_customers": True})


@register
class Reviews(MessageMechanic):
    """Review requests to recent buyers; the review stock converts leads."""

    name = "reviews"
    Params = ReviewsParams

    def rule(self) -> Rule:
        return Rule(stages=tuple(s for s in STAGES if s != "potential"),
                    days_since_last=tuple(self.params.days_after_purchase))

    def effects(self) -> list[Effect]:
        most = self.params.conversion_lift_max
        return [*super().effects(), Effect("lead_buy_max", 1.0 + most),
                Effect("lead_buy", 1.0 + most, when="daily: 1 + the review stock's lift, "
                       "up to this", moves=True),
                Effect("inflow_lift", most, when="daily: the review stock's lift, up to "
                       "this", moves=True)]

    def init(self, sim) -> None:
        super().init(sim)
        p = self.params
        self.funnel = sim.module("funnel")
        self.stock = p.initial_reviews
        self._fade = 0.5 ** (1.0 / p.half_life_days)
        self._stock = sim.results.stock("reviews")
        self._lift = sim.results.stock("lead_conversion_lift")

    def step(self, sim, day: int) -> None:
        self.stock *= self._fade
        super().step(sim, day)
        self.stock += self._responses[day]
        p = self.params
        lift = p.conversion_lift_max * self.stock / (self.stock + p.reviews_for_half_lift)
        self.funnel.move(sim, self.name, {"lead_buy": 1.0 + lift, "inflow_lift": lift})
        self._stock[day] = self.stock
        self._lift[day] = lift
