"""Customer-experience improvement: better product and service lower premature churn.

A fixed budget a year buys a lower daily premature-churn hazard in the chosen stages
(the stage hazards; BG/NBD dropout after purchases is moved by the premature-churn
lever, not here). It cannot touch natural churn: a need that has ended stays ended.
The budget is booked as CRM cost every day.
"""

from typing import Literal

from pydantic import Field

from models.bounds import MAX_BUDGET
from models.mechanics import Mechanic, MechanicParams, register
from models.effects import Effect
from models.stages import ACTIVE_STAGE_NAMES, STAGES


class ExperienceParams(MechanicParams):
    churn_multiplier: float = Field(0.8, ge=0, le=1, description="multiplier of the daily "
                                    "premature-churn hazard in the stages (0-1)")
    budget_per_year: float = Field(0.0, ge=0, le=MAX_BUDGET,
                                   description="fixed cost (currency per year, "
                                   "per base.customers; scaled with --customers)",
                                   json_schema_extra={"scales_with_customers": True})
    stages: list[Literal[STAGES]] = Field(
        default_factory=lambda: list(ACTIVE_STAGE_NAMES),
        min_length=1,
        description="stages whose customers feel the improvement (at least one)")


@register
class Experience(Mechanic):
    """Customer-experience improvement at a fixed budget."""

    name = "experience"
    Params = ExperienceParams

    def effects(self) -> list[Effect]:
        return [Effect("churn_hazard", self.params.churn_multiplier,
                       tuple(self.params.stages))]

    def init(self, sim) -> None:
        super().init(sim)
        self._daily = self.params.budget_per_year / 365.0

    def step(self, sim, day: int) -> None:
        self.book_cost(day, self._daily)
