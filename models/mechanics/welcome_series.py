"""Welcome / onboarding series: messages to a new customer on set days after the
first purchase, to turn a first purchase into a second (new -> repeat, the funnel's
usual bottleneck). A new customer's last purchase is the first one, so the days are
counted from it; the series stops once the customer buys again."""

from typing import Annotated

from pydantic import Field

from models.channels import Rule
from models.mechanics import register
from models.mechanics.messaging import MessageMechanic, MessageParams, priority_field


class WelcomeSeriesParams(MessageParams):
    # send order: just after the first purchase: their own moment
    priority: int = priority_field(30)
    days_after_first_purchase: list[Annotated[int, Field(ge=0, le=1000)]] = Field(
        default_factory=lambda: [1, 4, 10, 21], min_length=1,
        description="days after the first purchase on which a message goes out (0-1000)")
    response_rate: float = Field(0.08, ge=0, le=1, description="response probability of "
                                 "an untired reader (0-1): welcome mail is read well")


@register
class WelcomeSeries(MessageMechanic):
    """Onboarding messages after the first purchase."""

    name = "welcome_series"
    repeatable = True
    Params = WelcomeSeriesParams

    def rule(self) -> Rule:
        return Rule(stages=("new",),
                    days_since_last=tuple(self.params.days_after_first_purchase))
