"""Replenishment trigger for recurrent demand: a reminder a few days before the need
recurs (the customer's next due day), so the next pack is bought here rather than
elsewhere. It raises the share of wallet on the day that matters."""

from typing import Annotated

from pydantic import Field

from models.channels import Rule
from models.mechanics import register
from models.mechanics.messaging import MessageMechanic, MessageParams, priority_field
from models.stages import STAGES


class ReplenishmentParams(MessageParams):
    # send order: the customer's need is due: their own moment
    priority: int = priority_field(20)
    days_before_need: list[Annotated[int, Field(ge=0, le=1000)]] = Field(
        default_factory=lambda: [0], min_length=1,
        description="days before the next need on which a reminder goes out (0-1000); 0 is "
                    "the day of the need itself, when a response counts")


@register
class Replenishment(MessageMechanic):
    """Reminders timed to the next recurrent need."""

    name = "replenishment"
    repeatable = True
    Params = ReplenishmentParams

    def rule(self) -> Rule:
        stages = tuple(s for s in STAGES if s != "potential")
        return Rule(stages=stages, demand_types=("recurrent",),
                    days_until_due=tuple(self.params.days_before_need))
