"""Regular campaign: the same message to everyone in the target stages, on a schedule.

On each campaign day (a simpy process: every `every_days` from `start_day`) every
reachable customer in the target stages gets a message through the chosen channel
(`email` by default). A reader responds with probability `response_rate * (1 -
fatigue)`; a response multiplies today's purchase probability by `1 + uplift` (capped
at 1) and counts as exposure to an offer (impulse demand). Delivery, reading, fatigue,
unsubscribing, costs and frequency caps are the channel's (see `models.channels`).
"""

from typing import Literal

from pydantic import Field

from models.bounds import MAX_MULTIPLIER
from models.channels import Rule
from models.mechanics import register
from models.mechanics.messaging import MessageMechanic, MessageParams, priority_field
from models.stages import STAGES


class EmailCampaignParams(MessageParams):
    # send order: the mass campaign: sends last, to whoever the cap still allows
    priority: int = priority_field(70)
    every_days: int = Field(7, ge=1, description="days between campaigns")
    start_day: int = Field(0, ge=0, description="day of the first campaign")
    response_rate: float = Field(0.10, ge=0, le=1, description="response probability of "
                                 "an untired reader (0-1)")
    uplift: float = Field(2.0, ge=0, le=MAX_MULTIPLIER,
                          description="a response multiplies today's purchase "
                          "probability by 1 + uplift")
    stages: list[Literal[STAGES]] = Field(
        default_factory=lambda: [s for s in STAGES if s != "churned"],
        min_length=1, description="CRM stages that receive the campaign (at least one)")


@register
class EmailCampaign(MessageMechanic):
    """Regular campaign through one channel, on a calendar."""

    name = "email_campaign"
    repeatable = True
    Params = EmailCampaignParams

    def rule(self) -> Rule:
        return Rule(stages=tuple(self.params.stages))

    def init(self, sim) -> None:
        super().init(sim)
        self._send_today = False
        sim.calendar.every(self.params.every_days, self._schedule,
                           start=self.params.start_day)

    def _schedule(self, day: int) -> None:
        self._send_today = True

    def sends_today(self, day: int) -> bool:
        send, self._send_today = self._send_today, False
        return send
